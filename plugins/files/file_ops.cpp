#include "file_ops.hpp"

#include <fcntl.h>
#include <stdio.h>  // renameat2 (glibc 2.28+)
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace junction::files {

namespace fs = std::filesystem;

namespace {

std::string errno_text(int err) {
    return std::strerror(err);
}

// rename that fails with EEXIST instead of replacing; falls back to a check-then-rename
// where the file system lacks RENAME_NOREPLACE (a small race, acceptable for one reader).
int rename_noreplace(const fs::path& from, const fs::path& to) {
#if defined(RENAME_NOREPLACE)
    if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return 0;
    if (errno != EINVAL && errno != ENOSYS) return errno;
#endif
    std::error_code ec;
    if (fs::exists(fs::symlink_status(to, ec))) return EEXIST;
    return ::rename(from.c_str(), to.c_str()) == 0 ? 0 : errno;
}

}  // namespace

std::string numbered_name(std::string_view name, unsigned n) {
    const auto dot = name.rfind('.');
    const auto stem = dot == std::string_view::npos || dot == 0 ? name : name.substr(0, dot);
    const auto ext = stem.size() == name.size() ? std::string_view{} : name.substr(stem.size());
    return std::string(stem) + "-" + std::to_string(n) + std::string(ext);
}

MoveResult move_into(const fs::path& from, const fs::path& dir) {
    MoveResult result;
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (ec) {
        result.error = "cannot create " + dir.string() + ": " + ec.message();
        return result;
    }
    const std::string name = from.filename().string();
    for (unsigned n = 0; n < 10000; ++n) {
        const fs::path to = dir / (n == 0 ? name : numbered_name(name, n));
        const int err = rename_noreplace(from, to);
        if (err == 0) {
            result.to = to;
            return result;
        }
        if (err == EEXIST || err == ENOTEMPTY) continue;
        if (err == EXDEV) {  // another file system: copy, then remove the original
            fs::copy(from, to, fs::copy_options::recursive | fs::copy_options::copy_symlinks, ec);
            if (ec == std::errc::file_exists) continue;
            if (!ec) fs::remove_all(from, ec);
            if (ec) {
                result.error = "cannot move to " + to.string() + ": " + ec.message();
                return result;
            }
            result.to = to;
            return result;
        }
        result.error = "cannot move to " + to.string() + ": " + errno_text(err);
        return result;
    }
    result.error = "cannot move into " + dir.string() + ": too many files named like " + name;
    return result;
}

bool write_all(int fd, std::string_view data) noexcept {
    while (!data.empty()) {
        const ssize_t n = ::write(fd, data.data(), data.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

int create_temp_beside(const fs::path& path, fs::path& temp) {
    const std::string prefix = "." + path.filename().string() + "." + std::to_string(::getpid()) + ".";
    for (unsigned n = 0; n < 100000; ++n) {
        temp = path.parent_path() / (prefix + std::to_string(n) + ".tmp");
        const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd >= 0 || errno != EEXIST) return fd;
    }
    errno = EEXIST;
    return -1;
}

std::string write_file_atomic(const fs::path& path, std::string_view data, bool durable) {
    fs::path temp;
    const int fd = create_temp_beside(path, temp);
    if (fd < 0) return "cannot create a temporary file in " + path.parent_path().string() + ": " + errno_text(errno);
    bool ok = write_all(fd, data) && (!durable || ::fdatasync(fd) == 0);
    const int err = errno;
    ok = ::close(fd) == 0 && ok;
    if (!ok || ::rename(temp.c_str(), path.c_str()) != 0) {
        const int rename_err = ok ? errno : err;
        ::unlink(temp.c_str());
        return "cannot write " + path.string() + ": " + errno_text(rename_err);
    }
    return durable ? sync_directory(path.parent_path()) : std::string();
}

std::string sync_directory(const fs::path& dir) {
    const int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return "cannot open " + dir.string() + ": " + errno_text(errno);
    const bool ok = ::fsync(fd) == 0;
    const int err = errno;
    ::close(fd);
    return ok ? std::string() : "cannot sync " + dir.string() + ": " + errno_text(err);
}

}  // namespace junction::files
