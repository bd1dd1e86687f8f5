#include "json_text.hpp"

#include <cmath>
#include <set>
#include <vector>

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/stream_parser.hpp>
#include <boost/json/value_stack.hpp>
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

namespace detail {

// boost::json::parser's own handler (boost/json/detail/impl/handler.ipp), building the
// value on a value_stack, plus a count of the members of every object parsed.
struct CountingHandler {
    static constexpr std::size_t max_object_size = json::object::max_size();
    static constexpr std::size_t max_array_size = json::array::max_size();
    static constexpr std::size_t max_key_size = json::string::max_size();
    static constexpr std::size_t max_string_size = json::string::max_size();

    json::value_stack st;
    std::size_t members = 0;

    bool on_document_begin(json::error_code&) { return true; }
    bool on_document_end(json::error_code&) { return true; }
    bool on_object_begin(json::error_code&) { return true; }
    bool on_object_end(std::size_t n, json::error_code&) {
        members += n;
        st.push_object(n);  // keeps the last of equal keys
        return true;
    }
    bool on_array_begin(json::error_code&) { return true; }
    bool on_array_end(std::size_t n, json::error_code&) {
        st.push_array(n);
        return true;
    }
    bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
        st.push_chars(s);
        return true;
    }
    bool on_key(json::string_view s, std::size_t, json::error_code&) {
        st.push_key(s);
        return true;
    }
    bool on_string_part(json::string_view s, std::size_t, json::error_code&) {
        st.push_chars(s);
        return true;
    }
    bool on_string(json::string_view s, std::size_t, json::error_code&) {
        st.push_string(s);
        return true;
    }
    bool on_number_part(json::string_view, json::error_code&) { return true; }
    bool on_int64(std::int64_t i, json::string_view, json::error_code&) {
        st.push_int64(i);
        return true;
    }
    bool on_uint64(std::uint64_t u, json::string_view, json::error_code&) {
        st.push_uint64(u);
        return true;
    }
    bool on_double(double d, json::string_view, json::error_code& ec) {
        // 1e400 would be infinity, which no JSON writer can write back: refused.
        if (!std::isfinite(d)) {
            ec = json::error::exponent_overflow;
            return false;
        }
        st.push_double(d);
        return true;
    }
    bool on_bool(bool b, json::error_code&) {
        st.push_bool(b);
        return true;
    }
    bool on_null(json::error_code&) {
        st.push_null();
        return true;
    }
    bool on_comment_part(json::string_view, json::error_code&) { return true; }
    bool on_comment(json::string_view, json::error_code&) { return true; }
};

}  // namespace detail

namespace {

// Members kept in every object of v: fewer than were parsed means a key came twice.
std::size_t kept_members(const json::value& v) noexcept {
    std::size_t n = 0;
    if (const auto* o = v.if_object()) {
        n = o->size();
        for (const auto& m : *o)
            if (m.value().is_structured()) n += kept_members(m.value());
    } else if (const auto* a = v.if_array()) {
        for (const auto& e : *a)
            if (e.is_structured()) n += kept_members(e);
    }
    return n;
}

struct Frame {
    bool object = false;
    std::set<std::string, std::less<>> keys;
    std::string key;        // objects: the member being read
    std::size_t index = 0;  // arrays: the element being read
};

// Keys per open object, as core/src/duplicate_keys.cpp does for the config file: only
// run on a record already known to hold a duplicate, to name it.
class KeyHandler {
public:
    static constexpr std::size_t max_array_size = static_cast<std::size_t>(-1);
    static constexpr std::size_t max_object_size = static_cast<std::size_t>(-1);
    static constexpr std::size_t max_string_size = static_cast<std::size_t>(-1);
    static constexpr std::size_t max_key_size = static_cast<std::size_t>(-1);

    std::string found;

