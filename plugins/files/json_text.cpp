#include "json_text.hpp"

#include <boost/json/stream_parser.hpp>
#include <junction/sdk/json_types.hpp>

namespace junction::files {

namespace json = boost::json;

TextPosition position_in(std::string_view text, std::size_t offset, TextPosition start) {
    TextPosition pos = start;
    const auto end = std::min(offset, text.size());
    for (std::size_t i = 0; i < end; ++i) {
        if (text[i] == '\n') {
            ++pos.line;
            pos.column = 1;
        } else {
            ++pos.column;
        }
    }
    return pos;
}

bool parse_json_text(std::string_view text, json::value& out, std::string& error, TextPosition start) {
    json::stream_parser parser;
    json::error_code ec;
    const std::size_t used = parser.write(text.data(), text.size(), ec);
    if (!ec) parser.finish(ec);
    if (ec) {
        // write() reports how far it got; a truncated text fails at its end in finish().
        const auto at = position_in(text, ec == json::error::extra_data ? used : std::min(used, text.size()), start);
        error = "invalid JSON at line " + std::to_string(at.line) + ", column " + std::to_string(at.column) + ": " +
                ec.message();
        return false;
    }
    out = parser.release();
    return true;
}

bool JsonTextParser::parse(std::string_view text, json::value& out, std::string& error, TextPosition start) {
    json::error_code ec;
    parser_.reset();
    parser_.write(text.data(), text.size(), ec);              // the whole text: also finishes
    if (ec) return parse_json_text(text, out, error, start);  // rare: it words the error
    out = parser_.release();
    return true;
}

const char* json_kind_name(const json::value& v) noexcept {
    return sdk::json_type_name(v);
}

}  // namespace junction::files
