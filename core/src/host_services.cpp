// HostServices: see host_services.hpp.
#include "junction/core/host_services.hpp"

#include <algorithm>
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
#include "junction/core/token_vault.hpp"
#include "stage_context.hpp"

namespace junction::core {

namespace {

// A key file is only needed (and created) when a connection can rotate a refresh token.
bool keeps_refresh_tokens(const std::vector<services::ConnectionConfig>& connections) {
    return std::any_of(connections.begin(), connections.end(), [](const auto& c) {
        const auto* o = std::get_if<services::OAuth2Connection>(&c.settings);
        return o != nullptr && !o->refresh_token.empty();
    });
}

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
    Impl(std::vector<services::ConnectionConfig> connections, StateStore* store, std::filesystem::path key_file)
        : secrets(secrets_of(connections)),
          budgets(connections),
          clock(std::stop_token{}),
          tokens(store != nullptr && keeps_refresh_tokens(connections)
                     ? std::make_unique<EncryptedTokenStore>(*store, std::move(key_file))
                     : nullptr),
          credentials(std::move(connections), http, clock, tokens.get(), {}, log_line) {}

    std::vector<std::string> secrets;
    services::ConnectionBudgets budgets;  // one per connection, shared by every pipeline
    RunClock clock;  // the system clock
    services::HttpService http;
    std::unique_ptr<EncryptedTokenStore> tokens;
    services::CredentialStore credentials;
};

HostServices::HostServices()
    : impl_(std::make_unique<Impl>(std::vector<services::ConnectionConfig>{}, nullptr, std::filesystem::path{})) {}

HostServices::HostServices(std::vector<services::ConnectionConfig> connections, StateStore* store,
                           std::filesystem::path token_key_file)
    : impl_(std::make_unique<Impl>(std::move(connections), store, std::move(token_key_file))) {}

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
