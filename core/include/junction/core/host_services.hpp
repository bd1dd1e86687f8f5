// The services one host process offers every component through its Context: the
// metric registry, the HTTP client and the credentials of the config's connections.
// One per process (the daemon, a CLI command, a test), shared by all pipelines.
#pragma once

#include <filesystem>
#include <memory>
#include <stop_token>
#include <string>
#include <vector>

#include <junction/sdk/context.hpp>
#include <junction/sdk/services.hpp>
#include <junction/services/connection_config.hpp>

#include "metrics.hpp"

namespace junction::core {

class StateStore;

class HostServices {
public:
    // No connections: every connection name is unknown to the credentials.
    HostServices();
    // `store` keeps rotated OAuth2 refresh tokens (nullptr: memory only) and must outlive
    // this; they are encrypted with the key in `token_key_file` (see token_vault.hpp),
    // created when absent. Throws one line when that key file is refused.
    HostServices(std::vector<services::ConnectionConfig> connections, StateStore* store,
                 std::filesystem::path token_key_file);
    ~HostServices();
    HostServices(const HostServices&) = delete;
    HostServices& operator=(const HostServices&) = delete;

    MetricRegistry& metrics() noexcept { return metrics_; }
    sdk::Credentials& credentials() noexcept;
    // An HTTP client for one component: its clock (backoff sleeps), stop signal and
    // logger (its "will retry" lines). All three must outlive the client.
    std::unique_ptr<sdk::HttpClient> http_for(sdk::Clock& clock, std::stop_token stop, sdk::Logger& log);
    // The connections' configured secrets (keys, tokens, passwords, client secrets), to
    // scrub out of text that comes from a plugin (a push's error).
    [[nodiscard]] const std::vector<std::string>& secrets() const noexcept;

private:
    MetricRegistry metrics_;
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace junction::core
