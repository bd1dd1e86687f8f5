// HostServices: see host_services.hpp.
#include "junction/core/host_services.hpp"

#include <string>

namespace junction::core {

namespace {

// Until the config declares connections, every name is unknown.
class NoCredentials final : public sdk::Credentials {
public:
    sdk::Status authorize(std::string_view connection, sdk::Authorization&) override {
        return sdk::Status::fatal("no connection named \"" + std::string(connection) +
                                  "\" is declared in the config's connections section");
    }
    void invalidate(std::string_view, const sdk::Authorization&) override {}
};

class NoHttp final : public sdk::HttpClient {
public:
    sdk::Status send(const sdk::HttpRequest&, sdk::HttpResponse& response) override {
        response = {};
        return sdk::Status::fatal("the host's HTTP client is not available in this build");
    }
};

}  // namespace

struct HostServices::Impl {
    NoCredentials credentials;
};

HostServices::HostServices() : impl_(std::make_unique<Impl>()) {}
HostServices::~HostServices() = default;

sdk::Credentials& HostServices::credentials() noexcept {
    return impl_->credentials;
}

std::unique_ptr<sdk::HttpClient> HostServices::http_for(sdk::Clock&, std::stop_token) {
    return std::make_unique<NoHttp>();
}

}  // namespace junction::core
