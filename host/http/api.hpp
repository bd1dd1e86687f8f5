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

// An answer kept for a short while: GET /api/v1/pipelines reads the state store for each
// pipeline, through the connection the engine commits through; under a polling storm it
// is answered from memory for up to a second.
struct ShortCache {
    std::mutex mutex;
    std::chrono::steady_clock::time_point at{};
    std::string body;
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
    std::shared_ptr<ShortCache> pipelines_cache = std::make_shared<ShortCache>();
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
