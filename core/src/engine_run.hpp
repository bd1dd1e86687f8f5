// The machinery of one pipeline run (private to core; see engine.hpp).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <span>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "junction/core/engine.hpp"
#include "junction/core/metrics.hpp"
#include "stage_context.hpp"

namespace junction::core {

struct RejectInfo {
    std::size_t index = 0;
    const char* stage = "";
    std::string plugin;
    std::string reason;
};

struct Work {
    std::uint64_t seq = 0;
    sdk::Batch records;
    std::vector<RejectInfo> rejects;  // ascending index
};

// How long one call may keep failing transiently (see RetryPolicy).
class RetryBudget {
public:
    explicit RetryBudget(const RetryPolicy& policy);
    // After a retry status: false when the budget is spent, else the delay before the
    // next attempt in `delay`.
    bool next(const sdk::Status& status, std::chrono::milliseconds& delay);
    [[nodiscard]] int attempts() const noexcept { return attempts_; }
    [[nodiscard]] std::string spent() const;  // "3 attempts in 1.2 s", for the give-up line

private:
    const RetryPolicy& policy_;
    std::chrono::steady_clock::time_point started_;
    int attempts_ = 0;  // made so far
    int counted_ = 0;   // of which count against max_attempts (no Retry-After)
};

// The engine's series of one pipeline (README "Metrics"), looked up once a run so that
// a batch updates them without touching the registry's map. Updated per batch or group,
// never per record.
struct EngineSeries {
    EngineSeries(MetricRegistry& m, const std::string& pipeline);
    // junction_records_total{pipeline,stage,outcome}
    sdk::Counter &read, &reader_rejected, &reader_dead_lettered;
    sdk::Counter &translator_rejected, &translator_retried, &translator_dead_lettered;
    sdk::Counter &written, &writer_rejected, &writer_retried, &released, &writer_dead_lettered;
    // junction_batch_duration_seconds{pipeline,stage}
    sdk::Histogram &read_seconds, &translate_seconds, &write_seconds;
    // junction_runs_total{pipeline,outcome}, junction_last_success_timestamp_seconds,
    // junction_pipeline_running
    sdk::Counter &runs_ok, &runs_failed, &runs_stopped;
    sdk::Gauge &last_success, &running;
    // The retried counter of a stage ("translator", "writer"); nullptr for the reader,
    // whose retried calls carry no records.
    [[nodiscard]] sdk::Counter* retried(const char* stage) noexcept;
};

// One group of batches on its way through the writer (see write_group).
struct GroupPart {
    sdk::Batch compacted;                  // the records left after upstream rejects (when any)
    std::vector<std::size_t> position_of;  // index in the batch of each compacted record
    sdk::Batch* to_write = nullptr;
    std::vector<sdk::Rejection> rejected;
    std::size_t first_ack = 0;
};

class PipelineRun {
public:
    PipelineRun(const ResolvedPipeline& pipeline, StateStore& store, const RunOptions& options, std::stop_token stop);
    ~PipelineRun();
    RunSummary execute();

    // Used by the dead-letter replay as well as by the run.
    bool open_translators_and_writer();
    // Runs every record of w through the translators from first_translator on (replays
    // re-enter where a record was rejected).
    bool translate(Work& w, std::size_t first_translator = 0);
    bool write_group(std::span<Work> group, bool acknowledge);
    void close_all();
    [[nodiscard]] bool failed() const;
    void fail(std::string message, bool fatal);
    RunSummary summary(std::chrono::steady_clock::time_point started);
    void add_read(std::uint64_t n) { read_ += n; }

private:
    // `records`: how many records each repeated call carries (counted as retried).
    template <class Call>
    sdk::Status with_retry(const char* stage, const std::string& plugin, const char* what, Call&& call,
                           std::uint64_t records = 0);
    std::unique_ptr<StageContext> make_context(const ResolvedStage& s, const char* kind, std::stop_token stop,
                                               sdk::Positions committed = {});
    void reader_loop();
    void read_all();
    void keep_alive_until_settled();
    bool keep_alive_if_due(std::chrono::steady_clock::time_point& last);
    bool sleep_keeping_leases(std::chrono::milliseconds delay, std::chrono::steady_clock::time_point& last);
    void worker_loop();
    void translate_all();
    void writer_loop();
    void note_columns(const sdk::Batch& batch);

