// HostServices: see host_services.hpp.
#include "junction/core/host_services.hpp"

#include <string>
#include <type_traits>
#include <variant>
#include <vector>

#include <junction/services/credential_store.hpp>
#include <junction/services/http_service.hpp>
#include <junction/services/rate_budget.hpp>
#include <junction/services/token_store.hpp>

#include "junction/core/logging.hpp"
#include "junction/core/state_store.hpp"
#include "stage_context.hpp"

namespace junction::core {

namespace {

// Rotated refresh tokens, kept in the state store under the connection's name.
class StateTokenStore final : public services::TokenStore {
public:
    explicit StateTokenStore(StateStore& store) : store_(store) {}
    std::optional<std::string> get(std::string_view connection) override {
        return store_.kv_get("connections", connection);
    }
    void put(std::string_view connection, std::string_view refresh_token) override {
        store_.kv_put("connections", connection, refresh_token);
    }

private:
    StateStore& store_;
};

std::vector<std::string> secrets_of(const std::vector<services::ConnectionConfig>& connections) {
    std::vector<std::string> out;
    for (const auto& c : connections)
        std::visit(
            [&out](const auto& s) {
                using T = std::decay_t<decltype(s)>;
                if constexpr (std::is_same_v<T, services::ApiKeyConnection>) {
                    out.push_back(s.key);
                } else if constexpr (std::is_same_v<T, services::BearerConnection>) {
                    out.push_back(s.token);
                } else if constexpr (std::is_same_v<T, services::BasicConnection>) {
                    out.push_back(s.password);
                } else if constexpr (std::is_same_v<T, services::OAuth2Connection>) {
                    out.push_back(s.client_secret);
                    if (!s.refresh_token.empty()) out.push_back(s.refresh_token);
                }
            },
            c.settings);
    return out;
}

void log_line(sdk::LogLevel level, std::string_view line) {
    log(level, line);
}

}  // namespace

struct HostServices::Impl {
    // Token requests serve every pipeline, draining ones included, so a host stop does not
    // cut them short: each is bounded by its own timeouts and attempts.
    Impl(std::vector<services::ConnectionConfig> connections, StateStore* store)
        : secrets(secrets_of(connections)),
          budgets(connections),
          clock(std::stop_token{}),
          tokens(store != nullptr ? std::make_unique<StateTokenStore>(*store) : nullptr),
          credentials(std::move(connections), http, clock, tokens.get(), {}, log_line) {}

    std::vector<std::string> secrets;
    services::ConnectionBudgets budgets;  // one per connection, shared by every pipeline
    RunClock clock;  // the system clock
    services::HttpService http;
    std::unique_ptr<StateTokenStore> tokens;
    services::CredentialStore credentials;
};

HostServices::HostServices() : impl_(std::make_unique<Impl>(std::vector<services::ConnectionConfig>{}, nullptr)) {}

HostServices::HostServices(std::vector<services::ConnectionConfig> connections, StateStore* store)
    : impl_(std::make_unique<Impl>(std::move(connections), store)) {}

HostServices::~HostServices() = default;

const std::vector<std::string>& HostServices::secrets() const noexcept {
    return impl_->secrets;
}

sdk::Credentials& HostServices::credentials() noexcept {
    return impl_->credentials;
}

std::unique_ptr<sdk::HttpClient> HostServices::http_for(sdk::Clock& clock, std::stop_token stop, sdk::Logger& log) {
    return std::make_unique<services::HttpClientView>(
        impl_->http,
        services::HttpCallContext{.clock = clock,
                                  .credentials = &impl_->credentials,
                                  .stop = [stop] { return stop.stop_requested(); },
                                  .log = [&log](sdk::LogLevel level, std::string_view line) { log.write(level, line); },
                                  .budgets = &impl_->budgets});
}

}  // namespace junction::core
