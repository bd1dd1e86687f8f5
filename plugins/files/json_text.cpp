#include "json_text.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/serializer.hpp>
#include <boost/json/stream_parser.hpp>

#include "common/json_path.hpp"

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
    return common::json_type_name(v);
}

namespace {

void indent_to(std::string& out, std::size_t depth) {
    out += '\n';
    out.append(depth * 2, ' ');
}

void pretty(const json::value& v, std::string& out, std::size_t depth) {
    if (v.is_object() && !v.get_object().empty()) {
        out += '{';
        bool first = true;
        for (const auto& [k, child] : v.get_object()) {
            if (!first) out += ',';
            first = false;
            indent_to(out, depth + 1);
            out += json::serialize(json::string_view(k));
            out += ": ";
            pretty(child, out, depth + 1);
        }
        indent_to(out, depth);
        out += '}';
    } else if (v.is_array() && !v.get_array().empty()) {
        out += '[';
        bool first = true;
        for (const auto& child : v.get_array()) {
            if (!first) out += ',';
            first = false;
            indent_to(out, depth + 1);
            pretty(child, out, depth + 1);
        }
        indent_to(out, depth);
        out += ']';
    } else {
        out += json::serialize(v);
    }
}

}  // namespace

std::string to_json_text(const json::object& object, bool indent) {
    if (!indent) return json::serialize(object);
    std::string out;
    pretty(object, out, 0);
    return out;
}

void append_json_text(std::string& out, const json::object& object) {
    json::serializer sr;
    sr.reset(&object);
    char chunk[4096];
    while (!sr.done()) {
        const auto part = sr.read(chunk);
        out.append(part.data(), part.size());
    }
}

}  // namespace junction::files
