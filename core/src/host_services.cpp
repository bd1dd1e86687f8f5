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
    Impl(std::vector<services::ConnectionConfig> connections, StateStore* store, std::stop_token stop)
        : stop(std::move(stop)),
          clock(this->stop),
          tokens(store != nullptr ? std::make_unique<StateTokenStore>(*store) : nullptr),
          credentials(std::move(connections), http, clock, tokens.get(),
                      [s = this->stop] { return s.stop_requested(); }, log_line) {}

    std::stop_token stop;
    RunClock clock;  // the system clock, its sleeps woken by the host's stop
    services::HttpService http;
    std::unique_ptr<StateTokenStore> tokens;
    services::CredentialStore credentials;
};

HostServices::HostServices() : impl_(std::make_unique<Impl>(std::vector<services::ConnectionConfig>{}, nullptr,
                                                             std::stop_token{})) {}

HostServices::HostServices(std::vector<services::ConnectionConfig> connections, StateStore* store,
                           std::stop_token stop)
    : impl_(std::make_unique<Impl>(std::move(connections), store, std::move(stop))) {}

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
