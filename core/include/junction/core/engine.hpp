// The pipeline engine: reader -> translators -> writer with bounded batches in flight,
// retries with backoff, dead letters, and positions committed only after the writer
// acknowledged (at-least-once delivery).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <span>
#include <stop_token>
#include <string>
#include <vector>

#include <junction/sdk/sdk.hpp>

#include "config.hpp"
#include "host_services.hpp"
#include "plugin_registry.hpp"
#include "state_store.hpp"

namespace junction::core {

// A stage whose plugin was found and whose options passed its schema.
struct ResolvedStage {
    const StageConfig* config = nullptr;
    const LoadedPlugin* plugin = nullptr;
    const sdk::ComponentInfo* component = nullptr;
    sdk::Options options;
};

struct ResolvedPipeline {
    const PipelineConfig* config = nullptr;
    ResolvedStage reader;
    std::vector<ResolvedStage> translators;
    ResolvedStage writer;
    // Workers run in parallel only when every translator is thread-safe.
    [[nodiscard]] std::size_t effective_workers() const;
};

// Finds the stage's plugin, checks it provides `kind`, validates its options against that
// component's schema (connection names, path options, the plugin's check_options), as
// for a pipeline's stages and under sc.path: "<sc.path>.plugin: no plugin named ...",
// "<sc.path>.options.uri: required option missing". false when anything was appended
// to `errors`. A served collection (Kind::collection) resolves through it too.
bool resolve_component(const StageConfig& sc, sdk::Kind kind, const PluginRegistry& registry, const Config& config,
                       ResolvedStage& out, std::vector<ConfigError>& errors);

// Finds each stage's plugin, checks it provides that kind, validates its options.
// Every problem goes to `errors` with its JSON path; a pipeline with problems is left out.
std::vector<ResolvedPipeline> resolve_pipelines(const Config& config, const PluginRegistry& registry,
                                                std::vector<ConfigError>& errors);

enum class RunOutcome : unsigned char { ok, failed, stopped };
const char* to_string(RunOutcome o) noexcept;

struct RunSummary {
    std::string pipeline;
    RunOutcome outcome = RunOutcome::ok;
    bool fatal = false;          // a fatal error (bad config, credentials, plugin bug): do not retry on schedule
    std::uint64_t read = 0, written = 0, invalid = 0, failed = 0;
    std::uint64_t released = 0;  // given back to a queue for redelivery
    std::chrono::milliseconds duration{0};
    std::string error;
};

// Failures a test can inject to prove what a crash at that point does.
enum class Fault : unsigned char {
    none,
    exit_before_ack,  // the process exits after the flush and the commit, before acknowledge()
    exit_before_commit,  // the process exits after the flush and the dead letters, before the commit
    kill_before_flush,   // the process SIGKILLs itself after the writer's write() calls, before flush()
};

// A run of a pipeline that one host of a cluster runs at a time: the right to run it (a
// lease the host renews) and where its positions live (beside the lease, in the cluster,
// so that the host that takes over resumes from them). The engine asks held() before each
// write and each commit, and stops the run (failed, not fatal) once it is false: a host
// that lost its lease writes nothing more. Host-implemented (host/cluster).
class Ownership {
public:
    virtual ~Ownership() = default;
    [[nodiscard]] virtual bool held() const noexcept = 0;
    // Why not held, for the run's error line ("the lease of pipeline p lapsed ...").
    [[nodiscard]] virtual std::string lost_reason() const = 0;
    // The committed positions; throws std::exception when they cannot be read.
    virtual sdk::Positions positions() = 0;
    // Commits them (and drops the dropped partitions) unless another host committed since
    // this run read or last committed them; throws std::exception otherwise.
    virtual void commit(std::span<const sdk::Committed> positions, std::span<const std::string> dropped) = 0;
};

struct RunOptions {
    std::filesystem::path base_dir;   // for Context::base_dir()
    bool record_empty_runs = true;    // continuous polling skips history rows for runs that read nothing
    HostServices* services = nullptr;  // the process's services; nullptr: the run makes its own
    Fault fault = Fault::none;
    // A run row already claimed for this run (StateStore::claim_run): the run uses it and
    // beats on it from the start; with record_empty_runs false it is deleted again when
    // the run read nothing and ended well.
    std::int64_t claimed_run = 0;
    // A pipeline one host of a cluster runs: its lease and positions; nullptr: the state
    // store keeps the positions and nothing is leased.
    Ownership* ownership = nullptr;
};

// Runs one pipeline until its reader reports end of input, a failure, or `stop`.
RunSummary run_pipeline(const ResolvedPipeline& pipeline, StateStore& store, const RunOptions& options,
                        std::stop_token stop);

// The one summary line per run (and the one error line of a failed run). Continuous
// polling passes quiet_if_empty so that idle polls do not flood the log.
void log_summary(const RunSummary& summary, bool quiet_if_empty = false);

// Replays a pipeline's dead letters (not those from the reader stage, which hold no
// record) through its translators and writer. Those written are marked replayed;
// those rejected again stay, with the new reason. Returns the summary of the replay.
RunSummary replay_dead_letters(const ResolvedPipeline& pipeline, StateStore& store, const RunOptions& options,
                               const std::vector<std::int64_t>& only_ids, std::stop_token stop);

// Opens and closes the pipeline's reader and writer once, without retry: a reachability
// check (servers are pinged on open).
struct CheckResult {
    std::string kind;
    std::string plugin;
    sdk::Status status;
};
std::vector<CheckResult> check_pipeline(const ResolvedPipeline& pipeline, StateStore& store, const RunOptions& options);

// Full-jitter exponential backoff: uniform in [0, min(max, initial * 2^(attempt-1))],
// never less than the server's retry-after hint.
std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int attempt,
                                        std::optional<std::chrono::milliseconds> retry_after);

// Sleeps unless stopped first; false when stopped.
bool sleep_for(std::chrono::milliseconds d, std::stop_token stop);

}  // namespace junction::core
