// HostServices: see host_services.hpp.
#include "junction/core/host_services.hpp"

#include <string>

#include <junction/services/credential_store.hpp>
#include <junction/services/http_service.hpp>
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

void log_line(sdk::LogLevel level, std::string_view line) {
    log(level, line);
}

}  // namespace

struct HostServices::Impl {
    // Token requests serve every pipeline, draining ones included, so a host stop does not
    // cut them short: each is bounded by its own timeouts and attempts.
    Impl(std::vector<services::ConnectionConfig> connections, StateStore* store)
        : clock(std::stop_token{}),
          tokens(store != nullptr ? std::make_unique<StateTokenStore>(*store) : nullptr),
          credentials(std::move(connections), http, clock, tokens.get(), {}, log_line) {}

    RunClock clock;  // the system clock
    services::HttpService http;
    std::unique_ptr<StateTokenStore> tokens;
    services::CredentialStore credentials;
};

HostServices::HostServices() : impl_(std::make_unique<Impl>(std::vector<services::ConnectionConfig>{}, nullptr)) {}

HostServices::HostServices(std::vector<services::ConnectionConfig> connections, StateStore* store)
    : impl_(std::make_unique<Impl>(std::move(connections), store)) {}

HostServices::~HostServices() = default;

sdk::Credentials& HostServices::credentials() noexcept {
    return impl_->credentials;
}

std::unique_ptr<sdk::HttpClient> HostServices::http_for(sdk::Clock& clock, std::stop_token stop, sdk::Logger& log) {
    return std::make_unique<services::HttpClientView>(
        impl_->http,
        services::HttpCallContext{.clock = clock,
                                  .credentials = &impl_->credentials,
                                  .stop = [stop] { return stop.stop_requested(); },
                                  .log = [&log](sdk::LogLevel level, std::string_view line) { log.write(level, line); }});
}

}  // namespace junction::core
