// The pure parts of the HTTP client: what each outcome means, Retry-After in both forms,
// the backoff's bounds, and what a URL looks like in a message.
#include <doctest/doctest.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <random>
#include <string>

#include "http_classify.hpp"
#include "url_parts.hpp"

using namespace junction::services::detail;
using namespace std::chrono_literals;

TEST_CASE("every status class has its verdict") {
    for (const long s : {200L, 201L, 204L, 299L, 304L})
        CHECK(classify_status(s) == Verdict::ok);
    for (const long s : {408L, 425L, 429L, 500L, 502L, 503L, 504L, 599L})
        CHECK(classify_status(s) == Verdict::transient);
    CHECK(classify_status(401) == Verdict::unauthorized);
    for (const long s : {400L, 403L, 404L, 409L, 410L, 422L, 499L, 300L, 302L})
        CHECK(classify_status(s) == Verdict::reject);
}

TEST_CASE("transport errors are transient unless the request can never work") {
    CHECK(classify_transport(CURLE_COULDNT_CONNECT) == Verdict::transient);
    CHECK(classify_transport(CURLE_OPERATION_TIMEDOUT) == Verdict::transient);
    CHECK(classify_transport(CURLE_COULDNT_RESOLVE_HOST) == Verdict::transient);
    CHECK(classify_transport(CURLE_RECV_ERROR) == Verdict::transient);
    CHECK(classify_transport(CURLE_PEER_FAILED_VERIFICATION) == Verdict::fatal);
    CHECK(classify_transport(CURLE_URL_MALFORMAT) == Verdict::fatal);
    CHECK(classify_transport(CURLE_FILESIZE_EXCEEDED) == Verdict::reject);
}

TEST_CASE("Retry-After in delta-seconds is a wait of that many seconds") {
    const auto now = std::chrono::system_clock::now();
    CHECK(parse_retry_after("120", now) == 120000ms);
    CHECK(parse_retry_after(" 0 ", now) == 0ms);
    // Too large to hold: still a (very long) wait, for the caller's cap to bound.
    CHECK(parse_retry_after("99999999999999999999999", now).value() > 24h);
}

TEST_CASE("Retry-After as an HTTP-date is read against the clock") {
    // Wed, 21 Oct 2015 07:28:00 GMT
    const auto date = std::chrono::system_clock::from_time_t(1445412480);
    CHECK(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", date - 7s) == 7000ms);
    CHECK(parse_retry_after("Wednesday, 21-Oct-15 07:28:00 GMT", date - 2s) == 2000ms);  // RFC 850
    CHECK(parse_retry_after("Wed Oct 21 07:28:00 2015", date - 1s) == 1000ms);           // asctime
    CHECK(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", date + 1h) == 0ms);         // past: no wait
}

TEST_CASE("a Retry-After that is neither a number nor a date is ignored") {
    const auto now = std::chrono::system_clock::now();
    CHECK_FALSE(parse_retry_after("", now).has_value());
    CHECK_FALSE(parse_retry_after("soon", now).has_value());
    CHECK_FALSE(parse_retry_after("-5", now).has_value());
}

TEST_CASE("full-jitter backoff stays within the doubling ceiling and the cap") {
    std::mt19937_64 random(42);
    for (int failures = 1; failures <= 12; ++failures) {
        const auto ceiling = std::min<std::chrono::milliseconds>(5000ms, 200ms * (1 << (failures - 1)));
        std::chrono::milliseconds largest{0};
        for (int i = 0; i < 200; ++i) {
            const auto wait = full_jitter_backoff(failures, 200ms, 5000ms, random);
            CHECK(wait >= 0ms);
            CHECK(wait <= ceiling);
            largest = std::max(largest, wait);
        }
        CHECK(largest > ceiling / 2);  // jitter spreads over the whole range, not a sliver
    }
}

TEST_CASE("a URL in a message has no query, userinfo or fragment") {
    std::string error;
    const auto url = Url::parse("https://user:pa55word@api.example.com:8443/v1/items?api_key=SECRET#frag", error);
    REQUIRE(url.has_value());
    CHECK(url->redacted() == "https://api.example.com:8443/v1/items");
    CHECK(url->origin() == "https://api.example.com:8443");
    CHECK(Url::parse("http://Example.COM/x", error)->origin() == "http://example.com:80");
}

TEST_CASE("a query parameter is appended percent-encoded") {
    std::string error;
    auto url = Url::parse("http://h/p?a=1", error);
    REQUIRE(url.has_value());
    url->append_query("key", "a b&c=d");
    // curl may lower-case the hex digits; both spell the same bytes.
    auto text = url->text();
    std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return std::tolower(c); });
    CHECK(text == "http://h/p?a=1&key=a%20b%26c%3dd");
}

TEST_CASE("a malformed URL or another scheme is refused without quoting the URL") {
    std::string error;
    CHECK_FALSE(Url::parse("ftp://files.example.com/x?token=SECRET", error).has_value());
    CHECK(error.find("ftp") != std::string::npos);
    CHECK(error.find("SECRET") == std::string::npos);
    error.clear();
    CHECK_FALSE(Url::parse("not a url ?token=SECRET", error).has_value());
    CHECK(error.find("malformed URL") != std::string::npos);
    CHECK(error.find("SECRET") == std::string::npos);
}

TEST_CASE("idempotent methods and keyed requests may be resent; a POST only when the server cannot have acted") {
    CHECK(may_resend("GET", false, 502, CURLE_OK));
    CHECK(may_resend("PUT", false, 0, CURLE_OPERATION_TIMEDOUT));
    CHECK(may_resend("POST", true, 502, CURLE_OK));
    CHECK(may_resend("POST", false, 429, CURLE_OK));
    CHECK(may_resend("POST", false, 503, CURLE_OK));
    CHECK(may_resend("POST", false, 0, CURLE_COULDNT_CONNECT));
    CHECK_FALSE(may_resend("POST", false, 502, CURLE_OK));
    CHECK_FALSE(may_resend("POST", false, 500, CURLE_OK));
    CHECK_FALSE(may_resend("PATCH", false, 504, CURLE_OK));
    CHECK_FALSE(may_resend("POST", false, 0, CURLE_OPERATION_TIMEDOUT));
    CHECK_FALSE(may_resend("POST", false, 0, CURLE_RECV_ERROR));
}
