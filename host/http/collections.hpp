// Served collections: a store's collection read-only as REST (GET <path> with limit,
// after and filters; GET <path>/{id}), through the store plugin's Collection component,
// behind a short-lived cache with ETag / If-None-Match and Cache-Control.
#pragma once

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <junction/core/collection.hpp>

#include "api.hpp"
#include "http_config.hpp"
#include "instance_pool.hpp"

namespace junction::http {

class ServedCollection {
public:
    // `stage` was resolved from `config` (resolve_component, Kind::collection); all the
    // references must outlive this.
    ServedCollection(const CollectionConfig& config, const core::ResolvedStage& stage, core::StateStore& store,
                     core::HostServices& services, std::filesystem::path base_dir, std::stop_token stop,
                     std::size_t max_instances);
    ~ServedCollection();

    Response list(const Request& req);
    Response get(const Request& req);
    // Empty when a page can be read now, else why not (for /ready).
    std::string check();
    [[nodiscard]] const CollectionConfig& config() const noexcept { return config_; }

private:
    struct Cached {
        Response response;
        std::chrono::steady_clock::time_point expires;
    };
    Response answer(const Request& req, const std::string& cache_key,
                    const std::function<Response(core::OpenedCollection&)>& fetch);
    boost::json::object project(boost::json::object doc) const;

    const CollectionConfig& config_;
    const core::ResolvedStage& stage_;
    core::StateStore& store_;
    core::HostServices& services_;
    std::filesystem::path base_dir_;
    std::stop_token stop_;
    std::mutex mutex_;  // guards cache_
    InstancePool<core::OpenedCollection> pool_;
    std::unordered_map<std::string, Cached> cache_;
    sdk::Counter* hits_ = nullptr;
    sdk::Counter* misses_ = nullptr;
};

// GET <path> and GET <path>/{id} for each served collection, and their readiness checks.
void add_collection_routes(Router& router, ApiContext& api, std::vector<std::unique_ptr<ServedCollection>>& served);

}  // namespace junction::http
