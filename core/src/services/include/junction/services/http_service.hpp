// The host's HTTP client (sdk::HttpClient) on libcurl. One HttpService per process owns
// what is worth sharing (reusable connections, DNS answers, TLS sessions); each context
// gets a light HttpClientView carrying that context's clock, credentials, stop signal and
// logger. The classification, retries and secrecy rules are services.hpp's.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include <junction/sdk/context.hpp>
#include <junction/sdk/services.hpp>
#include <junction/sdk/status.hpp>

namespace junction::services {

// Receives one line without secrets, e.g. a "will retry" notice.
using LogHook = std::function<void(sdk::LogLevel, std::string_view)>;
// True once the caller wants its call to end (a pipeline stopping); polled, so cheap.
using StopPredicate = std::function<bool()>;

struct HttpServiceOptions {
    std::chrono::milliseconds connect_timeout{10000};  // within each request's own timeout
    std::chrono::milliseconds initial_backoff{200};
    std::chrono::milliseconds max_backoff{5000};
    // The longest Retry-After a call sleeps through; a longer one ends the call with
    // retry(retry_after = this), so the engine decides, and a stop is never far away.
    std::chrono::milliseconds max_retry_after{60000};
    int max_attempts_cap = 10;  // bounds HttpRequest::max_attempts
    int max_redirects = 10;
    std::size_t max_response_bytes = std::size_t{64} << 20;
    std::size_t max_idle_sessions_per_origin = 4;
    std::string user_agent = "junction";
    std::string ca_file = {};  // a PEM bundle; empty: the system's
};

class ConnectionBudgets;

// What one call brings from its context.
struct HttpCallContext {
    sdk::Clock& clock;                        // backoff sleeps (woken by a stop), Retry-After dates
    sdk::Credentials* credentials = nullptr;  // for requests that name a connection
    StopPredicate stop = {};
    LogHook log = {};
    // The connections' rate limits (rate_budget.hpp): a request that names a connection
    // waits for its budget before each attempt, and a 429 or 503 with Retry-After pauses
    // that connection for every caller. nullptr: no budgets.
    const ConnectionBudgets* budgets = nullptr;
};

class HttpService {
public:
    explicit HttpService(HttpServiceOptions options = {});
    ~HttpService();
    HttpService(const HttpService&) = delete;
    HttpService& operator=(const HttpService&) = delete;

    // sdk::HttpClient::send for one caller. Thread-safe; never throws.
    sdk::Status send(const sdk::HttpRequest& request, sdk::HttpResponse& response, const HttpCallContext& call);

    [[nodiscard]] const HttpServiceOptions& options() const noexcept;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// The sdk::HttpClient one context hands its plugin. Must not outlive its HttpService.
class HttpClientView final : public sdk::HttpClient {
public:
    HttpClientView(HttpService& service, HttpCallContext call) : service_(service), call_(std::move(call)) {}

    sdk::Status send(const sdk::HttpRequest& request, sdk::HttpResponse& response) override {
        return service_.send(request, response, call_);
    }

private:
    HttpService& service_;
    HttpCallContext call_;
};

}  // namespace junction::services
