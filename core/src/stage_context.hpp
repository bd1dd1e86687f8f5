// The sdk::Context the engine hands each component (private to core).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <utility>
#include <vector>

#include <junction/sdk/context.hpp>

#include "junction/core/host_services.hpp"
#include "junction/core/logging.hpp"
#include "junction/core/metrics.hpp"
#include "junction/core/state_store.hpp"
#include "services/encoding.hpp"

namespace junction::core {

class ScopedStore final : public sdk::KeyValueStore {
public:
    ScopedStore(StateStore& store, std::string scope) : store_(store), scope_(std::move(scope)) {}
    std::optional<std::string> get(std::string_view key) override { return store_.kv_get(scope_, key); }
    void put(std::string_view key, std::string_view value) override { store_.kv_put(scope_, key, value); }
    void erase(std::string_view key) override { store_.kv_erase(scope_, key); }

private:
    StateStore& store_;
    std::string scope_;
};

// The system clock, whose sleeps end early when the run is asked to stop.
class RunClock final : public sdk::Clock {
public:
    explicit RunClock(std::stop_token stop) : stop_(std::move(stop)) {}
    std::chrono::system_clock::time_point now() const noexcept override { return std::chrono::system_clock::now(); }
    std::chrono::steady_clock::time_point monotonic() const noexcept override {
        return std::chrono::steady_clock::now();
    }
    bool sleep_for(std::chrono::milliseconds d) noexcept override {
        try {
            std::mutex m;
            std::condition_variable_any cv;
            std::unique_lock lock(m);
            cv.wait_for(lock, stop_, d, [] { return false; });
        } catch (...) {  // a failed wait is a short sleep
        }
        return !stop_.stop_requested();
    }

private:
    std::stop_token stop_;
};

// Partitions a reader let go of: dropped from the state store with the engine's next
// commit, in its transaction (one fsync per group, not one per file released).
class PositionDrops {
public:
    void add(std::string_view partition) {
        std::lock_guard lock(mutex_);
        partitions_.emplace_back(partition);
    }
    std::vector<std::string> take() {
        std::lock_guard lock(mutex_);
        return std::exchange(partitions_, {});
    }

private:
    std::mutex mutex_;
    std::vector<std::string> partitions_;
};

// What a component's push log needs besides its logger: the run in progress (asked at each
// push: the engine may begin its run row only when the first record is read; none: 0)
// and the secret values that must not reach the log or the store through an error text.
struct PushSink {
    std::function<std::int64_t()> run_id;
    std::vector<std::string> secrets;
};

// The push log as the host keeps it: one line per push in the component's log (info when
// it went, warning when it failed) and one row in the run history (`runs --pushes`).
class HostPushLog final : public sdk::PushLog {
public:
    HostPushLog(sdk::Logger& log, StateStore& store, std::string pipeline, std::string plugin, PushSink sink)
        : log_(log),
          store_(store),
          pipeline_(std::move(pipeline)),
          plugin_(std::move(plugin)),
          sink_(std::move(sink)) {}
    void record(const sdk::Push& push) noexcept override {
        try {
            PushRecord rec{.run_id = 0, .pipeline = pipeline_, .plugin = plugin_, .push = push};
            auto& p = rec.push;
            if (p.sent_at == std::chrono::system_clock::time_point{}) p.sent_at = std::chrono::system_clock::now();
            // Plugin text, all of it: a target may be a URL with a key in its query.
            p.target = one_line(services::detail::scrub(std::move(p.target), sink_.secrets));
            p.error = one_line(services::detail::scrub(std::move(p.error), sink_.secrets));
            p.request_id = one_line(services::detail::scrub(std::move(p.request_id), sink_.secrets));
            if (!p.ok && p.error.empty()) p.error = "failed (the plugin gave no reason)";
            std::string line =
                "push provider=" + p.provider + " target=" + p.target + " rows=" + std::to_string(p.rows) +
                " columns=" + std::to_string(p.columns.size()) + " duration_ms=" + std::to_string(p.duration.count()) +
                (p.request_id.empty() ? "" : " request_id=" + p.request_id) + (p.ok ? " ok" : " failed: " + p.error);
            log_.write(p.ok ? sdk::LogLevel::info : sdk::LogLevel::warning, line);
            try {
                if (sink_.run_id) rec.run_id = sink_.run_id();
                store_.record_push(rec);
            } catch (const std::exception& e) {  // a push log never fails the push: logged only
                log_.write(sdk::LogLevel::warning, std::string("state store: cannot record the push: ") + e.what());
            }
        } catch (...) {  // out of memory: the push itself is not affected
        }
    }

private:
    static std::string one_line(std::string text) {
        for (auto& c : text)
            if (c == '\n' || c == '\r') c = ' ';
        return text;
    }

