// The embedded state store (SQLite, WAL): reader positions, plugin key/value state,
// dead letters and run history. One per config; safe to use from several threads.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <junction/sdk/components.hpp>
#include <junction/sdk/context.hpp>
#include <junction/sdk/record.hpp>
#include <junction/sdk/services.hpp>

namespace junction::core {

using Clock = std::chrono::system_clock;

struct DeadLetter {
    std::int64_t id = 0;  // assigned by the store
    std::string pipeline;
    std::string stage;  // "reader", "translator" or "writer"
    std::string plugin;
    std::string reason;
    boost::json::object payload;  // the record as it was when rejected
    sdk::RecordMeta meta;
    Clock::time_point at{};
    bool replayed = false;
};

struct RunRecord {
    std::int64_t id = 0;
    std::string pipeline;
    Clock::time_point started{};
    std::optional<Clock::time_point> finished;
    std::vector<std::string> plugins;  // the service providers involved, reader first
    std::uint64_t read = 0, written = 0, invalid = 0, failed = 0;
    std::uint64_t released = 0;        // given back to a queue for redelivery
    std::vector<std::string> columns;  // the top-level fields written
    // running | ok | failed | stopped | interrupted (the process ended without finishing
    // the run: SIGKILL, a crash, a second SIGTERM; found out when the store is next opened)
    std::string outcome = "running";
    std::string error;
    // Who runs it (filled in by begin_run): the process and the host, and the last time
    // that process was seen working on it (each commit and every heartbeat).
    std::int64_t pid = 0;
    std::string host;
    std::optional<Clock::time_point> last_seen;
};

// A running run's progress, written with a commit or by the heartbeat.
struct RunBeat {
    std::int64_t run_id = 0;
    std::uint64_t read = 0, written = 0, invalid = 0, released = 0;
};

// One push of a writer to an external ingestion API (sdk::Push), as the run history
// keeps it: with the run in progress (0: outside a run, e.g. `junction check`), the
// pipeline and the plugin that pushed.
struct PushRecord {
    std::int64_t id = 0;      // assigned by the store
    std::int64_t run_id = 0;  // 0: none
    std::string pipeline;
    std::string plugin;
    sdk::Push push;
};

struct StoreLimits {
    // The push log keeps the newest this many pushes of the whole store; older ones go as
    // new ones come (pushes also go with their run, should a run ever be deleted).
    std::size_t max_pushes = 500000;
};

// The run that holds a pipeline: a `running` row of a process that is alive.
struct RunHolder {
    std::int64_t run_id = 0;
    std::int64_t pid = 0;
    std::string host;
    Clock::time_point started{};
};

class StateStore {
public:
    // Creates the file and schema if needed. Throws std::runtime_error with one clear
    // line (path and SQLite's reason) when it cannot be opened.
    static std::unique_ptr<StateStore> open(const std::filesystem::path& file, const StoreLimits& limits = {});
    virtual ~StateStore() = default;

    // Positions, per partition of a pipeline's reader: durable when the call returns.
    virtual sdk::Positions positions(std::string_view pipeline) = 0;
    // All in one transaction: the drops (partitions whose source is gone) first, then the
    // positions.
    // A beat (run_id != 0) is written in the same transaction: the run's last_seen and counts.
    virtual void commit_positions(std::string_view pipeline, std::span<const sdk::Committed> positions,
                                  std::span<const std::string> drops = {}, const RunBeat& beat = {}) = 0;
    virtual void drop_position(std::string_view pipeline, std::string_view partition) = 0;
    virtual void reset_positions(std::string_view pipeline) = 0;

    // Plugin state, scoped (the engine uses "pipeline/plugin/kind").
    virtual std::optional<std::string> kv_get(std::string_view scope, std::string_view key) = 0;
    virtual void kv_put(std::string_view scope, std::string_view key, std::string_view value) = 0;
    virtual void kv_erase(std::string_view scope, std::string_view key) = 0;

    // Dead letters: all in one transaction, durable when the call returns; ids filled in.
    virtual void add_dead_letters(std::vector<DeadLetter>& letters) = 0;
    virtual std::vector<DeadLetter> dead_letters(std::string_view pipeline, bool include_replayed,
                                                 std::size_t limit) = 0;
    virtual void mark_replayed(const std::vector<std::int64_t>& ids) = 0;
    // Those not replayed nor resolved.
    virtual std::size_t count_dead_letters(std::string_view pipeline) = 0;
    // Marks the pipeline's open dead letters of these ids as dealt with; ids of another
    // pipeline, or already done, are left alone. Returns how many changed.
    virtual std::size_t resolve_dead_letters(std::string_view pipeline, const std::vector<std::int64_t>& ids) = 0;

    // Run history. begin_run fills run.id, pid and host. Opening the store turns the rows
    // left `running` by a process of this host that is gone (its PID dead, or reused by
    // another process, or a reboot since) into `interrupted`, finished at their last_seen;
    // rows of other hosts are left alone.
    virtual std::int64_t begin_run(RunRecord& run) = 0;
    virtual void heartbeat_run(const RunBeat& beat) = 0;  // last_seen = now, and the counts
    virtual void finish_run(const RunRecord& run) = 0;
    // For the signal watcher just before _exit: this process's `running` rows become
    // `interrupted` with `error`. Uses its own connection (another thread may be inside
    // the store), waits for SQLite's lock at most about a second, never throws.
    virtual void interrupt_own_runs(std::string_view error) noexcept = 0;
    virtual std::vector<RunRecord> runs(std::optional<std::string_view> pipeline, std::size_t limit) = 0;
    virtual std::optional<RunRecord> run(std::int64_t id) = 0;

    // The push log: durable when the call returns; id filled in. Beyond
    // StoreLimits::max_pushes the oldest pushes are deleted in the same transaction.
    virtual void record_push(PushRecord& push) = 0;
    // Newest first (by the order recorded); a limit of 0 means no limit.
    virtual std::vector<PushRecord> pushes(std::optional<std::string_view> pipeline, std::size_t limit) = 0;

    // One run at a time per pipeline, across every process sharing the store. In one
    // BEGIN IMMEDIATE transaction: when a `running` row of the pipeline belongs to a live
    // process (on this host: its PID, boot and start time; on another host: a last_seen
    // within other_host_stale), that holder is returned and nothing is written; a row of
    // a process of this host that is gone becomes `interrupted`; otherwise `run` is
    // begun as by begin_run (its id, pid and host filled in) and nullopt returned.
    virtual std::optional<RunHolder> claim_run(RunRecord& run) = 0;
    // Deletes a claimed run that did nothing (continuous polling keeps no idle runs).
    virtual void discard_run(std::int64_t id) = 0;
    // A run of another host whose last_seen is older than this no longer holds its
    // pipeline (its heartbeat comes every 5 s; the store cannot check another host's PIDs).
    static constexpr std::chrono::seconds other_host_stale{60};
};

}  // namespace junction::core
