#include "record_source.hpp"

#include "file_ops.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include <boost/json/stream_parser.hpp>

namespace junction::files {

namespace json = boost::json;

namespace {

constexpr std::size_t chunk_size = 64 * 1024;
constexpr std::size_t max_error_text = 512;

bool is_space(char c) noexcept {
    return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

std::string_view trim(std::string_view s) noexcept {
    while (!s.empty() && is_space(s.front()))
        s.remove_prefix(1);
    while (!s.empty() && is_space(s.back()))
        s.remove_suffix(1);
    return s;
}

std::string cut(std::string_view s) {
    return s.size() <= max_error_text ? std::string(s) : std::string(s.substr(0, max_error_text)) + "...";
}

std::string errno_text(int err) {
    return std::strerror(err);
}

}  // namespace

RecordSource::RecordSource(std::filesystem::path path, std::string name, FileFormat format, std::uint64_t resume_after,
                           SourceLimits limits)
    : path_(std::move(path)), name_(std::move(name)), format_(format), resume_after_(resume_after), limits_(limits) {}

RecordSource::~RecordSource() {
    if (fd_ >= 0) ::close(fd_);
}

bool RecordSource::fail(SourceItem& item, std::string error, bool whole_file) {
    item.error = std::move(error);
    item.whole_file = whole_file;
    item.end_offset = whole_file ? size_ : offset();
    done_ = true;
    return true;
}

bool RecordSource::fill(std::size_t keep) {
    if (eof_) return false;
    keep = std::min(keep, pos_);
    if (keep > 0) {
        buf_.erase(0, keep);
        base_ += keep;
        pos_ -= keep;
    }
    const auto old = buf_.size();
    buf_.resize(old + chunk_size);
    ssize_t n = 0;
    do {
        n = ::read(fd_, buf_.data() + old, chunk_size);
    } while (n < 0 && errno == EINTR);
    if (n <= 0) {
        buf_.resize(old);
        eof_ = true;
        if (n < 0) read_error_ = "cannot read: " + errno_text(errno);
        return false;
    }
    buf_.resize(old + static_cast<std::size_t>(n));
    return true;
}

std::string RecordSource::too_large(std::string_view what, std::uint64_t bytes) const {
    return name_ + " " + std::string(what) + " is " + std::to_string(bytes) + " bytes, over max_record_bytes (" +
           std::to_string(limits_.max_record_bytes) + "): skipped without reading it into memory";
}

void RecordSource::advance() noexcept {
    if (buf_[pos_] == '\n') {
        ++at_.line;
        at_.column = 1;
    } else {
        ++at_.column;
    }
    ++pos_;
}

TextPosition RecordSource::position_of(std::uint64_t offset) const {
    // Error path only: count lines again from the start of the file.
    TextPosition pos;
    std::string chunk(chunk_size, '\0');
    std::uint64_t at = 0;
    while (at < offset) {
        const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(chunk_size, offset - at));
        const ssize_t n = ::pread(fd_, chunk.data(), want, static_cast<off_t>(at));
        if (n <= 0) break;
        pos =
            position_in(std::string_view(chunk.data(), static_cast<std::size_t>(n)), static_cast<std::size_t>(n), pos);
        at += static_cast<std::uint64_t>(n);
    }
    return pos;
}

bool RecordSource::start(SourceItem& item) {
    started_ = true;
    // O_NONBLOCK: a FIFO put there after the folder was listed must not hang the open;
    // fstat then refuses it (and any other non-regular file) before a read.
    fd_ = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd_ < 0) {
        const int err = errno;
        std::error_code ec;
        const bool dangling = err == ENOENT && std::filesystem::is_symlink(std::filesystem::symlink_status(path_, ec));
        format_ = format_ == FileFormat::auto_detect ? FileFormat::object : format_;
        return fail(item, "cannot open: " + errno_text(err) + (dangling ? " (dangling symbolic link)" : ""), true);
    }
    struct stat st {};
    if (::fstat(fd_, &st) != 0) return fail(item, "cannot stat: " + errno_text(errno), true);
    if (!S_ISREG(st.st_mode)) {
        format_ = FileFormat::object;
        return fail(item, std::string("not a regular file: ") + file_kind(st.st_mode), true);
    }
    size_ = static_cast<std::uint64_t>(st.st_size);
    if (limits_.max_file_bytes > 0 && size_ > limits_.max_file_bytes) {
        format_ = format_ == FileFormat::auto_detect ? FileFormat::object : format_;
        return fail(item,
                    name_ + " is " + std::to_string(size_) + " bytes, over max_file_bytes (" +
                        std::to_string(limits_.max_file_bytes) + "): not read",
                    true);
    }
    // A UTF-8 byte order mark is not JSON; editors on Windows add one.
    fill(0);
    if (buf_.starts_with("\xEF\xBB\xBF")) {
        pos_ = 3;
        at_.column = 1;
    }
    if (format_ == FileFormat::auto_detect) format_ = detect();
    return false;
}

