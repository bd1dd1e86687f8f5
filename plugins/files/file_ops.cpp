#include "file_ops.hpp"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>  // renameat2 (glibc 2.28+)
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
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

const char* file_kind(unsigned mode) noexcept {
    switch (mode & S_IFMT) {
        case S_IFREG:
            return "a regular file";
        case S_IFDIR:
            return "a directory";
        case S_IFIFO:
            return "a FIFO (named pipe)";
        case S_IFSOCK:
            return "a socket";
        case S_IFCHR:
            return "a character device";
        case S_IFBLK:
            return "a block device";
        case S_IFLNK:
            return "a symbolic link";
        default:
            return "not a regular file";
    }
}

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

namespace {

// The PID in ".<name>.<pid>.<n>.tmp", or 0 when the name is not one of ours.
int temp_owner(std::string_view name) {
    if (name.size() < 8 || name.front() != '.' || !name.ends_with(".tmp")) return 0;
    name.remove_suffix(4);
    auto digits_before_dot = [&](std::string_view& rest, std::uint64_t& out) {
        const auto dot = rest.rfind('.');
        if (dot == std::string_view::npos) return false;
        const auto digits = rest.substr(dot + 1);
        const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), out);
        if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size()) return false;
        rest = rest.substr(0, dot);
        return true;
    };
    std::uint64_t n = 0, pid = 0;
    if (!digits_before_dot(name, n) || !digits_before_dot(name, pid)) return 0;
    if (name.size() < 2 || pid == 0 || pid > 0x3fffffff) return 0;  // "." + a name at least
    return static_cast<int>(pid);
}

double boot_time() {
    std::ifstream in("/proc/stat");
    for (std::string word; in >> word;)
        if (word == "btime") {
            double t = 0;
            in >> t;
            return t;
        }
    return 0;
}

}  // namespace

double process_start_time(int pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    // The command name (field 2) may hold spaces and parentheses: fields count from the last ')'.
    const auto close = text.rfind(')');
    if (close == std::string::npos) return 0;
    std::istringstream fields(text.substr(close + 1));
    std::string field;
    for (int i = 3; i <= 22 && fields >> field; ++i)
        if (i == 22) {
            const double boot = boot_time();
            const long ticks = ::sysconf(_SC_CLK_TCK);
            return boot > 0 && ticks > 0 ? boot + std::stod(field) / static_cast<double>(ticks) : 0;
        }
    return 0;
}

std::size_t remove_orphan_temps(const fs::path& dir, std::string& error) {
    std::size_t removed = 0;
    std::map<int, double> started;  // pid -> start time (0: unknown); -1: no such process
    auto start_of = [&](int pid) {
        const auto it = started.find(pid);
        if (it != started.end()) return it->second;
        const bool gone = ::kill(pid, 0) != 0 && errno == ESRCH;  // EPERM: alive, someone else's
        return started[pid] = gone ? -1.0 : process_start_time(pid);
    };
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        const int pid = temp_owner(name);
        if (pid == 0) continue;
        struct stat st {};
        if (::lstat(it->path().c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
        const double start = start_of(pid);
        // Whole seconds of slack: the start time is in clock ticks, mtime may be coarse.
        const bool orphan = start < 0 || (start > 0 && static_cast<double>(st.st_mtime) + 2 < start);
        if (!orphan) continue;
        if (::unlink(it->path().c_str()) == 0 || errno == ENOENT)
            ++removed;
        else if (error.empty())
            error = "cannot remove " + it->path().string() + ": " + errno_text(errno);
    }
    if (ec && error.empty()) error = "cannot list " + dir.string() + ": " + ec.message();
    return removed;
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
