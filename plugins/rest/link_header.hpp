// RFC 8288 Link headers (GitHub's `<...>; rel="next", <...>; rel="last"`) and the few URL
// operations the link paginator needs. Pure: no I/O, any input accepted.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace junction::rest {

struct Link {
    std::string target;             // the URI reference between < and >
    std::vector<std::string> rels;  // rel="next last" holds two, lowercased
};

// Every link of the header, in order; malformed pieces are skipped.
std::vector<Link> parse_link_header(std::string_view header);

// The target of the first link whose rel includes `rel`; nothing when none does.
std::optional<std::string> find_link(std::string_view header, std::string_view rel = "next");

// `ref` resolved against `base` (an absolute http(s) URL): an absolute URL as it is,
// "//host/p", "/path?q", "?q" and "rel/path" as RFC 3986 would (without dot segments).
std::string resolve_url(std::string_view base, std::string_view ref);

// "http://host:port" of an absolute URL, scheme and host lowercased, the default port
// left out; "" when it is not an absolute http(s) URL.
std::string origin_of(std::string_view url);

// The URL without its query string nor fragment: what messages may show.
std::string without_query(std::string_view url);

}  // namespace junction::rest
