#include "file_name_template.hpp"

#include <boost/json/serialize.hpp>

#include <junction/sdk/json_path.hpp>

namespace junction::files {

std::string FileNameTemplate::parse(std::string_view text) {
    parts_.clear();
    std::string literal;
    for (std::size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if ((c == '{' || c == '}') && i + 1 < text.size() && text[i + 1] == c) {  // {{ and }} are literal braces
            literal += c;
            ++i;
        } else if (c == '{') {
            const auto close = text.find('}', i);
            if (close == std::string_view::npos) return "unclosed '{' in \"" + std::string(text) + "\"";
            const auto field = text.substr(i + 1, close - i - 1);
            if (field.empty()) return "empty placeholder {} in \"" + std::string(text) + "\"";
            if (!sdk::is_valid_path(field))
                return "placeholder {" + std::string(field) + "} is not a field path: it has an empty segment";
            if (!literal.empty()) parts_.push_back({false, std::move(literal)});
            literal.clear();
            parts_.push_back({true, std::string(field)});
            i = close;
        } else if (c == '}') {
            return "unmatched '}' in \"" + std::string(text) + "\"";
        } else {
            literal += c;
        }
    }
    if (!literal.empty()) parts_.push_back({false, std::move(literal)});
    for (const auto& p : parts_)
        if (!p.field && (p.text.find('/') != std::string::npos || p.text.find("..") != std::string::npos))
            return "a file name, not a path: no '/' or '..' in \"" + std::string(text) + "\"";
    if (parts_.empty()) return "empty file name";
    return {};
}

bool FileNameTemplate::render(const boost::json::object& record, std::string& name, std::string& error) const {
    name.clear();
    for (const auto& part : parts_) {
        if (!part.field) {
            name += part.text;
            continue;
        }
        const auto* v = sdk::find_path(record, part.text);
        if (v == nullptr || v->is_null()) {
            error = "file_name: field " + part.text + " is missing";
            return false;
        }
        std::string text;
        if (v->is_string())
            text = v->get_string();
        else if (v->is_int64() || v->is_uint64())
            text = boost::json::serialize(*v);
        else {
            error = "file_name: field " + part.text + " must be a string or integer, got " + sdk::json_type_name(*v);
            return false;
        }
        if (text.empty()) {
            error = "file_name: field " + part.text + " is empty";
            return false;
        }
        name += sanitize_name_part(text);
    }
    if (name.front() == '.') name.insert(0, 1, '_');  // never hidden: a reader of this folder would skip it
    if (name.size() > 255) {
        error = "file_name: \"" + name.substr(0, 40) + "...\" is longer than 255 bytes";
        return false;
    }
    return true;
}

std::string sanitize_name_part(std::string_view value) {
    std::string out;
    out.reserve(value.size());
    for (std::size_t i = 0; i < value.size(); ++i) {
        const auto c = static_cast<unsigned char>(value[i]);
        if (c == '.' && i + 1 < value.size() && value[i + 1] == '.') {
            out += '_';
            ++i;
        } else if (c == '/' || c == '\\' || c < 0x20 || c == 0x7f) {
            out += '_';
        } else {
            out += static_cast<char>(c);
        }
    }
    return out;
}

}  // namespace junction::files
