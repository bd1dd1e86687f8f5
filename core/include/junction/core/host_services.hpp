// The services one host process offers every component through its Context: the
// metric registry, the HTTP client and the credentials of the config's connections.
// One per process (the daemon, a CLI command, a test), shared by all pipelines.
#pragma once

#include <memory>
#include <stop_token>

#include <junction/sdk/services.hpp>

#include "metrics.hpp"

namespace junction::core {

class HostServices {
public:
    HostServices();
    ~HostServices();
    HostServices(const HostServices&) = delete;
    HostServices& operator=(const HostServices&) = delete;

    MetricRegistry& metrics() noexcept { return metrics_; }
    sdk::Credentials& credentials() noexcept;
    // An HTTP client for one component: its clock (backoff sleeps) and stop signal.
    std::unique_ptr<sdk::HttpClient> http_for(sdk::Clock& clock, std::stop_token stop);

private:
    MetricRegistry metrics_;
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

}  // namespace junction::core