FileFormat RecordSource::detect() {
    if (name_.ends_with(".ndjson") || name_.ends_with(".jsonl")) return FileFormat::ndjson;
    // Nothing here holds more than about one record: past that, whitespace is an object
    // file (over the limit as a whole), a long first line is looked past on the disk.
    const auto held_too_much = [&] { return buf_.size() > limits_.max_record_bytes + chunk_size; };
    std::size_t i = pos_;
    for (;; ++i) {
        if (i == buf_.size() && (held_too_much() || !fill(0))) return FileFormat::object;
        if (!is_space(buf_[i])) break;
    }
    if (buf_[i] == '[') return FileFormat::array;
    // NDJSON when the first line is a complete JSON value and more follows.
    std::size_t newline = buf_.find('\n', i);
    while (newline == std::string::npos) {
        const auto searched = buf_.size();
        if (searched - i > limits_.max_record_bytes) return detect_past_long_line();
        if (!fill(0)) return FileFormat::object;
        newline = buf_.find('\n', searched);
    }
    if (newline - i > limits_.max_record_bytes) return detect_past_long_line();
    for (std::size_t j = newline + 1;; ++j) {
        if (j == buf_.size() && (held_too_much() || !fill(0))) return FileFormat::object;
        if (!is_space(buf_[j])) break;
    }
    json::value first;
    std::string error;
    return parse_json_text(std::string_view(buf_).substr(i, newline - i), first, error) ? FileFormat::ndjson
                                                                                        : FileFormat::object;
}

FileFormat RecordSource::detect_past_long_line() {
    // pread: the buffer stays as it is, next_line() skips the long line again from there.
    std::string chunk(chunk_size, '\0');
    bool after_newline = false;
    for (std::uint64_t at = base_ + buf_.size();;) {
        const ssize_t n = ::pread(fd_, chunk.data(), chunk.size(), static_cast<off_t>(at));
        if (n <= 0) return FileFormat::object;
        for (ssize_t k = 0; k < n; ++k) {
            const char c = chunk[static_cast<std::size_t>(k)];
            if (!after_newline)
                after_newline = c == '\n';
            else if (!is_space(c))
                return FileFormat::ndjson;
        }
        at += static_cast<std::uint64_t>(n);
    }
}

bool RecordSource::skip_long_line(SourceItem& item) {
    const std::uint64_t line_start = offset();
    ++number_;
    std::size_t newline = std::string::npos;
    while (newline == std::string::npos) {
        pos_ = buf_.size();
        if (!fill(pos_)) break;
        newline = buf_.find('\n', pos_);
    }
    pos_ = newline == std::string::npos ? buf_.size() : newline + 1;
    if (offset() <= resume_after_) return false;
    item.number = number_;
    item.end_offset = offset();
    item.error = too_large("line " + std::to_string(number_),
                           offset() - line_start - (newline == std::string::npos ? 0 : 1));
    return true;
}

bool RecordSource::next(SourceItem& item) {
    item = SourceItem{};
    if (done_) return false;
    if (!started_ && start(item)) return true;
    switch (format_) {
        case FileFormat::ndjson:
            return next_line(item);
        case FileFormat::array:
            return next_element(item);
        default:
            return next_object(item);
    }
}

