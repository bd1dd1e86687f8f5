// Parsing JSON text for the files plugin: one text with the error's line and column.
// Writing JSON text is the SDK's (junction/sdk/json_text.hpp: shortest doubles).
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/basic_parser.hpp>
#include <boost/json/value.hpp>

namespace junction::files {

struct TextPosition {
    std::size_t line = 1;    // 1-based
    std::size_t column = 1;  // 1-based, in bytes
};

// Where byte `offset` of text is, counting lines from `start`.
TextPosition position_in(std::string_view text, std::size_t offset, TextPosition start = {});

// Parses exactly one JSON value, as Boost.JSON does (no duplicate-key or number-range
// checks: format detection only asks whether a line is one JSON value); on failure returns false and sets error to
// "invalid JSON at line L, column C: <reason>", positions counted from `start`.
bool parse_json_text(std::string_view text, boost::json::value& out, std::string& error, TextPosition start = {});

// Boost.JSON 1.81 keeps the last of two equal keys in one object without a word
// ({"orderNo": 5, "orderNo": 900} reads as 900). The parser below counts the members it
// parsed and compares them with the members it kept, which costs next to nothing; only
// when they differ is the text read again to name the key (find_duplicate_key).
namespace detail {
struct CountingHandler;
}

// Parses JSON text as boost::json::parser does, and refuses an object with a key given
// twice. For many texts in a row (NDJSON lines, array elements) it keeps its buffers
// between texts; for one text streamed in chunks (a whole file), use write_some().
class JsonTextParser {
public:
    JsonTextParser();
    ~JsonTextParser();
    JsonTextParser(const JsonTextParser&) = delete;
    JsonTextParser& operator=(const JsonTextParser&) = delete;

    // One whole text. A number out of a double's range (1e400) is invalid here. On
    // failure, error is "invalid JSON at line L, column C: <reason>"
    // or "duplicate key \"a.b\" (given twice in one object)", positions counted from start.
    bool parse(std::string_view text, boost::json::value& out, std::string& error, TextPosition start = {});
    // Whether the last parse() failed for a duplicate key (the JSON itself was valid).
    [[nodiscard]] bool refused_duplicate() const noexcept { return refused_duplicate_; }

    // Streaming: reset(), write_some() every chunk (more = false with the last, possibly
    // empty), then release(). write_some returns the bytes used, as basic_parser does.
    void reset();
    std::size_t write_some(std::string_view chunk, bool more, boost::json::error_code& ec);
    boost::json::value release();
    // After release(): whether the text had a key twice in one object.
    [[nodiscard]] bool had_duplicates(const boost::json::value& released) const noexcept;

private:
    std::unique_ptr<boost::json::basic_parser<detail::CountingHandler>> parser_;
    bool refused_duplicate_ = false;
};

// Finds the first key given twice in one object of a JSON text, fed in chunks; its path
// is "customer.id" or "lines[2].sku". Syntax errors end the search (the parse reports them).
class DuplicateKeyFinder {
public:
    DuplicateKeyFinder();
    ~DuplicateKeyFinder();
    // False once a duplicate was found or the text is malformed: stop feeding.
    bool write(std::string_view chunk);
    [[nodiscard]] const std::string& found() const noexcept;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// The first duplicate key of a whole text ("" when none).
std::string find_duplicate_key(std::string_view text);

// The refusal of a record with a duplicate key.
std::string duplicate_key_error(std::string_view path);

// "expected a JSON object, got array" style type names for a parsed value.
const char* json_kind_name(const boost::json::value& v) noexcept;

}  // namespace junction::files
