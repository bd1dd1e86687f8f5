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
    std::string outcome = "running";   // running | ok | failed | stopped
    std::string error;
};

class StateStore {
public:
    // Creates the file and schema if needed. Throws std::runtime_error with one clear
    // line (path and SQLite's reason) when it cannot be opened.
    static std::unique_ptr<StateStore> open(const std::filesystem::path& file);
    virtual ~StateStore() = default;

    // Positions, per partition of a pipeline's reader: durable when the call returns.
    virtual sdk::Positions positions(std::string_view pipeline) = 0;
    // All in one transaction: the drops (partitions whose source is gone) first, then the
    // positions.
    virtual void commit_positions(std::string_view pipeline, std::span<const sdk::Committed> positions,
                                  std::span<const std::string> drops = {}) = 0;
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

    // Run history.
    virtual std::int64_t begin_run(RunRecord& run) = 0;  // fills run.id
    virtual void finish_run(const RunRecord& run) = 0;
    virtual std::vector<RunRecord> runs(std::optional<std::string_view> pipeline, std::size_t limit) = 0;
};

}  // namespace junction::core