    bool on_document_begin(json::error_code&) { return true; }
    bool on_document_end(json::error_code&) { return true; }
    bool on_array_begin(json::error_code&) { return open(false); }
    bool on_array_end(std::size_t, json::error_code&) { return close(); }
    bool on_object_begin(json::error_code&) { return open(true); }
    bool on_object_end(std::size_t, json::error_code&) { return close(); }
    bool on_string_part(json::string_view, std::size_t, json::error_code&) { return true; }
    bool on_string(json::string_view, std::size_t, json::error_code&) { return value(); }
    bool on_key_part(json::string_view s, std::size_t, json::error_code&) {
        key_.append(s.data(), s.size());
        return true;
    }
    bool on_key(json::string_view s, std::size_t, json::error_code&) {
        key_.append(s.data(), s.size());
        auto& f = stack_.back();
        if (!f.keys.insert(key_).second) {
            found = path_to(key_);
            return false;  // stops the parser: one is enough
        }
        f.key = std::move(key_);
        key_.clear();
        return true;
    }
    bool on_number_part(json::string_view, json::error_code&) { return true; }
    bool on_int64(std::int64_t, json::string_view, json::error_code&) { return value(); }
    bool on_uint64(std::uint64_t, json::string_view, json::error_code&) { return value(); }
    bool on_double(double, json::string_view, json::error_code&) { return value(); }
    bool on_bool(bool, json::error_code&) { return value(); }
    bool on_null(json::error_code&) { return value(); }
    bool on_comment_part(json::string_view, json::error_code&) { return true; }
    bool on_comment(json::string_view, json::error_code&) { return true; }

private:
    bool open(bool object) {
        stack_.push_back(Frame{.object = object, .keys = {}, .key = {}, .index = 0});
        return true;
    }
    bool close() {
        stack_.pop_back();
        return value();
    }
    bool value() {
        if (!stack_.empty() && !stack_.back().object) ++stack_.back().index;
        return true;
    }
    std::string path_to(const std::string& last) const {
        std::string out;
        for (std::size_t i = 0; i + 1 < stack_.size(); ++i) {
            const auto& f = stack_[i];
            if (f.object) {
                if (!out.empty()) out.push_back('.');
                out.append(f.key);
            } else {
                out.push_back('[');
                out.append(std::to_string(f.index));
                out.push_back(']');
            }
        }
        if (!out.empty()) out.push_back('.');
        out.append(last);
        return out;
    }

    std::vector<Frame> stack_;
    std::string key_;
};

}  // namespace

JsonTextParser::JsonTextParser()
    : parser_(std::make_unique<json::basic_parser<detail::CountingHandler>>(json::parse_options{})) {}

JsonTextParser::~JsonTextParser() = default;

void JsonTextParser::reset() {
    parser_->reset();
    parser_->handler().st.reset();
    parser_->handler().members = 0;
}

std::size_t JsonTextParser::write_some(std::string_view chunk, bool more, json::error_code& ec) {
    return parser_->write_some(more, chunk.data(), chunk.size(), ec);
}

json::value JsonTextParser::release() {
    return parser_->handler().st.release();
}

bool JsonTextParser::had_duplicates(const json::value& released) const noexcept {
    return parser_->handler().members != kept_members(released);
}

bool JsonTextParser::parse(std::string_view text, json::value& out, std::string& error, TextPosition start) {
    json::error_code ec;
    reset();
    refused_duplicate_ = false;
    const std::size_t used = write_some(text, false, ec);
    if (!ec && used < text.size()) ec = json::error::extra_data;
    if (ec) {
        // write_some() reports how far it got; a truncated text fails at its end.
        const auto at = position_in(text, std::min(used, text.size()), start);
        error = "invalid JSON at line " + std::to_string(at.line) + ", column " + std::to_string(at.column) + ": " +
                ec.message();
        return false;
    }
    out = release();
    if (had_duplicates(out)) {
        error = duplicate_key_error(find_duplicate_key(text));
        refused_duplicate_ = true;
        return false;
    }
    return true;
}

struct DuplicateKeyFinder::Impl {
    json::basic_parser<KeyHandler> parser{json::parse_options{}};
    bool stopped = false;
};

DuplicateKeyFinder::DuplicateKeyFinder() : impl_(std::make_unique<Impl>()) {}
DuplicateKeyFinder::~DuplicateKeyFinder() = default;

bool DuplicateKeyFinder::write(std::string_view chunk) {
    if (impl_->stopped) return false;
    json::error_code ec;
    impl_->parser.write_some(true, chunk.data(), chunk.size(), ec);
    impl_->stopped = static_cast<bool>(ec);
    return !impl_->stopped;
}

const std::string& DuplicateKeyFinder::found() const noexcept {
    return impl_->parser.handler().found;
}

std::string find_duplicate_key(std::string_view text) {
    DuplicateKeyFinder finder;
    finder.write(text);
    return finder.found();
}

std::string duplicate_key_error(std::string_view path) {
    return "duplicate key \"" + std::string(path) + "\": given twice in one object (refused rather than keeping the last)";
}

const char* json_kind_name(const json::value& v) noexcept {
    return sdk::json_type_name(v);
}

}  // namespace junction::files
