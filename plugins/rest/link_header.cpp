#include "link_header.hpp"

#include <cctype>

namespace junction::rest {
namespace {

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

bool space(char c) {
    return c == ' ' || c == '\t';
}

}  // namespace

std::vector<Link> parse_link_header(std::string_view h) {
    std::vector<Link> out;
    std::size_t i = 0;
    while (i < h.size()) {
        while (i < h.size() && (space(h[i]) || h[i] == ','))
            ++i;
        if (i >= h.size()) break;
        if (h[i] != '<') {  // not a link: skip to the next comma outside quotes
            bool quoted = false;
            for (; i < h.size() && (quoted || h[i] != ','); ++i) {
                if (h[i] == '"') quoted = !quoted;
                if (quoted && h[i] == '\\') ++i;
            }
            continue;
        }
        const auto close = h.find('>', i + 1);
        if (close == std::string_view::npos) break;
        Link link{std::string(h.substr(i + 1, close - i - 1)), {}};
        i = close + 1;
        // parameters: ; name [= value | "quoted"] until a comma
        while (i < h.size()) {
            while (i < h.size() && space(h[i]))
                ++i;
            if (i >= h.size() || h[i] == ',') break;
            if (h[i] != ';') {
                ++i;
                continue;
            }
            ++i;
            while (i < h.size() && space(h[i]))
                ++i;
            const auto name_start = i;
            while (i < h.size() && h[i] != '=' && h[i] != ';' && h[i] != ',' && !space(h[i]))
                ++i;
            const auto name = lower(h.substr(name_start, i - name_start));
            while (i < h.size() && space(h[i]))
                ++i;
            std::string value;
            if (i < h.size() && h[i] == '=') {
                ++i;
                while (i < h.size() && space(h[i]))
                    ++i;
                if (i < h.size() && h[i] == '"') {
                    ++i;
                    while (i < h.size() && h[i] != '"') {
                        if (h[i] == '\\' && i + 1 < h.size()) ++i;
                        value += h[i++];
                    }
                    if (i < h.size()) ++i;  // the closing quote
                } else {
                    const auto v = i;
                    while (i < h.size() && h[i] != ';' && h[i] != ',' && !space(h[i]))
                        ++i;
                    value = std::string(h.substr(v, i - v));
                }
            }
            if (name == "rel" && link.rels.empty()) {  // RFC 8288: only the first rel counts
                std::size_t p = 0;
                while (p < value.size()) {
                    while (p < value.size() && space(value[p]))
                        ++p;
                    const auto s = p;
                    while (p < value.size() && !space(value[p]))
                        ++p;
                    if (p > s) link.rels.push_back(lower(std::string_view(value).substr(s, p - s)));
                }
            }
        }
        out.push_back(std::move(link));
    }
    return out;
}

std::optional<std::string> find_link(std::string_view header, std::string_view rel) {
    for (auto& link : parse_link_header(header))
        for (const auto& r : link.rels)
            if (r == rel) return std::move(link.target);
    return std::nullopt;
}

namespace {

// scheme "://" authority: where the path starts, or npos when not absolute http(s).
std::size_t authority_end(std::string_view url) {
    const auto scheme = url.find("://");
    if (scheme == std::string_view::npos) return std::string_view::npos;
    const auto s = lower(url.substr(0, scheme));
    if (s != "http" && s != "https") return std::string_view::npos;
    const auto end = url.find_first_of("/?#", scheme + 3);
    return end == std::string_view::npos ? url.size() : end;
}

}  // namespace

std::string resolve_url(std::string_view base, std::string_view ref) {
    if (authority_end(ref) != std::string_view::npos) return std::string(ref);
    const auto auth = authority_end(base);
    if (auth == std::string_view::npos) return std::string(ref);
    if (ref.starts_with("//")) return std::string(base.substr(0, base.find("://") + 1)) + std::string(ref);
    const std::string origin(base.substr(0, auth));
    if (ref.starts_with("/")) return origin + std::string(ref);
    const auto query = base.find_first_of("?#", auth);
    const std::string path(base.substr(auth, query == std::string_view::npos ? std::string_view::npos : query - auth));
    if (ref.empty()) return std::string(base.substr(0, base.find('#')));
    if (ref.starts_with("?")) return origin + (path.empty() ? "/" : path) + std::string(ref);
    const auto slash = path.rfind('/');
    const std::string dir = slash == std::string::npos ? "/" : path.substr(0, slash + 1);
    return origin + dir + std::string(ref);
}

std::string origin_of(std::string_view url) {
    const auto auth = authority_end(url);
    if (auth == std::string_view::npos) return {};
    const auto scheme_end = url.find("://");
    const auto scheme = lower(url.substr(0, scheme_end));
    auto host = lower(url.substr(scheme_end + 3, auth - scheme_end - 3));
    if (const auto at = host.rfind('@'); at != std::string::npos) host = host.substr(at + 1);
    const std::string default_port = scheme == "https" ? ":443" : ":80";
    if (host.ends_with(default_port)) host.resize(host.size() - default_port.size());
    return scheme + "://" + host;
}

std::string without_query(std::string_view url) {
    return std::string(url.substr(0, url.find_first_of("?#")));
}

}  // namespace junction::rest