    // The steps of write_group, in order.
    void compact_upstream_rejects(std::span<Work> group, std::vector<GroupPart>& parts,
                                  std::vector<sdk::Acknowledgement>& acks);
    sdk::Status deliver(std::vector<GroupPart>& parts);
    void settle_writer_rejections(std::vector<GroupPart>& parts, std::vector<sdk::Acknowledgement>& acks);
    void release_all(std::span<Work> group, std::vector<GroupPart>& parts, std::vector<sdk::Acknowledgement>& acks,
                     const sdk::Status& why);
    void move_meta_into_acks(std::span<Work> group, std::vector<GroupPart>& parts,
                             std::vector<sdk::Acknowledgement>& acks);
    bool keep_dead_letters();
    void count_settled(std::uint64_t written, std::uint64_t released);
    bool still_owned();
    [[nodiscard]] bool lease_lapsed() const;
    bool commit_and_acknowledge(std::vector<sdk::Acknowledgement>& acks, const RunBeat& beat);
    // The run's row in the history: begun at the start (or, when empty runs are not
    // recorded, at the first record read), kept alive by a heartbeat until the end.
    void begin_run_row();
    void heartbeat_loop(std::stop_token stop);
    [[nodiscard]] RunBeat beat() const;
    void dead_letter(const sdk::Record& record, const char* stage, const std::string& plugin,
                     const std::string& reason);
    void release_or_dead_letter(sdk::Acknowledgement& ack, const sdk::Record& record, const std::string& reason,
                                std::chrono::milliseconds delay);

    const ResolvedPipeline& p_;
    StateStore& store_;
    RunOptions options_;
    std::stop_token stop_;  // the host's: drain (stop reading) when it is set
    std::string name_;
    std::size_t limit_;
    std::unique_ptr<HostServices> own_services_;  // when the caller gave none
    HostServices& services_;
    // Plugins' stop signals: readers see the host's stop and a failure of the run;
    // translators and writers only a failure, so a drain finishes the writes in flight.
    std::stop_source read_stop_, run_stop_;
    std::optional<std::stop_callback<std::function<void()>>> on_host_stop_;

    // Contexts first: members are destroyed in reverse, so every instance (which may log
    // from its destructor) goes before the context it was opened with.
    std::vector<std::unique_ptr<StageContext>> contexts_;
    std::shared_ptr<sdk::Reader> reader_;
    std::vector<std::shared_ptr<sdk::Translator>> translators_;
    std::shared_ptr<sdk::Writer> writer_;
    bool redelivers_ = false;
    std::chrono::milliseconds keep_alive_every_{0};

    std::mutex reader_mutex_;  // read(), keep_alive() and acknowledge() never overlap
    mutable std::mutex m_;
    std::condition_variable cv_;
    std::deque<Work> pending_;
    std::map<std::uint64_t, Work> done_;
    std::vector<sdk::Batch> spent_;  // written, to be freed by a worker
    std::size_t in_flight_ = 0;
    bool reading_done_ = false;
    bool failed_ = false;
    bool fatal_ = false;
    bool stopped_early_ = false;
    bool interrupted_ = false;  // a failure caused by a stop request during a retry: outcome "stopped"
    bool ack_waiting_ = false;  // the writer waits to acknowledge: the reader holds off its next read
    std::string error_;

    PositionDrops drops_;              // the reader's, applied with the next commit
    std::vector<DeadLetter> letters_;  // of the group being written
    Clock::time_point group_time_{};

    std::atomic<std::uint64_t> read_{0}, written_{0}, invalid_{0}, released_{0};
    std::size_t undeliverable_ = 0;  // of the group's dead letters: not rejected, out of deliveries
    EngineSeries series_;
    std::set<std::string> columns_;

    std::mutex run_row_m_;
    RunRecord run_row_;
    std::atomic<std::int64_t> run_id_{0};
    std::atomic<bool> executing_{false};  // in execute(), which records a run (a replay does not)
    std::jthread heartbeat_;  // last: stopped and joined before anything it reads goes
};

}  // namespace junction::core
