// Intake endpoints: POST /api/v1/submissions/<route> and GET /api/v1/submissions/<route>/{id}
// for each of the config's `http.submissions`, on a store plugin's Intake component.
//
// A POST, in order: 415 unless the body is declared JSON; 400 for a bad Idempotency-Key;
// 400 with every problem (bad JSON, the schema, the checks, the identity) and its JSON
// Pointer; 409 while another request with the same Idempotency-Key is in flight; then the
// intake stores it (one transaction: submission, identity, outbox row, key) and the answer
// is 202 (stored), 200 with "duplicate": true (the same identity was stored before: its
// id), the first answer again (a key replayed with the same body, with
// Idempotent-Replayed: true) or 422 (a key reused with another body).
#pragma once

#include <memory>
#include <mutex>
#include <set>
#include <stop_token>
#include <string>
#include <vector>

#include <junction/core/identity.hpp>
#include <junction/core/intake.hpp>

#include "api.hpp"
#include "http_config.hpp"
#include "instance_pool.hpp"

namespace junction::http {

// Where a test makes the process SIGKILL itself (`junction run --test-fault`).
// slow_submit holds each submission 1.5 s before the store's call (its key in flight).
enum class IntakeFault : unsigned char { none, kill_before_submit, kill_after_submit, slow_submit };

class SubmissionRoute {
public:
    SubmissionRoute(const SubmissionRouteConfig& config, const core::ResolvedStage& stage, core::StateStore& store,
                    core::HostServices& services, std::filesystem::path base_dir, std::stop_token stop,
                    std::size_t max_instances, IntakeFault fault);
    ~SubmissionRoute();

    Response submit(const Request& req);
    Response get(const Request& req);
    // Empty when the store can be opened now, else why not (for /ready).
    std::string check();
    [[nodiscard]] const SubmissionRouteConfig& config() const noexcept { return config_; }

private:
    // Holds an Idempotency-Key while its request is in flight (409 for a second one).
    class KeyClaim;
    Response count(Response r, const char* result);

    const SubmissionRouteConfig& config_;
    const core::ResolvedStage& stage_;
    core::StateStore& store_;
    core::HostServices& services_;
    std::filesystem::path base_dir_;
    std::stop_token stop_;
    IntakeFault fault_;
    core::IdentitySpec exact_;  // the request's fingerprint: the payload in substance
    std::mutex in_flight_mutex_;
    std::set<std::string> in_flight_;
    InstancePool<core::OpenedIntake> pool_;
    core::MetricRegistry& metrics_;
};

// The routes of each intake, and their readiness checks.
void add_submission_routes(Router& router, ApiContext& api, std::vector<std::unique_ptr<SubmissionRoute>>& routes);

}  // namespace junction::http