bool RecordSource::next_object(SourceItem& item) {
    done_ = true;
    if (resume_after_ > 0 && resume_after_ >= size_) return false;  // committed in an earlier run
    if (size_ > limits_.max_record_bytes) return fail(item, too_large("(one record, the whole file)", size_), true);
    JsonTextParser& parser = parser_;
    parser.reset();
    json::error_code ec;
    bool any = false;
    for (;;) {
        const std::string_view chunk = std::string_view(buf_).substr(pos_);
        any = any || std::any_of(chunk.begin(), chunk.end(), [](char c) { return !is_space(c); });
        std::size_t used = parser.write_some(chunk, true, ec);
        if (!ec && used < chunk.size()) ec = json::error::extra_data;
        if (ec) {
            const auto at = position_of(offset() + used);
            item.text = cut(chunk.substr(used, 80));
            return fail(item,
                        "invalid JSON at line " + std::to_string(at.line) + ", column " + std::to_string(at.column) +
                            ": " + ec.message(),
                        true);
        }
        pos_ = buf_.size();
        if (!fill(pos_)) break;
    }
    if (!read_error_.empty()) return fail(item, read_error_, true);
    size_ = offset();
    if (!any) return fail(item, "empty file: no JSON value", true);
    parser.write_some({}, false, ec);
    if (ec) {
        const auto at = position_of(size_);
        return fail(item,
                    "invalid JSON at line " + std::to_string(at.line) + ", column " + std::to_string(at.column) + ": " +
                        ec.message(),
                    true);
    }
    json::value value = parser.release();
    if (parser.had_duplicates(value)) {
        // Rare: read the file again to name the key (it is at most max_record_bytes).
        DuplicateKeyFinder finder;
        std::string chunk(chunk_size, '\0');
        for (std::uint64_t at = 0; at < size_;) {
            const ssize_t n = ::pread(fd_, chunk.data(), chunk.size(), static_cast<off_t>(at));
            if (n <= 0 || !finder.write(std::string_view(chunk.data(), static_cast<std::size_t>(n)))) break;
            at += static_cast<std::uint64_t>(n);
        }
        return fail(item, name_ + ": " + duplicate_key_error(finder.found()), true);
    }
    if (!value.is_object())
        return fail(item, std::string("expected a JSON object, got ") + json_kind_name(value), true);
    item.payload = std::move(value.get_object());
    item.end_offset = size_;
    return true;
}

bool RecordSource::next_line(SourceItem& item) {
    for (;;) {
        std::size_t newline = buf_.find('\n', pos_);
        while (newline == std::string::npos && !eof_) {
            const auto searched = buf_.size() - pos_;
            if (searched > limits_.max_record_bytes) {
                if (skip_long_line(item)) return true;
                newline = buf_.find('\n', pos_);
                continue;
            }
            fill(pos_);
            newline = buf_.find('\n', pos_ + searched);
        }
        if (newline == std::string::npos && pos_ == buf_.size()) {
            done_ = true;
            if (!read_error_.empty()) return fail(item, read_error_, false);
            return false;
        }
        const std::size_t end = newline == std::string::npos ? buf_.size() : newline + 1;
        const std::string_view line = trim(std::string_view(buf_).substr(pos_, end - pos_));
        const std::size_t line_start = pos_;
        pos_ = end;
        ++number_;
        if (offset() <= resume_after_ || line.empty()) continue;

        item.number = number_;
        item.end_offset = offset();
        json::value value;
        std::string error;
        const std::size_t indent = line.data() - (buf_.data() + line_start);
        if (line.size() > limits_.max_record_bytes) {
            item.error = too_large("line " + std::to_string(number_), line.size());
        } else if (!parser_.parse(line, value, error, {number_, indent + 1})) {
            item.error = parser_.refused_duplicate() ? name_ + " line " + std::to_string(number_) + ": " + error
                                                     : std::move(error);
            item.text = cut(line);
        } else if (!value.is_object()) {
            item.error =
                "line " + std::to_string(number_) + " is not a JSON object (got " + json_kind_name(value) + ")";
            item.text = cut(line);
        } else {
            item.payload = std::move(value.get_object());
        }
        return true;
    }
}

