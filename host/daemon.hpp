// `junction run` as a daemon: each pipeline on a thread of its own, on its schedule, with
// its live state kept for the HTTP API (state, current and next run) and runs on demand.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <vector>

#include <junction/core/engine.hpp>
#include <junction/core/state_store.hpp>

namespace junction::host {

using core::Clock;

// One pipeline as the daemon sees it now.
struct PipelineStatus {
    std::string name;
    // scheduled: waiting for its next run; running; failed: its last run failed and the
    // schedule retries it; stopped: a fatal error stopped it (a run on demand retries);
    // idle: not run by this process (another process runs it, or `run --once` is done);
    // standby: in a cluster, another host holds its lease (this one takes over when it lapses).
    std::string state = "idle";
    // In a cluster: "one_host" or "every_host", and for one_host the lease holder's id
    // ("" when free or unknown). Outside a cluster both are "".
    std::string placement;
    std::string owner;
    std::int64_t current_run = 0;  // while running
    std::optional<Clock::time_point> next_run;
    std::optional<core::RunSummary> last;  // the last run of this process
    std::optional<Clock::time_point> last_ended;
};

struct TriggerResult {
    enum class Kind { started, running, held_elsewhere, unknown, unavailable, store_error } kind = Kind::unknown;
    std::int64_t run_id = 0;  // started: the new run; running: the one in progress
    std::string detail;       // held_elsewhere: who holds it; store_error: why
};

// Who holds a pipeline's run, in words: "process 123 on host since ...".
std::string holder_text(const core::RunHolder& h);
// Claims the pipeline's run: the run id, 0 when another live process holds it (in
// `holder`), nullopt after one error line when the store cannot be asked.
std::optional<std::int64_t> try_claim(const std::string& name, core::StateStore& store,
                                      std::optional<core::RunHolder>& holder);

class Cluster;

class Supervisor {
public:
    // manual_runs: runs on demand can come (the HTTP API); a pipeline stopped by a fatal
    // error then waits for one instead of ending its thread.
    Supervisor(std::vector<const core::ResolvedPipeline*> pipelines, core::StateStore& store,
               const core::RunOptions& base, bool manual_runs);
    ~Supervisor();

    // Runs every pipeline on its schedule until stop; false when one ended on a fatal
    // error (and no run on demand could retry it).
    bool run_scheduled(std::stop_token stop);
    // Runs each pipeline once, in order (`junction run --once`); the claims are made by
    // `claim` (which may wait for another process). False when one failed or was not run.
    bool run_once(const std::function<std::int64_t(const std::string&)>& claim, std::stop_token stop);

    // In a cluster: pipelines that run on one host run only while this host holds their
    // lease (set before run_scheduled/run_once; the cluster outlives the supervisor's runs).
    void set_cluster(Cluster* cluster);
    [[nodiscard]] Cluster* cluster() const noexcept { return cluster_; }

    [[nodiscard]] std::vector<PipelineStatus> status() const;
    [[nodiscard]] std::optional<PipelineStatus> status(std::string_view name) const;
    // A run on demand: claimed at once (so the answer carries its id) and started by the
    // pipeline's thread; a run in progress is reported, not doubled.
    TriggerResult trigger(std::string_view name);
    // Runs fn with the pipeline held (claimed in the store) when it is not running:
    // replaying dead letters must not overlap a run of the same pipeline.
    TriggerResult with_pipeline_held(std::string_view name, const std::function<void()>& fn);

private:
    struct Slot;
    bool daemon_loop(Slot& slot, std::stop_token stop);
    bool wait_until(Slot& slot, std::optional<Clock::time_point> due, std::stop_token stop);
    core::RunSummary run(Slot& slot, std::int64_t claimed, bool scheduled, std::stop_token stop);
    Slot* find(std::string_view name) const;

    // In a cluster: true when the pipeline may run now (this host holds its lease, or it
    // runs on every host); otherwise the slot's status says who holds it.
    bool may_run_here(Slot& slot);

    std::vector<std::unique_ptr<Slot>> slots_;
    Cluster* cluster_ = nullptr;
    core::StateStore& store_;
    core::RunOptions base_;
    bool manual_runs_;
};

}  // namespace junction::host
