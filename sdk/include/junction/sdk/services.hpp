// The host's services, reached through the Context: an HTTP client, the credentials
// (the one token-provider boundary), metrics, the clock and the push log. The host implements them;
// plugins only call them, so every connector gets timeouts, retries, rate-limit and
// token handling without linking an HTTP library or seeing a client secret.
// Appending a virtual at the end of one of these classes is a minor ABI bump.
#pragma once

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/config.hpp>
#include <boost/json/object.hpp>

#include "status.hpp"

namespace junction::sdk {

// ---- clock -------------------------------------------------------------------------

// The time source. Tests hand a ManualClock (testing.hpp) and move time by hand.
class BOOST_SYMBOL_VISIBLE Clock {
public:
    virtual ~Clock() = default;
    // Wall-clock time (timestamps, token expiry, Retry-After dates).
    [[nodiscard]] virtual std::chrono::system_clock::time_point now() const noexcept = 0;
    // Monotonic time (timeouts, intervals).
    [[nodiscard]] virtual std::chrono::steady_clock::time_point monotonic() const noexcept = 0;
    // Waits `d`, or less when the pipeline is asked to stop: false when it was.
    virtual bool sleep_for(std::chrono::milliseconds d) noexcept = 0;
};

// ---- credentials -------------------------------------------------------------------

// What authenticates one request: a header (Authorization: Bearer ..., X-API-Key: ...)
// or a query parameter. Attach it, never log it.
struct Authorization {
    std::string name;   // header name, or the query parameter's name when in_query
    std::string value;  // secret
    bool in_query = false;
};

// Named connections declared in the config's `connections` section (api_key, bearer,
// basic, oauth2 with client credentials or a refresh token), shared by every pipeline
// that names them. Tokens are fetched and refreshed here, before they expire and after
// a 401, one refresh at a time per connection; a rotated refresh token is stored before
// it is used. Thread-safe.
class BOOST_SYMBOL_VISIBLE Credentials {
public:
    virtual ~Credentials() = default;
    // ok; fatal: no such connection, or the token endpoint refused the client (bad
    // secret, revoked refresh token); retry: the token endpoint is unreachable or busy.
    virtual Status authorize(std::string_view connection, Authorization& out) = 0;
    // The server refused `refused` (a 401): the next authorize() gets a new token, unless
    // another thread already did. A no-op for static keys.
    virtual void invalidate(std::string_view connection, const Authorization& refused) = 0;
};

// ---- http --------------------------------------------------------------------------

struct HttpHeader {
    std::string name;
    std::string value;
};

struct HttpRequest {
    std::string method = "GET";
    std::string url = {};
    std::vector<HttpHeader> headers = {};
    std::string body = {};
    // A `connections` entry whose credentials the client attaches (and refreshes on a
    // 401, replaying the request once), and whose rate_limit each attempt keeps to. Empty: none.
    std::string connection = {};
    std::chrono::milliseconds timeout{30000};  // one attempt's exchange, connect and redirects included
    // Attempts at transient failures (transport errors, 408, 425, 429, 5xx) within this
    // call, with full-jitter backoff and the server's Retry-After (capped). 1: no retry.
    // A POST or PATCH is sent again only when the server cannot have acted on it (no
    // connection, 425, 429, 503), unless it carries an Idempotency-Key header or
    // extra {"idempotent": true}: a lost answer (timeout, 500, 502, 504) ends the call
    // with retry, and the caller decides.
    int max_attempts = 3;
    // Room to grow without an ABI break. Known keys: "idempotent" (bool, see above).
    boost::json::object extra = {};
};

struct HttpResponse {
    long status = 0;  // 0 when no response arrived
    std::vector<HttpHeader> headers = {};
    std::string body = {};
    // Where the request ended up (after redirects).
    std::string effective_url = {};

