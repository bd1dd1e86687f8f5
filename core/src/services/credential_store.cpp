#include <junction/services/credential_store.hpp>

#include <stdexcept>
#include <utility>

#include "encoding.hpp"
#include "oauth2_session.hpp"

namespace junction::services {

namespace {

// api_key, bearer, basic (none: an empty one): one Authorization for the life of the process. A 401 cannot be
// fixed here; the HttpClient's replay then fails and says so.
class StaticSource final : public CredentialStore::Source {
public:
    explicit StaticSource(sdk::Authorization authorization) : authorization_(std::move(authorization)) {}
    sdk::Status authorize(sdk::Authorization& out) override {
        out = authorization_;
        return sdk::Status::ok();
    }
    void invalidate(const sdk::Authorization&) override {}

private:
    const sdk::Authorization authorization_;
};

sdk::Authorization static_authorization(const ConnectionConfig& connection) {
    if (const auto* c = std::get_if<ApiKeyConnection>(&connection.settings)) {
        const auto value = c->prefix.empty() ? c->key : c->prefix + " " + c->key;
        if (!c->query_param.empty()) return {.name = c->query_param, .value = value, .in_query = true};
        return {.name = c->header, .value = value};
    }
    if (const auto* c = std::get_if<BearerConnection>(&connection.settings))
        return {.name = "Authorization", .value = "Bearer " + c->token};
    if (std::holds_alternative<NoneConnection>(connection.settings)) return {};  // nothing to attach
    const auto& c = std::get<BasicConnection>(connection.settings);
    return {.name = "Authorization", .value = "Basic " + detail::base64(c.username + ":" + c.password)};
}

}  // namespace

CredentialStore::CredentialStore(std::vector<ConnectionConfig> connections, HttpService& http, sdk::Clock& clock,
                                 TokenStore* tokens, StopPredicate stop, LogHook log) {
    for (auto& connection : connections) {
        std::unique_ptr<Source> source;
        if (auto* oauth2 = std::get_if<OAuth2Connection>(&connection.settings))
            source = std::make_unique<detail::OAuth2Session>(connection.name, std::move(*oauth2), http, clock, tokens,
                                                             stop, log);
        else
            source = std::make_unique<StaticSource>(static_authorization(connection));
        if (!sources_.emplace(connection.name, std::move(source)).second)
            throw std::invalid_argument("connection " + connection.name + " is declared twice");
    }
}

CredentialStore::~CredentialStore() = default;

bool CredentialStore::contains(std::string_view connection) const {
    return sources_.find(connection) != sources_.end();
}

sdk::Status CredentialStore::authorize(std::string_view connection, sdk::Authorization& out) {
    const auto it = sources_.find(connection);
    if (it == sources_.end())
        return sdk::Status::fatal("no connection named " + std::string(connection) +
                                  " in the config's connections section");
    try {
        return it->second->authorize(out);
    } catch (const std::exception& e) {  // the sdk boundary: errors are values
        return sdk::Status::fatal("connection " + std::string(connection) + ": internal error: " + e.what());
    }
}

void CredentialStore::invalidate(std::string_view connection, const sdk::Authorization& refused) {
    if (const auto it = sources_.find(connection); it != sources_.end()) it->second->invalidate(refused);
}

}  // namespace junction::services
