#include "http_classify.hpp"

#include <algorithm>
#include <charconv>
#include <limits>
#include <utility>

namespace junction::services::detail {

Verdict classify_status(long status) noexcept {
    if (status >= 200 && status < 300) return Verdict::ok;
    if (status == 304) return Verdict::ok;
    if (status == 401) return Verdict::unauthorized;
    if (status == 408 || status == 425 || status == 429 || (status >= 500 && status < 600)) return Verdict::transient;
    return Verdict::reject;
}

Verdict classify_transport(CURLcode code) noexcept {
    switch (code) {
        case CURLE_OK:
            return Verdict::ok;
        // The request as configured can never succeed: retrying only delays the one clear line.
        case CURLE_UNSUPPORTED_PROTOCOL:
        case CURLE_URL_MALFORMAT:
        case CURLE_NOT_BUILT_IN:
        case CURLE_PEER_FAILED_VERIFICATION:
        case CURLE_SSL_CERTPROBLEM:
        case CURLE_SSL_CIPHER:
        case CURLE_SSL_CACERT_BADFILE:
        case CURLE_SSL_CRL_BADFILE:
        case CURLE_SSL_ISSUER_ERROR:
        case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        case CURLE_BAD_FUNCTION_ARGUMENT:
        case CURLE_UNKNOWN_OPTION:
            return Verdict::fatal;
        // The answer is too large, or loops: this request is refused, others may go on.
        case CURLE_FILESIZE_EXCEEDED:
        case CURLE_TOO_MANY_REDIRECTS:
            return Verdict::reject;
        default:
            // Connect, resolve, send, receive, timeout, TLS handshake, proxy: the network.
            return Verdict::transient;
    }
}

bool may_resend(std::string_view method, bool has_idempotency_key, long status, CURLcode code) noexcept {
    if (has_idempotency_key) return true;
    for (const std::string_view safe : {"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
        if (method == safe) return true;
    if (code != CURLE_OK)
        return code == CURLE_COULDNT_RESOLVE_HOST || code == CURLE_COULDNT_RESOLVE_PROXY ||
               code == CURLE_COULDNT_CONNECT;
    return status == 425 || status == 429 || status == 503;
}

std::string status_text(long status) {
    static constexpr std::pair<long, std::string_view> phrases[] = {
        {200, "OK"},
        {201, "Created"},
        {202, "Accepted"},
        {204, "No Content"},
        {301, "Moved Permanently"},
        {302, "Found"},
        {303, "See Other"},
        {304, "Not Modified"},
        {307, "Temporary Redirect"},
        {308, "Permanent Redirect"},
        {400, "Bad Request"},
        {401, "Unauthorized"},
        {403, "Forbidden"},
        {404, "Not Found"},
        {405, "Method Not Allowed"},
        {408, "Request Timeout"},
        {409, "Conflict"},
        {410, "Gone"},
        {413, "Content Too Large"},
        {415, "Unsupported Media Type"},
        {422, "Unprocessable Content"},
        {425, "Too Early"},
        {429, "Too Many Requests"},
        {500, "Internal Server Error"},
        {501, "Not Implemented"},
        {502, "Bad Gateway"},
        {503, "Service Unavailable"},
        {504, "Gateway Timeout"},
    };
    for (const auto& [code, phrase] : phrases)
        if (code == status) return std::to_string(status) + " " + std::string(phrase);
    return std::to_string(status);
}

std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value,
                                                           std::chrono::system_clock::time_point now) {
    while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
        value.remove_prefix(1);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t'))
        value.remove_suffix(1);
    if (value.empty()) return std::nullopt;
    if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        std::uint64_t seconds = 0;
        const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
        // A number too large to hold is a very long wait, which the caller's cap then bounds.
        constexpr std::uint64_t longest = std::numeric_limits<std::int64_t>::max() / 1000 / 2;
        if (ec == std::errc::result_out_of_range || seconds > longest) seconds = longest;
        return std::chrono::milliseconds(static_cast<std::int64_t>(seconds) * 1000);
    }
    // IMF-fixdate, RFC 850 and asctime, as RFC 9110 asks a recipient to accept: curl's
    // parser reads all three.
    const std::string copy(value);
    const time_t when = curl_getdate(copy.c_str(), nullptr);
    if (when == -1) return std::nullopt;
    const auto wait = std::chrono::system_clock::from_time_t(when) - now;
    if (wait <= std::chrono::system_clock::duration::zero()) return std::chrono::milliseconds(0);
    // Rounded up: waiting a little longer than asked is fine, a little shorter is not.
    return std::chrono::ceil<std::chrono::milliseconds>(wait);
}

std::chrono::milliseconds full_jitter_backoff(int failures, std::chrono::milliseconds initial,
                                              std::chrono::milliseconds cap, std::mt19937_64& random) {
    const int doublings = std::clamp(failures - 1, 0, 30);
    const auto ceiling = std::min<std::int64_t>(cap.count(), initial.count() << doublings);
    std::uniform_int_distribution<std::int64_t> pick(0, std::max<std::int64_t>(ceiling, 0));
    return std::chrono::milliseconds(pick(random));
}

}  // namespace junction::services::detail