    sdk::Logger& log_;
    StateStore& store_;
    std::string pipeline_;
    std::string plugin_;
    PushSink sink_;
};

struct StageIdentity {
    std::string pipeline;
    std::string plugin;
    std::string kind;
};

class StageContext final : public sdk::Context {
public:
    // `drops`: where a reader's drop_position() goes until the next commit; nullptr: to the
    // store at once. `sleep_stop`, when given, ends the clock's sleeps instead of `stop`:
    // a writer's backoff (e.g. the HTTP client's) ends at a drain, its write in flight does not.
    StageContext(const sdk::Options& options, StageIdentity id, StateStore& store, HostServices& services,
                 std::stop_token stop, std::filesystem::path base_dir, sdk::Positions committed,
                 PositionDrops* drops = nullptr, std::stop_token sleep_stop = {}, PushSink push_sink = {})
        : options_(options),
          log_(make_plugin_logger(id.pipeline, id.plugin, id.kind)),
          kv_(store, id.pipeline + "/" + id.plugin + "/" + id.kind),
          store_(store),
          stop_(stop),
          clock_(sleep_stop.stop_possible() ? std::move(sleep_stop) : std::move(stop)),
          metrics_(services.metrics(), {{"pipeline", id.pipeline}, {"plugin", id.plugin}, {"kind", id.kind}}),
          http_(services.http_for(clock_, stop_, *log_)),
          credentials_(services.credentials()),
          pipeline_(std::move(id.pipeline)),
          base_dir_(base_dir.string()),
          committed_(std::move(committed)),
          drops_(drops),
          pushes_(*log_, store, pipeline_, id.plugin, std::move(push_sink)) {}

    const sdk::Options& options() const noexcept override { return options_; }
    sdk::Logger& log() noexcept override { return *log_; }
    sdk::KeyValueStore& state() noexcept override { return kv_; }
    bool stop_requested() const noexcept override { return stop_.stop_requested(); }
    std::string_view pipeline() const noexcept override { return pipeline_; }
    std::string_view base_dir() const noexcept override { return base_dir_; }
    const sdk::Positions& committed() const noexcept override { return committed_; }
    void drop_position(std::string_view partition) override {
        if (drops_ != nullptr)
            drops_->add(partition);
        else
            store_.drop_position(pipeline_, partition);
    }
    sdk::HttpClient& http() noexcept override { return *http_; }
    sdk::Credentials& credentials() noexcept override { return credentials_; }
    sdk::Metrics& metrics() noexcept override { return metrics_; }
    sdk::Clock& clock() noexcept override { return clock_; }
    sdk::PushLog& pushes() noexcept override { return pushes_; }

private:
    const sdk::Options& options_;
    std::unique_ptr<sdk::Logger> log_;
    ScopedStore kv_;
    StateStore& store_;
    std::stop_token stop_;
    RunClock clock_;
    ScopedMetrics metrics_;
    std::unique_ptr<sdk::HttpClient> http_;
    sdk::Credentials& credentials_;
    std::string pipeline_;
    std::string base_dir_;
    sdk::Positions committed_;
    PositionDrops* drops_;
    HostPushLog pushes_;
};

}  // namespace junction::core
