#include "oauth2_session.hpp"

#include <algorithm>
#include <exception>
#include <utility>

#include "encoding.hpp"

namespace junction::services::detail {

OAuth2Session::OAuth2Session(std::string name, OAuth2Connection config, HttpService& http, sdk::Clock& clock,
                             TokenStore* tokens, const StopPredicate& stop, const LogHook& log)
    : name_(std::move(name)),
      config_(std::move(config)),
      http_(http),
      call_{.clock = clock, .credentials = nullptr, .stop = stop, .log = log},
      tokens_(tokens) {}

bool OAuth2Session::usable(TimePoint now) const {
    return !token_.header_value.empty() && !token_.refused && now < token_.expires_at;
}

bool OAuth2Session::fresh(TimePoint now) const {
    return usable(now) && now < token_.renew_at;
}

void OAuth2Session::fill(sdk::Authorization& out) const {
    out.name = "Authorization";
    out.value = token_.header_value;
    out.in_query = false;
}

sdk::Status OAuth2Session::authorize(sdk::Authorization& out) {
    std::uint64_t seen = 0;
    {
        const std::lock_guard state(state_mutex_);
        if (fresh(call_.clock.now())) {
            fill(out);
            return sdk::Status::ok();
        }
        seen = renewals_;
    }
    std::unique_lock refresh(refresh_mutex_, std::try_to_lock);
    if (!refresh.owns_lock()) {
        {
            // Another thread renews it: a token that has not expired still serves meanwhile.
            const std::lock_guard state(state_mutex_);
            if (usable(call_.clock.now())) {
                fill(out);
                return sdk::Status::ok();
            }
        }
        refresh.lock();
    }
    {
        const std::lock_guard state(state_mutex_);
        if (fresh(call_.clock.now())) {  // renewed by the thread we waited for
            fill(out);
            return sdk::Status::ok();
        }
        // The renewal we waited for failed: its answer is ours too, rather than one more
        // request per waiting thread to an endpoint that just refused or failed.
        if (renewals_ != seen && !last_failure_.is_ok()) return last_failure_;
    }
    const auto status = renew();
    const std::lock_guard state(state_mutex_);
    ++renewals_;
    last_failure_ = status;
    if (!status.is_ok()) return status;
    fill(out);
    return sdk::Status::ok();
}

void OAuth2Session::invalidate(const sdk::Authorization& refused) {
    const std::lock_guard state(state_mutex_);
    // Only the token we hold: a 401 to an older one was already answered by a renewal.
    if (!token_.header_value.empty() && refused.value == token_.header_value) token_.refused = true;
}

sdk::Status OAuth2Session::renew() {
    if (auto s = load_refresh_token(); !s.is_ok()) return s;
    if (refresh_unsaved_) {
        try {
            tokens_->put(name_, refresh_token_);
            refresh_unsaved_ = false;
        } catch (const std::exception& e) {
            return sdk::Status::retry("connection " + name_ + ": cannot store its rotated refresh token (" +
                                      scrub(e.what(), {refresh_token_}) + "); it is not used before it is stored");
        }
    }
    TokenGrant grant;
    auto status = request_grant(grant);
    // The operator's fix for a revoked token is a new one in the config; the stored one
    // would hide it forever.
    if (!status.is_ok() && grant.error == "invalid_grant" && refresh_from_store_ && !config_.refresh_token.empty() &&
        config_.refresh_token != refresh_token_) {
        log(sdk::LogLevel::warning, "connection " + name_ +
                                        ": the stored refresh token was refused (invalid_grant); trying the one in "
                                        "the config");
        refresh_token_ = config_.refresh_token;
        refresh_from_store_ = false;
        try {
            tokens_->put(name_, refresh_token_);  // so the next start does not try the refused one first
        } catch (const std::exception&) {         // the config keeps this one anyway
        }
        grant = {};
        status = request_grant(grant);
    }
    if (!status.is_ok()) return status;
    if (!config_.refresh_token.empty() && !grant.refresh_token.empty() && grant.refresh_token != refresh_token_)
        keep_rotated(grant.refresh_token);

    const auto now = call_.clock.now();
    Token token{.header_value = "Bearer " + grant.access_token};
    if (grant.expires_in) {
        token.expires_at = now + *grant.expires_in;
        // A token shorter-lived than the margin would be renewed on every call.
        token.renew_at =
            token.expires_at - std::min<std::chrono::seconds>(config_.refresh_before, *grant.expires_in / 2);
    } else {
        token.expires_at = token.renew_at = TimePoint::max();  // renewed after a 401 only
    }
    {
        const std::lock_guard state(state_mutex_);
        token_ = std::move(token);
    }
    log(sdk::LogLevel::info,
        "connection " + name_ + ": access token renewed" +
            (grant.expires_in ? ", valid for " + std::to_string(grant.expires_in->count()) + " s" : std::string()));
    return sdk::Status::ok();
}

sdk::Status OAuth2Session::load_refresh_token() {
    if (refresh_loaded_) return sdk::Status::ok();
    refresh_token_ = config_.refresh_token;
    // client_credentials connections have no refresh token to prefer.
    if (tokens_ != nullptr && !config_.refresh_token.empty()) {
        try {
            if (auto stored = tokens_->get(name_); stored && !stored->empty()) {
                refresh_token_ = std::move(*stored);
                refresh_from_store_ = true;
            }
        } catch (const StoredTokenUnreadable& e) {
            // Left stored: the right key put back recovers it; the next rotation replaces it.
            log(sdk::LogLevel::warning, std::string(e.what()) + ": using the config's refresh_token");
        } catch (const std::exception& e) {
            return sdk::Status::retry("connection " + name_ + ": cannot read its stored refresh token (" + e.what() +
                                      ")");
        }
    }
    refresh_loaded_ = true;
    return sdk::Status::ok();
}

sdk::Status OAuth2Session::request_grant(TokenGrant& grant) {
    const auto request = token_request(config_, refresh_token_);
    sdk::HttpResponse response;
    const auto sent = http_.send(request, response, call_);
    return read_token_response(name_, sent, response, !refresh_token_.empty(), grant);
}

void OAuth2Session::keep_rotated(const std::string& refresh_token) {
    // The server has revoked the old one by now: keep the new one in memory whatever
    // happens, and durable before its first use.
    refresh_token_ = refresh_token;
    if (tokens_ == nullptr) return;
    try {
        tokens_->put(name_, refresh_token_);
        refresh_unsaved_ = false;
        refresh_from_store_ = true;
    } catch (const std::exception& e) {
        refresh_unsaved_ = true;
        log(sdk::LogLevel::error, "connection " + name_ + ": cannot store its rotated refresh token (" +
                                      scrub(e.what(), {refresh_token_}) + "); it is stored before its next use");
    }
}

void OAuth2Session::log(sdk::LogLevel level, const std::string& line) const noexcept {
    if (!call_.log) return;
    try {
        call_.log(level, line);
    } catch (...) {  // logging must not change the outcome
    }
}

}  // namespace junction::services::detail
