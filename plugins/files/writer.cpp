#include "writer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <junction/sdk/json_text.hpp>

#include "file_ops.hpp"

namespace junction::files {

namespace fs = std::filesystem;

namespace {

std::string errno_text(int err) {
    return std::strerror(err);
}

// Above this many files a batch is made durable with one syncfs() of the file system
// instead of one fdatasync() per file (each is a journal commit, ~1-10 ms).
constexpr std::size_t syncfs_threshold = 8;

}  // namespace

FilesWriter::~FilesWriter() {
    close();
}

sdk::Status FilesWriter::open(sdk::Context& context) {
    context_ = &context;
    config_ = writer_config(context.options());
    // check_writer_config() refused a bad template before open(); this builds it.
    if (config_.format == WriteFormat::object) {
        if (auto error = name_template_.parse(config_.file_name); !error.empty())
            return sdk::Status::fatal("files: file_name: " + error);
    }
    std::error_code ec;
    fs::create_directories(config_.dir, ec);
    if (ec) return sdk::Status::fatal("files: cannot create folder " + config_.dir.string() + ": " + ec.message());
    // A writer killed between write() and flush() leaves its temp files behind: sweep them,
    // or a crash loop fills the folder (each is also a file its readers list and skip).
    std::string sweep_error;
    if (const auto removed = remove_orphan_temps(config_.dir, sweep_error); removed > 0)
        context.log().info("removed " + std::to_string(removed) + " temporary file(s) left in " +
                           config_.dir.string() + " by writers that are no longer running");
    if (!sweep_error.empty()) context.log().warn("files: temp file sweep: " + sweep_error);
    if (config_.format == WriteFormat::ndjson) {
        const fs::path path = config_.dir / config_.file;
        ndjson_fd_ = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (ndjson_fd_ < 0) return sdk::Status::fatal("files: cannot open " + path.string() + ": " + errno_text(errno));
        // A crash mid-append can leave a torn last line: end it, so our first line is whole.
        struct stat st {};
        char last = '\n';
        if (::fstat(ndjson_fd_, &st) == 0 && st.st_size > 0) {
            const int rd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
            if (rd >= 0) {
                if (::pread(rd, &last, 1, st.st_size - 1) != 1) last = '\n';
                ::close(rd);
            }
        }
        if (last != '\n' && !write_all(ndjson_fd_, "\n"))
            return sdk::Status::retry("files: cannot write " + path.string() + ": " + errno_text(errno));
    }
    return sdk::Status::ok();
}

sdk::Status FilesWriter::write(std::span<const sdk::Record> batch, std::vector<sdk::Rejection>& rejected) {
    return config_.format == WriteFormat::object ? write_objects(batch, rejected) : append_lines(batch);
}

sdk::Status FilesWriter::write_objects(std::span<const sdk::Record> batch, std::vector<sdk::Rejection>& rejected) {
    const std::size_t pending_before = pending_.size();
    for (std::size_t i = 0; i < batch.size(); ++i) {
        std::string name, error;
        if (!name_template_.render(batch[i].payload, name, error)) {
            rejected.push_back({i, std::move(error)});
            continue;
        }
        PendingFile file{{}, config_.dir / name};
        const int fd = create_temp_beside(file.final, file.temp);
        if (fd < 0) {
            const int err = errno;
            // Drop this call's temp files: the engine retries the whole batch.
            while (pending_.size() > pending_before) {
                ::unlink(pending_.back().temp.c_str());
                pending_.pop_back();
            }
            return sdk::Status::retry("files: cannot create a file in " + config_.dir.string() + ": " +
                                      errno_text(err));
        }
        std::string text =
            config_.indent ? sdk::to_json_text_indented(batch[i].payload) : sdk::to_json_text(batch[i].payload);
        text += '\n';
        const bool ok = write_all(fd, text);
        const int err = errno;
        if (::close(fd) != 0 || !ok) {
            ::unlink(file.temp.c_str());
            while (pending_.size() > pending_before) {
                ::unlink(pending_.back().temp.c_str());
                pending_.pop_back();
            }
            return sdk::Status::retry("files: cannot write " + file.temp.string() + ": " +
                                      errno_text(ok ? errno : err));
        }
        pending_.push_back(std::move(file));
    }
    return sdk::Status::ok();
}

sdk::Status FilesWriter::append_lines(std::span<const sdk::Record> batch) {
    std::string lines;
    lines.reserve(batch.size() * 384);  // a typical record's line; grows if bigger
    for (const auto& record : batch) {
        sdk::append_json_text(lines, record.payload);
        lines += '\n';
    }
    // A failed append (a full disk, a file size limit) may have written part of the lines:
    // cut the file back to where it was, so the retry appends whole lines after whole
    // lines. Should the cut fail too, the next append starts by ending the torn line.
    struct stat st {};
    const bool sized = ::fstat(ndjson_fd_, &st) == 0;
    if (torn_) lines.insert(lines.begin(), '\n');
    // One write per batch: lines of concurrent writers to the same file do not interleave mid-line.
    if (!write_all(ndjson_fd_, lines)) {
        const int err = errno;
        // Cut back, the file is as it was before this call (torn or not); else it is torn.
        if (!sized || ::ftruncate(ndjson_fd_, st.st_size) != 0) torn_ = true;
        return sdk::Status::retry("files: cannot append to " + (config_.dir / config_.file).string() + ": " +
                                  errno_text(err));
    }
    torn_ = false;
    return sdk::Status::ok();
}

sdk::Status FilesWriter::flush() {
    if (config_.format == WriteFormat::object) return flush_objects();
    if (config_.fsync && ndjson_fd_ >= 0 && ::fdatasync(ndjson_fd_) != 0)
        return sdk::Status::retry("files: cannot sync " + (config_.dir / config_.file).string() + ": " +
                                  errno_text(errno));
    return sdk::Status::ok();
}

// Durability in three rounds per batch, not three syscalls per file:
//   1. the data of every temp file reaches the disk (one syncfs() for a large batch,
//      else one fdatasync() each) - before any rename, or a crash could leave a final
//      name pointing at an empty or partial file;
//   2. all renames (each atomic: a reader sees the old file or the new, never half);
//   3. one fsync of the folder, which makes the renames themselves durable.
// Only then does flush() return and the engine commit the batch.
sdk::Status FilesWriter::flush_objects() {
    if (pending_.empty()) return sdk::Status::ok();
    if (config_.fsync) {
        bool synced = false;
#if defined(__linux__)
        if (pending_.size() >= syncfs_threshold) {
            const int dir_fd = ::open(config_.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
            synced = dir_fd >= 0 && ::syncfs(dir_fd) == 0;
            if (dir_fd >= 0) ::close(dir_fd);
        }
#endif
        for (std::size_t i = 0; !synced && i < pending_.size(); ++i) {
            const int fd = ::open(pending_[i].temp.c_str(), O_RDONLY | O_CLOEXEC);
            const bool ok = fd >= 0 && ::fdatasync(fd) == 0;
            const int err = errno;
            if (fd >= 0) ::close(fd);
            if (!ok)
                return sdk::Status::retry("files: cannot sync " + pending_[i].temp.string() + ": " + errno_text(err));
        }
    }
    for (std::size_t i = 0; i < pending_.size(); ++i) {
        if (::rename(pending_[i].temp.c_str(), pending_[i].final.c_str()) != 0) {
            const int err = errno;
            const std::string target = pending_[i].final.string();
            // Keep what is not renamed yet: a retried flush() renames it, and a re-sent
            // batch queues newer temp files behind it, so the newest content still wins.
            pending_.erase(pending_.begin(), pending_.begin() + static_cast<std::ptrdiff_t>(i));
            if (err == ENOENT) pending_.erase(pending_.begin());  // its temp file is gone: nothing to retry
            return sdk::Status::retry("files: cannot rename to " + target + ": " + errno_text(err));
        }
    }
    pending_.clear();
    if (config_.fsync) {
        if (auto error = sync_directory(config_.dir); !error.empty()) return sdk::Status::retry("files: " + error);
    }
    return sdk::Status::ok();
}

void FilesWriter::discard_pending() noexcept {
    for (const auto& file : pending_)
        ::unlink(file.temp.c_str());
    pending_.clear();
}

sdk::Status FilesWriter::close() {
    discard_pending();  // never flushed, so never committed: the engine will send them again
    if (ndjson_fd_ >= 0) {
        ::close(ndjson_fd_);
        ndjson_fd_ = -1;
    }
    return sdk::Status::ok();
}

}  // namespace junction::files
