#include "url_parts.hpp"

#include <algorithm>
#include <cctype>
#include <new>

#include "encoding.hpp"

namespace junction::services::detail {

std::optional<Url> Url::parse(std::string_view text, std::string& error) {
    Url url(curl_url());
    if (!url.handle_) throw std::bad_alloc();
    const std::string copy(text);
    if (const auto rc = curl_url_set(url.handle_.get(), CURLUPART_URL, copy.c_str(), 0); rc != CURLUE_OK) {
        error = std::string("malformed URL (") + curl_url_strerror(rc) + ")";
        return std::nullopt;
    }
    std::string scheme = url.part(CURLUPART_SCHEME);
    std::transform(scheme.begin(), scheme.end(), scheme.begin(), [](unsigned char c) { return std::tolower(c); });
    if (scheme != "http" && scheme != "https") {
        error = "unsupported URL scheme '" + scheme + "' (http and https only)";
        return std::nullopt;
    }
    if (url.part(CURLUPART_HOST).empty()) {
        error = "malformed URL (no host)";
        return std::nullopt;
    }
    return url;
}

Url::Url(const Url& other) : handle_(curl_url_dup(other.handle_.get())) {
    if (!handle_) throw std::bad_alloc();
}

Url& Url::operator=(const Url& other) {
    if (this != &other) *this = Url(other);
    return *this;
}

std::string Url::part(CURLUPart which, unsigned flags) const {
    char* value = nullptr;
    if (curl_url_get(handle_.get(), which, &value, flags) != CURLUE_OK || value == nullptr) return {};
    std::string out(value);
    curl_free(value);
    return out;
}

std::string Url::redacted() const {
    std::string out = part(CURLUPART_SCHEME) + "://" + part(CURLUPART_HOST);
    // Without CURLU_DEFAULT_PORT, curl returns the port only when the URL gave one.
    if (const auto port = part(CURLUPART_PORT); !port.empty()) out += ":" + port;
    out += part(CURLUPART_PATH);
    return out;
}

std::string Url::origin() const {
    std::string host = part(CURLUPART_HOST);
    std::transform(host.begin(), host.end(), host.begin(), [](unsigned char c) { return std::tolower(c); });
    return part(CURLUPART_SCHEME) + "://" + host + ":" + part(CURLUPART_PORT, CURLU_DEFAULT_PORT);
}

std::string Url::text() const {
    return part(CURLUPART_URL);
}

std::string Url::query() const {
    return part(CURLUPART_QUERY);
}

void Url::append_query(std::string_view name, std::string_view value) {
    // Encoded here rather than with CURLU_URLENCODE, whose rules (space as '+', the first
    // '=' kept) are curl's; ours leave no character that could end the parameter.
    const std::string pair = percent_encode(name) + "=" + percent_encode(value);
    if (curl_url_set(handle_.get(), CURLUPART_QUERY, pair.c_str(), CURLU_APPENDQUERY) != CURLUE_OK)
        throw std::bad_alloc();  // the URL parsed before; only allocation can fail here
}

}  // namespace junction::services::detail
