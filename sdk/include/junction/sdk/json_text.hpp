// JSON text for people and files: compact or indented, with doubles in their shortest
// form that reads back as the same double ("0.25", "1000.0", "1e+300"), where Boost.JSON
// 1.81's serialize() writes "2.5E-1" and "1E3". Strings are escaped as Boost.JSON does.
#pragma once

#include <array>
#include <charconv>
#include <cmath>
#include <cstddef>
#include <string>
#include <string_view>
#include <system_error>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

namespace junction::sdk {

// Appends the shortest text that reads back as exactly d. An integral double keeps a
// ".0" ("1000.0", "-0.0") so that a parser reads it back as a double, not an integer.
// JSON has no NaN nor infinity: those are written as null.
inline void append_json_number(std::string& out, double d) {
    if (!std::isfinite(d)) {
        out += "null";
        return;
    }
    char buf[64];  // the longest shortest form is 24 characters ("-2.2250738585072014e-308")
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
    if (ec != std::errc{}) {  // cannot happen with 64 characters; stay valid JSON anyway
        out += "null";
        return;
    }
    const std::string_view text(buf, static_cast<std::size_t>(end - buf));
    out += text;
    if (text.find_first_of(".e") == std::string_view::npos) out += ".0";
}

// Appends s as a quoted JSON string, escaped exactly as boost::json::serialize does:
// \" \\ \b \f \n \r \t, other control characters as \u00xx (lower-case hex), every
// other byte as it is (UTF-8 is not re-encoded, '/' is not escaped).
inline void append_json_string(std::string& out, std::string_view s) {
    static constexpr char hex[] = "0123456789abcdef";
    // Which bytes need escaping: control characters, '"' and '\\'. A table lookup per byte
    // (this loop is the writers' hottest: a tenth of W1's time with three comparisons).
    static constexpr auto escaped = [] {
        std::array<bool, 256> t{};
        for (int c = 0; c < 0x20; ++c) t[static_cast<std::size_t>(c)] = true;
        t['"'] = t['\\'] = true;
        return t;
    }();
    out.push_back('"');
    std::size_t plain = 0;  // start of the run of bytes copied as they are
    for (std::size_t i = 0; i < s.size(); ++i) {
        const auto c = static_cast<unsigned char>(s[i]);
        if (!escaped[c]) continue;
        out.append(s.data() + plain, i - plain);
        plain = i + 1;
        out.push_back('\\');
        switch (c) {
            case '"':
                out.push_back('"');
                break;
            case '\\':
                out.push_back('\\');
                break;
            case '\b':
                out.push_back('b');
                break;
            case '\f':
                out.push_back('f');
                break;
            case '\n':
                out.push_back('n');
                break;
            case '\r':
                out.push_back('r');
                break;
            case '\t':
                out.push_back('t');
                break;
            default:
                out += "u00";
                out.push_back(hex[c >> 4]);
                out.push_back(hex[c & 15]);
        }
    }
    out.append(s.data() + plain, s.size() - plain);
    out.push_back('"');
}

namespace json_text_detail {

inline void write(std::string& out, const boost::json::value& v, unsigned indent, std::size_t depth);

inline void new_line(std::string& out, unsigned indent, std::size_t depth) {
    out.push_back('\n');
    out.append(indent * depth, ' ');
}

inline void write(std::string& out, const boost::json::object& o, unsigned indent, std::size_t depth) {
    if (o.empty()) {
        out += "{}";
        return;
    }
    out.push_back('{');
    bool first = true;
    for (const auto& kv : o) {
        if (!first) out.push_back(',');
        first = false;
        if (indent != 0) new_line(out, indent, depth + 1);
        append_json_string(out, kv.key());
        out.push_back(':');
        if (indent != 0) out.push_back(' ');
        write(out, kv.value(), indent, depth + 1);
    }
    if (indent != 0) new_line(out, indent, depth);
    out.push_back('}');
}

inline void write(std::string& out, const boost::json::array& a, unsigned indent, std::size_t depth) {
    if (a.empty()) {
        out += "[]";
        return;
    }
    out.push_back('[');
    bool first = true;
    for (const auto& e : a) {
        if (!first) out.push_back(',');
        first = false;
        if (indent != 0) new_line(out, indent, depth + 1);
        write(out, e, indent, depth + 1);
    }
    if (indent != 0) new_line(out, indent, depth);
    out.push_back(']');
}

template <class Integer>
void write_integer(std::string& out, Integer n) {
    char buf[24];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, n);
    (void)ec;  // 24 characters hold any 64-bit integer
    out.append(buf, end);
}

inline void write(std::string& out, const boost::json::value& v, unsigned indent, std::size_t depth) {
    switch (v.kind()) {
        case boost::json::kind::null:
            out += "null";
            return;
        case boost::json::kind::bool_:
            out += v.get_bool() ? "true" : "false";
            return;
        case boost::json::kind::int64:
            write_integer(out, v.get_int64());
            return;
        case boost::json::kind::uint64:
            write_integer(out, v.get_uint64());
            return;
        case boost::json::kind::double_:
            append_json_number(out, v.get_double());
            return;
        case boost::json::kind::string:
            append_json_string(out, v.get_string());
            return;
        case boost::json::kind::array:
            write(out, v.get_array(), indent, depth);
            return;
        case boost::json::kind::object:
            write(out, v.get_object(), indent, depth);
            return;
    }
}

}  // namespace json_text_detail

// Appends the JSON text of v to out (reuse one buffer for many lines, as NDJSON does).
// indent 0: compact, no spaces, as boost::json::serialize; otherwise one member or
// element a line, `indent` spaces a level, "key": value, no newline at the end.
inline void append_json_text(std::string& out, const boost::json::value& v, unsigned indent = 0) {
    json_text_detail::write(out, v, indent, 0);
}
inline void append_json_text(std::string& out, const boost::json::object& o, unsigned indent = 0) {
    json_text_detail::write(out, o, indent, 0);
}
inline void append_json_text(std::string& out, const boost::json::array& a, unsigned indent = 0) {
    json_text_detail::write(out, a, indent, 0);
}

// Compact JSON text: {"a":1,"b":[0.25,"x"]}.
[[nodiscard]] inline std::string to_json_text(const boost::json::value& v) {
    std::string out;
    append_json_text(out, v);
    return out;
}
[[nodiscard]] inline std::string to_json_text(const boost::json::object& o) {
    std::string out;
    append_json_text(out, o);
    return out;
}
[[nodiscard]] inline std::string to_json_text(const boost::json::array& a) {
    std::string out;
    append_json_text(out, a);
    return out;
}

// Indented JSON text, for files people read: `indent` spaces a level (at least 1).
[[nodiscard]] inline std::string to_json_text_indented(const boost::json::value& v, unsigned indent = 2) {
    std::string out;
    append_json_text(out, v, indent == 0 ? 1 : indent);
    return out;
}
[[nodiscard]] inline std::string to_json_text_indented(const boost::json::object& o, unsigned indent = 2) {
    std::string out;
    append_json_text(out, o, indent == 0 ? 1 : indent);
    return out;
}
[[nodiscard]] inline std::string to_json_text_indented(const boost::json::array& a, unsigned indent = 2) {
    std::string out;
    append_json_text(out, a, indent == 0 ? 1 : indent);
    return out;
}

}  // namespace junction::sdk
