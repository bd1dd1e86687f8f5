#include "template.hpp"

namespace junction::rest {

std::optional<Template> Template::parse(std::string_view text, std::string& problem) {
    Template t;
    std::string literal;
    std::size_t i = 0;
    while (i < text.size()) {
        if (text[i] == '$' && i + 1 < text.size() && text[i + 1] == '{') {
            const auto close = text.find('}', i + 2);
            if (close == std::string_view::npos) {
                problem = "unclosed \"${\" in \"" + std::string(text) + "\"";
                return std::nullopt;
            }
            const auto name = text.substr(i + 2, close - i - 2);
            const auto dot = name.find('.');
            if (dot == std::string_view::npos || dot == 0 || dot + 1 == name.size()) {
                problem = "\"${" + std::string(name) +
                          "}\" is not a template name: write ${vars.NAME}, ${partition.FIELD}, ${cursor.start} or "
                          "${page.token}";
                return std::nullopt;
            }
            if (!literal.empty()) t.parts_.push_back({false, std::move(literal), {}});
            literal.clear();
            t.parts_.push_back({true, {}, {std::string(name.substr(0, dot)), std::string(name.substr(dot + 1))}});
            i = close + 1;
            continue;
        }
        literal += text[i++];
    }
    if (!literal.empty()) t.parts_.push_back({false, std::move(literal), {}});
    return t;
}

std::vector<TemplateRef> Template::refs() const {
    std::vector<TemplateRef> out;
    for (const auto& p : parts_)
        if (p.ref) out.push_back(p.target);
    return out;
}

bool Template::has_refs() const noexcept {
    for (const auto& p : parts_)
        if (p.ref) return true;
    return false;
}

std::string Template::expand(const Lookup& lookup, const Encode& encode, bool& absent) const {
    std::string out;
    absent = false;
    for (const auto& p : parts_) {
        if (!p.ref) {
            out += p.text;
            continue;
        }
        const auto v = lookup(p.target);
        if (!v) {
            absent = true;
            continue;
        }
        out += encode ? encode(*v) : *v;
    }
    return out;
}

std::string url_encode(std::string_view s, bool keep_slash) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(s.size());
    for (const char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                                c == '-' || c == '.' || c == '_' || c == '~' || (keep_slash && c == '/');
        if (unreserved) {
            out += ch;
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

std::string refs_text(const std::vector<std::string>& allowed) {
    std::string out;
    for (const auto& a : allowed)
        out += (out.empty() ? "" : ", ") + ("${" + a + "}");
    return out;
}

}  // namespace junction::rest
