// One pipeline run: a reader thread, translator workers and the writer (the calling
// thread), joined by a bounded set of batches in flight. Batches reach the writer in
// read order, so order is preserved per key (and overall) whatever the worker count.
#include "junction/core/engine.hpp"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <random>

#include "engine_run.hpp"
#include "junction/core/logging.hpp"

namespace junction::core {

std::chrono::milliseconds backoff_delay(const RetryPolicy& policy, int attempt,
                                        std::optional<std::chrono::milliseconds> retry_after) {
    thread_local std::mt19937_64 rng{std::random_device{}()};
    const int shift = std::clamp(attempt - 1, 0, 30);
    const auto ceiling =
        std::min<long long>(policy.max_backoff.count(), policy.initial_backoff.count() * (1LL << shift));
    std::uniform_int_distribution<long long> dist(0, std::max<long long>(0, ceiling));
    auto d = std::chrono::milliseconds(dist(rng));
    if (retry_after && *retry_after > d) d = *retry_after;
    return d;
}

bool sleep_for(std::chrono::milliseconds d, std::stop_token stop) {
    std::mutex m;
    std::condition_variable_any cv;
    std::unique_lock lock(m);
    cv.wait_for(lock, stop, d, [] { return false; });
    return !stop.stop_requested();
}

RunSummary run_pipeline(const ResolvedPipeline& pipeline, StateStore& store, const RunOptions& options,
                        std::stop_token stop) {
    PipelineRun run(pipeline, store, options, std::move(stop));
    auto s = run.execute();
    log_summary(s, !options.record_empty_runs);
    return s;
}

void log_summary(const RunSummary& s, bool quiet_if_empty) {
    if (s.outcome == RunOutcome::failed) log_error("pipeline " + s.pipeline + " failed: " + s.error, {{"pipeline", s.pipeline}});
    if (quiet_if_empty && s.outcome == RunOutcome::ok && s.read == 0) {
        log_debug("run finished", {{"pipeline", s.pipeline}, {"outcome", to_string(s.outcome)}, {"read", "0"}});
        return;
    }
    // A failed run's one error line is the one above; the summary stays a summary.
    const auto level = s.outcome == RunOutcome::failed ? sdk::LogLevel::warning : sdk::LogLevel::info;
    std::vector<LogField> fields = {{"pipeline", s.pipeline},
                                    {"outcome", to_string(s.outcome)},
                                    {"duration_ms", std::to_string(s.duration.count())},
                                    {"read", std::to_string(s.read)},
                                    {"written", std::to_string(s.written)},
                                    {"invalid", std::to_string(s.invalid)}};
    if (s.released > 0) fields.emplace_back("released", std::to_string(s.released));
    fields.emplace_back("failed", std::to_string(s.failed));
    log(level, "run finished", fields);
}

}  // namespace junction::core
