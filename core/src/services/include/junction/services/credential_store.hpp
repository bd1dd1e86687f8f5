// The one token-provider boundary (sdk::Credentials): the config's named connections,
// shared by every pipeline that names them. Static keys are attached as configured;
// OAuth2 access tokens are fetched through the HttpService, cached until shortly before
// they expire or until a 401 invalidates them, one refresh at a time per connection.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <junction/sdk/services.hpp>

#include "connection_config.hpp"
#include "http_service.hpp"
#include "token_store.hpp"

namespace junction::services {

class CredentialStore final : public sdk::Credentials {
public:
    // `http`, `clock` and `tokens` must outlive the store. `tokens` may be null (rotated
    // refresh tokens then live in memory only). `stop` ends a token request or its backoff
    // early (the host's stop: the store serves every pipeline). `log` gets one line per
    // token refresh and per retry, never a secret.
    CredentialStore(std::vector<ConnectionConfig> connections, HttpService& http, sdk::Clock& clock,
                    TokenStore* tokens = nullptr, StopPredicate stop = {}, LogHook log = {});
    ~CredentialStore() override;
    CredentialStore(const CredentialStore&) = delete;
    CredentialStore& operator=(const CredentialStore&) = delete;

    sdk::Status authorize(std::string_view connection, sdk::Authorization& out) override;
    void invalidate(std::string_view connection, const sdk::Authorization& refused) override;

    [[nodiscard]] bool contains(std::string_view connection) const;

    // One connection's way to an Authorization (a static key, an OAuth2 session).
    class Source {
    public:
        virtual ~Source() = default;
        virtual sdk::Status authorize(sdk::Authorization& out) = 0;
        virtual void invalidate(const sdk::Authorization& refused) = 0;
    };

private:
    std::map<std::string, std::unique_ptr<Source>, std::less<>> sources_;  // fixed after construction
};

}  // namespace junction::services