bool RecordSource::next_element(SourceItem& item) {
    for (;;) {
        if (pos_ == buf_.size()) {
            // An element longer than a record may be is scanned to its end, not kept.
            if (array_state_ == ArrayState::in_element && !element_dropped_ &&
                offset() - element_offset_ > limits_.max_record_bytes)
                element_dropped_ = true;
            const std::size_t keep =
                array_state_ == ArrayState::in_element && !element_dropped_ ? element_start_ : pos_;
            const std::size_t shift = std::min(keep, pos_);
            if (!fill(keep)) {
                done_ = true;
                if (!read_error_.empty()) return fail(item, read_error_, false);
                if (array_state_ == ArrayState::closed) return false;
                if (array_state_ == ArrayState::expect_open)
                    return fail(item, "expected a JSON array, the file is empty", true);
                return fail(item, "unexpected end of file: the array is not closed (truncated file?)", false);
            }
            element_start_ -= std::min(element_start_, shift);
        }
        const char c = buf_[pos_];
        switch (array_state_) {
            case ArrayState::expect_open:
                if (is_space(c)) break;
                if (c != '[')
                    return fail(item,
                                std::string("expected a JSON array, found '") + c + "' at line " +
                                    std::to_string(at_.line) + ", column " + std::to_string(at_.column),
                                true);
                array_state_ = ArrayState::expect_first;
                break;
            case ArrayState::expect_first:
            case ArrayState::expect_element:
                if (is_space(c)) break;
                if (c == ']') {
                    if (array_state_ == ArrayState::expect_element)
                        return fail(item,
                                    "invalid JSON at line " + std::to_string(at_.line) + ", column " +
                                        std::to_string(at_.column) + ": trailing comma in array",
                                    false);
                    array_state_ = ArrayState::closed;
                    break;
                }
                array_state_ = ArrayState::in_element;
                element_start_ = pos_;
                element_offset_ = offset();
                element_dropped_ = false;
                element_at_ = at_;
                depth_ = 0;
                in_string_ = escaped_ = false;
                continue;  // the element's first character is scanned below
            case ArrayState::in_element:
                if (in_string_) {
                    if (escaped_)
                        escaped_ = false;
                    else if (c == '\\')
                        escaped_ = true;
                    else if (c == '"')
                        in_string_ = false;
                } else if (c == '"') {
                    in_string_ = true;
                } else if (c == '{' || c == '[') {
                    ++depth_;
                } else if ((c == '}' || c == ']') && depth_ > 0) {
                    --depth_;
                } else if (depth_ == 0 && (c == ',' || c == ']')) {
                    array_state_ = ArrayState::after;
                    ++number_;
                    if (offset() <= resume_after_) continue;
                    item.number = number_;
                    item.end_offset = offset();
                    if (element_dropped_ || offset() - element_offset_ > limits_.max_record_bytes) {
                        item.error = too_large("element " + std::to_string(number_), offset() - element_offset_);
                        return true;
                    }
                    const std::string_view text = std::string_view(buf_).substr(element_start_, pos_ - element_start_);
                    json::value value;
                    std::string error;
                    if (!parser_.parse(text, value, error, element_at_)) {
                        item.error = parser_.refused_duplicate()
                                         ? name_ + " element " + std::to_string(number_) + ": " + error
                                         : std::move(error);
                        item.text = cut(trim(text));
                    } else if (!value.is_object()) {
                        item.error = "element " + std::to_string(number_) + " is not a JSON object (got " +
                                     json_kind_name(value) + ")";
                        item.text = cut(trim(text));
                    } else {
                        item.payload = std::move(value.get_object());
                    }
                    return true;
                }
                break;
            case ArrayState::after:
                if (is_space(c)) break;
                if (c == ',') {
                    array_state_ = ArrayState::expect_element;
                } else if (c == ']') {
                    array_state_ = ArrayState::closed;
                } else {
                    return fail(item,
                                "invalid JSON at line " + std::to_string(at_.line) + ", column " +
                                    std::to_string(at_.column) + ": expected ',' or ']' after an element",
                                false);
                }
                break;
            case ArrayState::closed:
                if (is_space(c)) break;
                return fail(item,
                            "invalid JSON at line " + std::to_string(at_.line) + ", column " +
                                std::to_string(at_.column) + ": extra data after the array",
                            false);
        }
        advance();
    }
}

}  // namespace junction::files