    // The first header of that name, case-insensitive; nullptr when absent.
    [[nodiscard]] const std::string* header(std::string_view name) const noexcept {
        for (const auto& h : headers) {
            if (h.name.size() != name.size()) continue;
            bool same = true;
            for (std::size_t i = 0; i < name.size() && same; ++i) {
                const auto a = static_cast<unsigned char>(h.name[i]), b = static_cast<unsigned char>(name[i]);
                same = (a >= 'A' && a <= 'Z' ? a + 32 : a) == (b >= 'A' && b <= 'Z' ? b + 32 : b);
            }
            if (same) return &h.value;
        }
        return nullptr;
    }
};

// HTTP on libcurl: connections reused per host, TLS verified, proxies from the
// environment, gzip, redirects followed (at most 10; credentials are attached within the
// request's own origin only, never to another host a redirect names), responses capped
// (64 MiB: a larger one is a reject). Every result is classified once:
//   2xx and 304 -> ok; 408, 425, 429, 5xx and transport errors -> retried within the call, then
//   retry (with the server's Retry-After, capped); 401 -> the credentials are
//   invalidated and the request replayed once, a second 401 -> fatal; other 4xx and any
//   other 3xx -> reject; a malformed URL, an unsupported scheme or a refused TLS
//   certificate -> fatal.
// Messages name the method, the URL without its query string, and the status; no
// header value, query value or body of a request ever reaches a message or a log line.
// `response` holds the last response in every case; its effective_url never carries a
// credential the client attached. Thread-safe; honours the stop signal.
class BOOST_SYMBOL_VISIBLE HttpClient {
public:
    virtual ~HttpClient() = default;
    virtual Status send(const HttpRequest& request, HttpResponse& response) = 0;
};

// ---- metrics -----------------------------------------------------------------------

// Extra labels of one series; the host adds pipeline, plugin and kind.
using MetricLabels = std::vector<std::pair<std::string, std::string>>;

class BOOST_SYMBOL_VISIBLE Counter {
public:
    virtual ~Counter() = default;
    virtual void add(double amount = 1.0) noexcept = 0;  // amount >= 0
};

class BOOST_SYMBOL_VISIBLE Gauge {
public:
    virtual ~Gauge() = default;
    virtual void set(double value) noexcept = 0;
    virtual void add(double delta) noexcept = 0;
};

class BOOST_SYMBOL_VISIBLE Histogram {
public:
    virtual ~Histogram() = default;
    virtual void observe(double value) noexcept = 0;
};

// Series a plugin registers by name and labels; the host owns them (each reference
// stays valid while the Context does) and exports them as junction_plugin_<name>, with
// pipeline, plugin and kind labels added. Names are snake_case with a unit suffix:
// `requests_total`, `request_seconds`, `bytes`; label names the same (not le, quantile
// or __*). Registering the same name and labels again returns the same series; an
// invalid one still works but is not exported (the host logs why). Thread-safe.
class BOOST_SYMBOL_VISIBLE Metrics {
public:
    virtual ~Metrics() = default;
    virtual Counter& counter(std::string_view name, std::string_view help, const MetricLabels& labels = {}) = 0;
    virtual Gauge& gauge(std::string_view name, std::string_view help, const MetricLabels& labels = {}) = 0;
    // `buckets`: ascending upper bounds; empty: the host's default (latencies in seconds).
    virtual Histogram& histogram(std::string_view name, std::string_view help, std::span<const double> buckets = {},
                                 const MetricLabels& labels = {}) = 0;
};

// ---- push log (since ABI 2.2) ------------------------------------------------------

// One call of an external system's ingestion API by a writer: a batch of rows pushed to
// an analytics dataset, a table, an endpoint. The host logs it (one line) and keeps it in
// the run history (`junction runs CONFIG --pushes`), so an operator can say what was sent
// where and when, and what failed. Never put a secret, a header or a row's values here:
// columns are field names only.
struct Push {
    std::string provider;  // the system pushed to: "databox"
    std::string target;    // where in it: a dataset's name or id, a table, an endpoint
    std::chrono::system_clock::time_point sent_at{};
    std::chrono::milliseconds duration{0};  // sending to the answer
    std::uint64_t rows = 0;
    std::vector<std::string> columns;  // the field names sent
    bool ok = false;
    std::string error;       // when !ok: one line, the provider's reason
    std::string request_id;  // the provider's id of the request, when it gives one
};

class BOOST_SYMBOL_VISIBLE PushLog {
public:
    virtual ~PushLog() = default;
    // Durable when it returns, except when the state store fails: the push is then only
    // logged (a push log must never fail the push). Thread-safe.
    virtual void record(const Push& push) noexcept = 0;
};

}  // namespace junction::sdk
