#include "reader.hpp"

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <exception>
#include <optional>
#include <set>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>
#include <junction/sdk/iso8601.hpp>

#include "file_ops.hpp"
#include "json_text.hpp"
#include "name_filter.hpp"

namespace junction::files {

namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

// How long read() may work before handing back what it has, so the engine can stop.
constexpr auto read_budget = std::chrono::milliseconds(500);

std::string now_iso() {
    const auto now =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch());
    return sdk::format_iso8601_ms(now.count());
}

}  // namespace

std::string make_position(const FileIdentity& file, std::uint64_t offset) {
    char buf[64];  // two 20-digit decimals, 16 hex digits and two colons
    char* end = buf + sizeof buf;
    char* p = std::to_chars(buf, end, file.inode).ptr;
    *p++ = ':';
    char hex[16];
    const auto fp = file.fingerprint(offset);
    for (int i = 15, shift = 0; i >= 0; --i, shift += 4) hex[i] = "0123456789abcdef"[(fp >> shift) & 0xf];
    p = std::copy(hex, hex + 16, p);
    *p++ = ':';
    p = std::to_chars(p, end, offset).ptr;
    return std::string(buf, p);
}

bool parse_position(std::string_view position, std::uint64_t& inode, std::uint64_t& fingerprint,
                    std::uint64_t& offset) {
    const auto first = position.find(':');
    const auto second = first == std::string_view::npos ? first : position.find(':', first + 1);
    if (second == std::string_view::npos) return false;
    auto number = [](std::string_view digits, std::uint64_t& out, int base) {
        const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), out, base);
        return ec == std::errc{} && end == digits.data() + digits.size() && !digits.empty();
    };
    return number(position.substr(0, first), inode, 10) &&
           number(position.substr(first + 1, second - first - 1), fingerprint, 16) &&
           number(position.substr(second + 1), offset, 10);
}

FileIdentity FileIdentity::of(const fs::path& path) {
    FileIdentity id;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) return id;
    struct stat st {};
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
        id.inode = static_cast<std::uint64_t>(st.st_ino);
        id.head.resize(head_bytes);
        std::size_t got = 0;
        while (got < head_bytes) {
            const ssize_t n = ::pread(fd, id.head.data() + got, head_bytes - got, static_cast<off_t>(got));
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) break;
            got += static_cast<std::size_t>(n);
        }
        id.head.resize(got);
    }
    ::close(fd);
    return id;
}

// FNV-1a over the file's first min(offset, head_bytes) bytes: a position is only trusted
// for a file that still begins as the one it was taken in.
std::uint64_t FileIdentity::fingerprint(std::uint64_t offset) const {
    const auto n = std::min<std::uint64_t>({offset, head_bytes, head.size()});
    if (n == cached_length) return cached_fingerprint;
    std::uint64_t h = 14695981039346656037ull;
    for (std::size_t i = 0; i < n; ++i) {
        h ^= static_cast<unsigned char>(head[i]);
        h *= 1099511628211ull;
    }
    cached_length = n;
    cached_fingerprint = h;
    return h;
}

sdk::Status FilesReader::open(sdk::Context& context) {
    context_ = &context;
    if (auto s = parse_reader_config(context.options(), context.base_dir(), config_); !s.is_ok()) return s;
    process_tag_ = std::to_string(::getpid()) + "@" + std::to_string(process_start_time(::getpid()));
    // A missing inbound folder is created (as writers create theirs): a daemon started
    // before the folder exists, e.g. on a fresh volume, must not stop that pipeline.
    std::error_code ec;
    if (!fs::exists(config_.dir, ec)) fs::create_directories(config_.dir, ec);
    if (!fs::is_directory(config_.dir, ec))
        return sdk::Status::fatal("files: " + config_.dir.string() + " is not a folder and cannot be created" +
                                  (ec ? ": " + ec.message() : ""));
    std::string error;
    files_ = list_files(error);
    // A listing that failed half-way says nothing about which files are gone.
    if (!error.empty()) return sdk::Status::retry("files: cannot list " + config_.dir.string() + ": " + error);
    // Positions of files no longer in the folder (moved, deleted, or a crash between the
    // release and its drop) are dropped: nothing is in flight yet, and a file arriving
    // under that name later is a new one.
    std::vector<std::string> stale;
    for (const auto& [partition, offset] : context.committed()) {
        if (partition.empty())  // SDK 1 kept one position per pipeline, "<file>:<offset>"
            context.log().warn("a position from before per-file positions is dropped (" + offset +
                               "): files still in the folder are read again (the writers are idempotent)");
        if (!std::binary_search(files_.begin(), files_.end(), partition)) stale.push_back(partition);
    }
    for (const auto& partition : stale)
        context.drop_position(partition);
    context.log().debug("found " + std::to_string(files_.size()) + " file(s) matching " + config_.pattern + " in " +
                        config_.dir.string());
    return sdk::Status::ok();
}

