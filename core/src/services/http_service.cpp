#include <junction/services/http_service.hpp>

#include <algorithm>
#include <cctype>
#include <mutex>
#include <optional>
#include <random>
#include <stdexcept>
#include <utility>
#include <vector>

#include <curl/curl.h>

#include "curl_session.hpp"
#include "encoding.hpp"
#include "http_classify.hpp"
#include "url_parts.hpp"

#include <junction/services/rate_budget.hpp>

namespace junction::services {

using namespace detail;

namespace {

// curl counts these calls, so many services (and the tests) may each hold one.
struct CurlGlobal {
    CurlGlobal() {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) throw std::runtime_error("curl_global_init failed");
    }
    ~CurlGlobal() { curl_global_cleanup(); }
    CurlGlobal(const CurlGlobal&) = delete;
    CurlGlobal& operator=(const CurlGlobal&) = delete;
};

bool is_token(std::string_view s) {
    static constexpr std::string_view extra = "!#$%&'*+-.^_`|~";
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || extra.find(c) != std::string_view::npos;
    });
}

bool is_field_value(std::string_view s) {
    return s.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

bool same_name(std::string_view a, std::string_view b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
}

bool is_redirect(long status) {
    return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

sdk::Status with_message(const sdk::Status& s, std::string message) {
    switch (s.code()) {
        case sdk::Code::ok:
            return sdk::Status::ok();
        case sdk::Code::retry:
            return sdk::Status::retry(std::move(message), s.retry_after());
        case sdk::Code::reject:
            return sdk::Status::reject(std::move(message));
        case sdk::Code::fatal:
            break;
    }
    return sdk::Status::fatal(std::move(message));
}

std::string seconds_text(std::chrono::milliseconds d) {
    const auto ms = d.count();
    return ms % 1000 == 0 ? std::to_string(ms / 1000) + " s" : std::to_string(ms) + " ms";
}

// What every call shares (HttpService::Impl is private; the calls below need it).
struct ServiceState {
    explicit ServiceState(HttpServiceOptions o)
        : options(std::move(o)),
          pool(share.get(), options.max_idle_sessions_per_origin),
          random(std::random_device{}()) {}

    std::chrono::milliseconds backoff(int failures) {
        const std::lock_guard lock(random_mutex);
        return full_jitter_backoff(failures, options.initial_backoff, options.max_backoff, random);
    }

    CurlGlobal global;  // first in, last out: outlives every handle below
    HttpServiceOptions options;
    CurlShare share;
    SessionPool pool;  // after the share: its sessions hold the share
    std::mutex random_mutex;
    std::mt19937_64 random;
};

}  // namespace

struct HttpService::Impl : ServiceState {
    using ServiceState::ServiceState;
};

namespace {

// One send(): the credentials round (401 -> refresh -> replay once) around the attempts
// round (transient failures, backoff) around one exchange (its redirects).
class Call {
public:
    Call(ServiceState& service, const sdk::HttpRequest& request, sdk::HttpResponse& response,
         const HttpCallContext& context)
        : service_(service), options_(service.options), request_(request), response_(response), context_(context) {}

    sdk::Status run() {
        response_ = {};
        if (!is_token(request_.method)) return sdk::Status::fatal("HTTP request: invalid method");
        std::string error;
        auto url = Url::parse(request_.url, error);
        if (!url) return sdk::Status::fatal(request_.method + " request: " + error);
        url_ = std::move(*url);
        origin_ = url_->origin();
        where_ = request_.method + " " + url_->redacted();
        secrets_.push_back(url_->query());
        for (std::size_t i = 0; i < request_.headers.size(); ++i) {
            const auto& h = request_.headers[i];
            if (!is_token(h.name))
                return sdk::Status::fatal(where_ + ": header #" + std::to_string(i + 1) + " has an invalid name");
            if (!is_field_value(h.value))
                return sdk::Status::fatal(where_ + ": header " + h.name + " has a line break in its value");
            secrets_.push_back(h.value);
        }
        if (!request_.connection.empty() && context_.credentials == nullptr)
            return sdk::Status::fatal(where_ + ": names connection " + request_.connection +
                                      " but this client has no credentials service");
        return credentials_round();
    }

private:
    [[nodiscard]] bool has_idempotency_key() const {
        if (const auto* flag = request_.extra.if_contains("idempotent"); flag != nullptr && flag->is_bool())
            return flag->get_bool();
        for (const auto& h : request_.headers)
            if (h.name.size() == 15 && std::equal(h.name.begin(), h.name.end(), "idempotency-key",
                                                  [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; }))
                return true;
        return false;
    }

    sdk::Status credentials_round() {
        const bool with_auth = !request_.connection.empty();
        sdk::Authorization auth;
        for (int round = 0;; ++round) {
            if (with_auth) {
                auth = {};
                const auto s = context_.credentials->authorize(request_.connection, auth);
                if (!s.is_ok()) return with_message(s, where_ + ": " + s.message());
                // An empty one: a connection of type none, a rate limit without credentials.
                if (!auth.name.empty() && (!is_token(auth.name) || !is_field_value(auth.value)))
                    return sdk::Status::fatal(where_ + ": the credentials of connection " + request_.connection +
                                              " are not a valid header or parameter");
                secrets_.push_back(auth.value);
            }
            const bool attach = with_auth && !auth.name.empty();
            bool unauthorized = false;
            auto status = attempts_round(attach ? &auth : nullptr, unauthorized);
            if (!unauthorized) return status;
            if (!with_auth)
                return sdk::Status::fatal(where_ +
                                          ": 401 Unauthorized (the request names no connection whose credentials "
                                          "could be refreshed)");
            if (!attach)
                return sdk::Status::fatal(where_ + ": 401 Unauthorized (connection " + request_.connection +
                                          " is of type none: it has no credentials to send)");
            if (round > 0)
                return sdk::Status::fatal(where_ +
                                          ": 401 Unauthorized after refreshing the credentials of connection " +
                                          request_.connection);
            log(sdk::LogLevel::info, where_ + ": 401 Unauthorized; refreshing the credentials of connection " +
                                         request_.connection + " and replaying once");
            context_.credentials->invalidate(request_.connection, auth);
        }
    }

    sdk::Status attempts_round(const sdk::Authorization* auth, bool& unauthorized) {
        const int attempts = std::clamp(request_.max_attempts, 1, std::max(1, options_.max_attempts_cap));
        RateBudget* budget = context_.budgets != nullptr && !request_.connection.empty()
                                 ? context_.budgets->find(request_.connection)
                                 : nullptr;
        for (int attempt = 1;; ++attempt) {
            RateBudget::Permit permit;  // the connection's slot, held for this exchange only
            if (budget != nullptr) {
                const auto s = budget->acquire(permit, {.clock = context_.clock,
                                                        .stop = context_.stop,
                                                        .log = context_.log,
                                                        .max_pause = options_.max_retry_after});
                if (!s.is_ok()) return with_message(s, where_ + ": " + s.message());
            }
            auto result = exchange(auth);
            permit.reset();
            response_.status = result.status;
            response_.headers = std::move(result.headers);
            response_.body = std::move(result.body);
            response_.effective_url = effective_url_;
            if (result.stopped) return sdk::Status::retry(where_ + ": stopped");

            Verdict verdict;
            std::string what;
            if (result.code != CURLE_OK) {
                verdict = classify_transport(result.code);
                what = result.too_large
                           ? "response larger than " + std::to_string(options_.max_response_bytes) + " bytes"
                           : scrub(std::move(result.error), secrets_);
            } else {
                verdict = classify_status(result.status);
                what = status_text(result.status);
            }
            switch (verdict) {
                case Verdict::ok:
                    return sdk::Status::ok();
                case Verdict::unauthorized:
                    unauthorized = true;
                    return sdk::Status::ok();
                case Verdict::reject:
                    return sdk::Status::reject(where_ + ": " + what);
                case Verdict::fatal:
                    return sdk::Status::fatal(where_ + ": " + what);
                case Verdict::transient:
                    break;
            }

            std::optional<std::chrono::milliseconds> server_wait;
            if (const auto* header = response_.header("Retry-After"); header != nullptr && result.code == CURLE_OK)
                server_wait = parse_retry_after(*header, context_.clock.now());
            // The server said wait: every caller on this connection waits, not this one alone.
            if (budget != nullptr && server_wait && (result.status == 429 || result.status == 503))
                budget->pause_until(context_.clock.monotonic() + *server_wait);
            if (server_wait && *server_wait > options_.max_retry_after)
                return sdk::Status::retry(where_ + ": " + what + "; the server asks to wait " +
                                              seconds_text(*server_wait) + ", longer than the " +
                                              seconds_text(options_.max_retry_after) + " a call waits",
                                          options_.max_retry_after);
            if (attempt >= attempts)
                return sdk::Status::retry(where_ + ": " + what + " after " + std::to_string(attempt) +
                                              (attempt == 1 ? " attempt" : " attempts"),
                                          server_wait);
            if (!may_resend(request_.method, has_idempotency_key(), result.status, result.code))
                return sdk::Status::retry(where_ + ": " + what + "; not resent within the call: a " + request_.method +
                                              " without an Idempotency-Key header may have been processed",
                                          server_wait);
            const auto wait = server_wait ? *server_wait : service_.backoff(attempt);
            log(sdk::LogLevel::warning, where_ + ": " + what + "; retrying in " + std::to_string(wait.count()) +
                                            " ms (attempt " + std::to_string(attempt + 1) + " of " +
                                            std::to_string(attempts) + ")");
            if (!context_.clock.sleep_for(wait))
                return sdk::Status::retry(where_ + ": " + what + "; stopped before retrying");
        }
    }

    // One exchange, its redirects followed here rather than by curl, so that credentials
    // go to the request's own origin only (curl would forward a custom X-API-Key header
    // to any host a redirect names).
    TransferResult exchange(const sdk::Authorization* auth) {
        Url hop = *url_;
        std::string method = request_.method;
        const bool has_body = !request_.body.empty() || method == "POST" || method == "PUT" || method == "PATCH";
        const std::string* body = has_body ? &request_.body : nullptr;
        for (int redirects = 0;; ++redirects) {
            const auto hop_origin = hop.origin();
            Url sent = hop;
            TransferSpec spec{.method = method,
                              .url = {},
                              .headers = request_.headers,
                              .body = body,
                              .timeout = request_.timeout,
                              .connect_timeout = std::min(options_.connect_timeout, request_.timeout),
                              .max_body_bytes = options_.max_response_bytes,
                              .user_agent = options_.user_agent,
                              .ca_file = options_.ca_file,
                              .stop = &context_.stop};
            if (auth != nullptr && hop_origin == origin_) {
                if (auth->in_query) {
                    sent.append_query(auth->name, auth->value);
                } else {
                    std::erase_if(spec.headers,
                                  [auth](const sdk::HttpHeader& h) { return same_name(h.name, auth->name); });
                    spec.headers.push_back({auth->name, auth->value});
                }
            }
            spec.url = sent.text();
            auto result = service_.pool.take(hop_origin)->perform(spec);
            effective_url_ = hop.text();
            if (result.code != CURLE_OK || !is_redirect(result.status) || result.redirect_url.empty()) return result;
            if (redirects >= options_.max_redirects) {
                result.code = CURLE_TOO_MANY_REDIRECTS;
                result.error = "more than " + std::to_string(options_.max_redirects) + " redirects";
                return result;
            }
            std::string error;
            auto next = Url::parse(result.redirect_url, error);
            if (!next) {
                result.code = CURLE_UNSUPPORTED_PROTOCOL;
                result.error = "redirected to a " + error;
                return result;
            }
            // What browsers and curl do: 303 turns into GET, and so do 301/302 after a POST.
            if ((result.status == 303 && method != "HEAD") ||
                ((result.status == 301 || result.status == 302) && method == "POST")) {
                method = "GET";
                body = nullptr;
            }
            hop = std::move(*next);
        }
    }

    void log(sdk::LogLevel level, const std::string& line) const noexcept {
        if (!context_.log) return;
        try {
            context_.log(level, line);
        } catch (...) {  // a failing log hook must not change the outcome of the call
        }
    }

    ServiceState& service_;
    const HttpServiceOptions& options_;
    const sdk::HttpRequest& request_;
    sdk::HttpResponse& response_;
    const HttpCallContext& context_;
    std::optional<Url> url_;
    std::string origin_;
    std::string where_;
    std::string effective_url_;
    std::vector<std::string> secrets_;
};

}  // namespace

HttpService::HttpService(HttpServiceOptions options) : impl_(std::make_unique<Impl>(std::move(options))) {}

HttpService::~HttpService() = default;

const HttpServiceOptions& HttpService::options() const noexcept {
    return impl_->options;
}

sdk::Status HttpService::send(const sdk::HttpRequest& request, sdk::HttpResponse& response,
                              const HttpCallContext& call) {
    try {
        return Call(*impl_, request, response, call).run();
    } catch (const std::exception& e) {
        return sdk::Status::fatal(request.method + " request: internal error: " + e.what());
    } catch (...) {
        return sdk::Status::fatal(request.method + " request: internal error");
    }
}

}  // namespace junction::services
