// One OAuth2 connection's access token: fetched on first use, served from memory until
// shortly before it expires or until a 401 invalidates it, renewed by one thread at a
// time while the others wait for (and reuse) its result. A rotated refresh token is put
// in the TokenStore before anything uses it.
#pragma once

#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

#include <junction/services/credential_store.hpp>

#include "oauth2_token_request.hpp"

namespace junction::services::detail {

class OAuth2Session final : public CredentialStore::Source {
public:
    OAuth2Session(std::string name, OAuth2Connection config, HttpService& http, sdk::Clock& clock, TokenStore* tokens,
                  const StopPredicate& stop, const LogHook& log);

    sdk::Status authorize(sdk::Authorization& out) override;
    void invalidate(const sdk::Authorization& refused) override;

private:
    using TimePoint = std::chrono::system_clock::time_point;
    struct Token {
        std::string header_value;  // "Bearer <access token>"
        TimePoint expires_at = TimePoint::min();
        TimePoint renew_at = TimePoint::min();
        bool refused = false;  // a server answered 401 to it
    };

    // Under state_mutex_.
    [[nodiscard]] bool usable(TimePoint now) const;
    [[nodiscard]] bool fresh(TimePoint now) const;
    void fill(sdk::Authorization& out) const;

    // Under refresh_mutex_.
    sdk::Status renew();
    sdk::Status load_refresh_token();
    sdk::Status request_grant(TokenGrant& grant);
    void keep_rotated(const std::string& refresh_token);
    void log(sdk::LogLevel level, const std::string& line) const noexcept;

    const std::string name_;
    const OAuth2Connection config_;
    HttpService& http_;
    HttpCallContext call_;
    TokenStore* tokens_;

    std::mutex refresh_mutex_;  // one token request at a time; guards the fields below it
    std::string refresh_token_;
    bool refresh_from_store_ = false;
    bool refresh_loaded_ = false;
    bool refresh_unsaved_ = false;  // rotated, but the TokenStore refused it: store before use

    mutable std::mutex state_mutex_;  // never held across I/O; guards the fields below it
    Token token_;
    std::uint64_t renewals_ = 0;  // renewals tried, so waiters can tell one happened
    sdk::Status last_failure_;    // of the last renewal, for the threads that waited on it
};

}  // namespace junction::services::detail
