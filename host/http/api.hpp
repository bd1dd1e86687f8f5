// The host's own endpoints: operations (health, readiness, metrics, the status page,
// the OpenAPI document) and the /api/v1 control API (pipelines, runs, dead letters).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <vector>

#include <junction/core/config.hpp>
#include <junction/core/engine.hpp>
#include <junction/core/metrics.hpp>
#include <junction/core/state_store.hpp>

#include "../daemon.hpp"
#include "router.hpp"

namespace junction::http {

// A readiness check beyond the pipelines' own (a served collection's store): empty when
// ready, else why not.
struct ReadinessCheck {
    std::string name;
    std::function<std::string()> check;
};

// An answer rendered at most once per `ttl`, and shared by the requests in between. Under
// a polling storm (bench/http_load.sh: 50 connections asking as fast as they can) this is
// what keeps the API off the pipelines' CPU: GET /api/v1/pipelines reads the state store
// for each pipeline, through the connection the engine commits through (a second), and
// GET /metrics renders every series and reads /proc (a tenth of a second: at most ten
// renders a second, and a rate taken from two scrapes is off by at most that).
class ShortCache {
public:
    explicit ShortCache(std::chrono::milliseconds ttl) : ttl_(ttl) {}
    template <class Render>
    std::string get(Render&& render) {
        std::lock_guard lock(mutex_);
        const auto now = std::chrono::steady_clock::now();
        if (!fresh_ || now - at_ >= ttl_) {
            body_ = render();
            at_ = now;
            fresh_ = true;
        }
        return body_;
    }
    // The next get() renders again (after a change the asker expects to see).
    void invalidate() {
        std::lock_guard lock(mutex_);
        fresh_ = false;
    }

private:
    const std::chrono::milliseconds ttl_;
    std::mutex mutex_;
    bool fresh_ = false;
    std::chrono::steady_clock::time_point at_{};
    std::string body_;
};

struct ApiContext {
    const core::Config& config;
    const HttpConfig& config_http;
    host::Supervisor& supervisor;
    core::StateStore& store;
    core::MetricRegistry* metrics = nullptr;
    std::vector<const core::ResolvedPipeline*> pipelines;  // those this process runs
    core::RunOptions run_options;                          // for replays
    std::stop_token stop;
    std::string version;
    std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
    std::vector<ReadinessCheck> readiness;
    std::shared_ptr<ShortCache> pipelines_cache = std::make_shared<ShortCache>(std::chrono::seconds(1));
    std::shared_ptr<ShortCache> metrics_cache = std::make_shared<ShortCache>(std::chrono::milliseconds(100));
};

// GET /health, /ready, /metrics, / (the status page).
void add_operations_routes(Router& router, ApiContext& api);
// /api/v1/pipelines, runs, dead-letters.
void add_control_routes(Router& router, ApiContext& api);
// GET /api/v1/openapi.json, describing every route of the router (added last).
void add_openapi_route(Router& router, const ApiContext& api);

// The text of the UTC time ("2026-11-29T10:00:00.000Z").
std::string time_text(core::Clock::time_point t);

}  // namespace junction::http
