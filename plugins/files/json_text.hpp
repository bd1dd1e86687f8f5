// Parsing JSON text for the files plugin: one text with the error's line and column.
// Writing JSON text is the SDK's (junction/sdk/json_text.hpp: shortest doubles).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/parser.hpp>
#include <boost/json/value.hpp>

namespace junction::files {

struct TextPosition {
    std::size_t line = 1;    // 1-based
    std::size_t column = 1;  // 1-based, in bytes
};

// Where byte `offset` of text is, counting lines from `start`.
TextPosition position_in(std::string_view text, std::size_t offset, TextPosition start = {});

// Parses exactly one JSON value; on failure returns false and sets error to
// "invalid JSON at line L, column C: <reason>", positions counted from `start`.
bool parse_json_text(std::string_view text, boost::json::value& out, std::string& error, TextPosition start = {});

// parse_json_text for many texts in a row (NDJSON lines, array elements): keeps the
// parser's buffers between texts instead of building a parser for each one.
class JsonTextParser {
public:
    bool parse(std::string_view text, boost::json::value& out, std::string& error, TextPosition start = {});

private:
    boost::json::parser parser_;
};

// "expected a JSON object, got array" style type names for a parsed value.
const char* json_kind_name(const boost::json::value& v) noexcept;

}  // namespace junction::files
