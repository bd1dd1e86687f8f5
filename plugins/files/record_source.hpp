// The records of one file, read in chunks: a whole-file object, the elements of a JSON
// array, or NDJSON lines. Memory stays bounded by the largest single record, so a
// 65 MB NDJSON file streams; every item carries the byte offset just after it, so a
// later run can resume after the last committed one.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include <boost/json/object.hpp>

#include "files_config.hpp"
#include "json_text.hpp"

namespace junction::files {

// What one file may hold. The record limit is what bounds memory: a record is held
// whole while it is parsed (and the parsed value is several times its text), while a
// file of any size streams.
struct SourceLimits {
    std::uint64_t max_record_bytes = 16 * 1024 * 1024;
    std::uint64_t max_file_bytes = 0;  // 0: no limit
};

// One record, or the reason a piece of input could not become one.
struct SourceItem {
    boost::json::object payload;
    std::string error;             // non-empty: not a record (bad JSON, not an object, unreadable)
    std::uint64_t end_offset = 0;  // byte offset just after this item in the file
    std::uint64_t number = 0;      // NDJSON line or array element, 1-based; 0 for a whole file
    bool whole_file = false;       // the error concerns the whole file (unreadable, not JSON)
    std::string text;              // the offending text, cut short (errors only)
};

class RecordSource {
public:
    // Items ending at or before resume_after are skipped (they were committed earlier).
    // Anything but a regular file (after following symbolic links) is refused unread, as
    // is a file over limits.max_file_bytes; a record over limits.max_record_bytes is an
    // error item found without holding it (NDJSON and arrays then go on after it).
    RecordSource(std::filesystem::path path, std::string name, FileFormat format, std::uint64_t resume_after,
                 SourceLimits limits = {});
    ~RecordSource();
    RecordSource(const RecordSource&) = delete;
    RecordSource& operator=(const RecordSource&) = delete;

    // The next item; false when the file has nothing more.
    bool next(SourceItem& item);
    // The format in use once next() was called (auto resolved; object for unreadable files).
    [[nodiscard]] FileFormat format() const noexcept { return format_; }
    [[nodiscard]] bool multi_record() const noexcept {
        return format_ == FileFormat::array || format_ == FileFormat::ndjson;
    }

private:
    enum class ArrayState : unsigned char { expect_open, expect_first, expect_element, in_element, after, closed };

    bool start(SourceItem& item);
    FileFormat detect();
    bool next_object(SourceItem& item);
    bool next_line(SourceItem& item);
    bool next_element(SourceItem& item);
    bool fail(SourceItem& item, std::string error, bool whole_file);
    // The first line is longer than a record may be: NDJSON when more follows it.
    FileFormat detect_past_long_line();
    // Reads past the rest of an NDJSON line too long to hold; true when it was an item.
    bool skip_long_line(SourceItem& item);
    [[nodiscard]] std::string too_large(std::string_view what, std::uint64_t bytes) const;
    // Reads more into buf_, keeping buf_[keep..]; false at end of file or on a read error.
    bool fill(std::size_t keep);
    void advance() noexcept;
    [[nodiscard]] std::uint64_t offset() const noexcept { return base_ + pos_; }
    TextPosition position_of(std::uint64_t offset) const;

    std::filesystem::path path_;
    std::string name_;
    FileFormat format_;
    std::uint64_t resume_after_;
    SourceLimits limits_;
    int fd_ = -1;
    bool started_ = false;
    bool done_ = false;
    bool eof_ = false;
    std::string read_error_;
    std::uint64_t size_ = 0;

    std::string buf_;
    std::size_t pos_ = 0;     // next unread byte in buf_
    std::uint64_t base_ = 0;  // file offset of buf_[0]

    std::uint64_t number_ = 0;  // lines or elements seen so far
    TextPosition at_;           // line and column of buf_[pos_] (arrays)
    ArrayState array_state_ = ArrayState::expect_open;
    std::size_t element_start_ = 0;
    std::uint64_t element_offset_ = 0;  // file offset of the element's first byte
    bool element_dropped_ = false;      // over the limit: scanned to its end, not kept
    TextPosition element_at_;
    std::size_t depth_ = 0;
    bool in_string_ = false;
    bool escaped_ = false;
    JsonTextParser parser_;  // reused for every line or element
};

}  // namespace junction::files