// Where to start reading a file: after its committed position when it is the same file
// (same inode, beginning with the same bytes, at least as long); else (a new file under
// an old name, even on a reused inode, or one rewritten) from the start.
std::uint64_t FilesReader::resume_offset(const std::string& name, const FileIdentity& file) const {
    const auto committed = context_->committed_position(name);
    if (!committed) return 0;
    std::uint64_t was_inode = 0, fingerprint = 0, offset = 0;
    if (!parse_position(*committed, was_inode, fingerprint, offset) || was_inode != file.inode) return 0;
    if (file.head.size() < std::min<std::uint64_t>(offset, FileIdentity::head_bytes) ||
        file.fingerprint(offset) != fingerprint)
        return 0;
    std::error_code ec;
    const auto size = fs::file_size(config_.dir / name, ec);
    return !ec && size >= offset ? offset : 0;
}

std::vector<std::string> FilesReader::list_files(std::string& error) const {
    std::vector<std::string> names;
    std::error_code ec;
    const auto processed = config_.processed_dir.lexically_normal();
    const auto quarantine = config_.quarantine_dir.lexically_normal();
    for (fs::directory_iterator it(config_.dir, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (is_ignored_name(name) || !glob_match(config_.pattern, name)) continue;
        const auto path = it->path().lexically_normal();
        if (path == processed || path == quarantine) continue;
        if (skipped(*it, name)) continue;
        names.push_back(name);
    }
    if (ec) error = ec.message();
    std::sort(names.begin(), names.end());
    return names;
}

// FIFOs (a read would wait for a writer for ever), sockets, devices, directories and
// dangling links are never opened. Each is warned about once per entry and process: the
// note in the reader's state names this process, so a daemon's later polls say it at
// debug level only, and a new run (or a new entry under that name) warns again.
bool FilesReader::skipped(const fs::directory_entry& entry, const std::string& name) const {
    std::error_code ec;
    if (entry.is_regular_file(ec)) return false;  // follows a symbolic link to a regular file
    struct stat st {};
    std::string why;
    if (::stat(entry.path().c_str(), &st) == 0) {
        if (S_ISREG(st.st_mode)) return false;
        why = std::string(file_kind(st.st_mode)) + ", not a regular file";
    } else if (errno == ENOENT && ::lstat(entry.path().c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
        why = "a dangling symbolic link (its target does not exist)";
    } else {
        return false;  // gone since the listing, or unreadable: the read reports it
    }
    const std::string key = "skipped/" + name;
    const std::string note = why + "|" + std::to_string(st.st_ino) + "|" + process_tag_;
    auto& state = context_->state();
    try {
        if (state.get(key) == note) {
            context_->log().debug("skipping " + name + ": " + why);
            return true;
        }
    } catch (const std::exception&) {  // warn again rather than not at all
    }
    context_->log().warn("skipping " + name + ": " + why + "; it is never opened, and left where it is");
    try {
        state.put(key, note);
    } catch (const std::exception& e) {
        context_->log().debug("cannot note " + name + " as warned about: " + e.what());
    }
    return true;
}

bool FilesReader::settled(const fs::path& path, const std::string& name) const {
    if (config_.settle_ms <= 0) return true;
    std::error_code ec;
    const auto modified = fs::last_write_time(path, ec);
    if (ec) return true;  // unreadable: let the read report it
    const auto age =
        std::chrono::duration_cast<std::chrono::milliseconds>(fs::file_time_type::clock::now() - modified).count();
    if (age >= config_.settle_ms) return true;
    context_->log().debug("skipping " + name + " this run: modified " + std::to_string(age) + " ms ago, settle_ms is " +
                          std::to_string(config_.settle_ms));
    return false;
}

sdk::Status FilesReader::read(sdk::Batch& out, std::size_t max_records, bool& end_of_input) {
    end_of_input = false;
    const auto started = std::chrono::steady_clock::now();
    while (out.size() < max_records) {
        if (context_->stop_requested()) return sdk::Status::ok();
        if (std::chrono::steady_clock::now() - started > read_budget) return sdk::Status::ok();
        if (!current_) {
            if (next_file_ >= files_.size()) {
                end_of_input = true;
                return sdk::Status::ok();
            }
            current_name_ = files_[next_file_++];
            const fs::path path = config_.dir / current_name_;
            if (!settled(path, current_name_)) continue;
            current_file_ = FileIdentity::of(path);
            current_ = std::make_unique<RecordSource>(
                path, current_name_, config_.format, resume_offset(current_name_, current_file_),
                SourceLimits{.max_record_bytes = config_.max_record_bytes, .max_file_bytes = config_.max_file_bytes});
            notes_[current_name_] = FileNotes{};
        }

        SourceItem item;
        if (!current_->next(item)) {
            current_.reset();
            // Every record settled already (or none was left after the committed position:
            // a crash came between the commit and the release): let go of it now.
            if (auto done = tracker_.end(current_name_)) release(*done);
            continue;
        }

        sdk::Record record;
        record.meta.source = item.number > 0 ? current_name_ + "#" + std::to_string(item.number) : current_name_;
        record.meta.partition = current_name_;
        record.meta.position = make_position(current_file_, item.end_offset);
        record.meta.received_at = std::chrono::system_clock::now();
        if (item.error.empty()) {
            record.payload = std::move(item.payload);
        } else {
            record.meta.error = item.error;
            auto& p = record.payload;
            p["file"] = current_name_;
            p["path"] = (config_.dir / current_name_).string();
            if (item.number > 0)
                p[current_->format() == FileFormat::ndjson ? "line" : "element"] =
                    static_cast<std::int64_t>(item.number);
            p["error"] = item.error;
            if (!item.text.empty()) p["text"] = item.text;
        }
        auto& notes = notes_[current_name_];
        if (!tracker_.tracks(current_name_)) notes.single = !current_->multi_record() || item.whole_file;
        tracker_.read(current_name_);
        out.push_back(std::move(record));
    }
    return sdk::Status::ok();
}

sdk::Status FilesReader::acknowledge(const sdk::Acknowledgements& acks) {
    for (const auto& ack : acks.records()) {
        if (ack.outcome == sdk::Outcome::written) continue;
        const auto it = notes_.find(ack.meta.partition);
        if (it == notes_.end()) continue;
        std::string reason = !ack.reason.empty() ? ack.reason : ack.meta.error;
        it->second.rejected.push_back({ack.meta.source, reason.empty() ? "rejected" : std::move(reason)});
    }
    for (const auto& file : tracker_.acknowledge(acks))
        release(file);
    return sdk::Status::ok();
}

// Lets go of a file whose records are all settled and whose end was seen: quarantine,
// processed/, delete or keep; a file that left the folder has its position dropped (a
// kept one keeps it, so the next run reads only what was appended).
void FilesReader::release(const sdk::ReleasableSource& file) {
    const auto it = notes_.find(file.partition);
    const FileNotes notes = it != notes_.end() ? std::move(it->second) : FileNotes{};
    if (it != notes_.end()) notes_.erase(it);
    const bool gone = notes.single && !notes.rejected.empty() ? quarantine(file.partition, notes.rejected.front().reason)
                                                              : after_read(file.partition, file, notes);
    if (!gone) return;
    try {
        context_->drop_position(file.partition);
    } catch (const std::exception& e) {  // kept, and dropped at the next open
        context_->log().warn("cannot drop the position of " + file.partition + ": " + e.what());
    }
}

bool FilesReader::quarantine(const std::string& name, const std::string& reason) {
    const auto moved = move_into(config_.dir / name, config_.quarantine_dir);
    if (!moved.ok()) {
        // Left in place and not retried in this run (its state is dropped by the caller).
        context_->log().error("cannot quarantine " + name + " (" + reason + "): " + moved.error);
        return false;
    }
    const json::object sidecar{{"file", name}, {"reason", reason}, {"time", now_iso()}};
    const auto sidecar_path = moved.to.string() + ".error.json";
    if (auto error = write_file_atomic(sidecar_path, json::serialize(sidecar) + "\n", true); !error.empty())
        context_->log().error("cannot write " + sidecar_path + ": " + error);
    // The engine already logged the rejection (file and reason) as the one warning line.
    context_->log().debug("quarantined " + name + ": " + reason);
    return true;
}

bool FilesReader::after_read(const std::string& name, const sdk::ReleasableSource& file, const FileNotes& notes) {
    const fs::path path = config_.dir / name;
    switch (config_.after) {
        case AfterRead::keep:
            return false;
        case AfterRead::remove: {
            std::error_code ec;
            fs::remove(path, ec);
            if (ec) context_->log().error("cannot delete " + name + ": " + ec.message());
            return !ec;
        }
        case AfterRead::move:
            break;
    }
    const auto moved = move_into(path, config_.processed_dir);
    if (!moved.ok()) {
        context_->log().error("cannot move " + name + " to " + config_.processed_dir.string() + ": " + moved.error);
        return false;
    }
    if (notes.rejected.empty()) return true;
    // The rejected records are in the dead-letter store; the sidecar says which, beside the file.
    json::array rejected;
    for (const auto& r : notes.rejected)
        rejected.push_back(json::object{{"source", r.source}, {"reason", r.reason}});
    const json::object sidecar{{"file", name}, {"rejected", std::move(rejected)}, {"time", now_iso()}};
    const auto sidecar_path = moved.to.string() + ".rejected.json";
    if (auto error = write_file_atomic(sidecar_path, json::serialize(sidecar) + "\n", true); !error.empty())
        context_->log().error("cannot write " + sidecar_path + ": " + error);
    context_->log().warn("processed " + name + " with " + std::to_string(notes.rejected.size()) + " of " +
                         std::to_string(file.records()) + " records rejected (listed in " +
                         moved.to.filename().string() + ".rejected.json)");
    return true;
}

}  // namespace junction::files
