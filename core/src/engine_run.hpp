// The machinery of one pipeline run (private to core; see engine.hpp).
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <span>
#include <stop_token>
#include <string>
#include <vector>

#include "junction/core/engine.hpp"
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
    std::uint64_t read_count() const { return read_; }
    void add_read(std::uint64_t n) { read_ += n; }

private:
    template <class Call>
    sdk::Status with_retry(const char* stage, const std::string& plugin, const char* what, Call&& call);
    std::unique_ptr<StageContext> make_context(const ResolvedStage& s, const char* kind,
                                               std::optional<std::string> committed = std::nullopt);
    void reader_loop();
    void read_all();
    void worker_loop();
    void translate_all();
    void writer_loop();
    void note_columns(const sdk::Batch& batch);

    const ResolvedPipeline& p_;
    StateStore& store_;
    RunOptions options_;
    std::stop_token stop_;
    std::string name_;
    std::size_t limit_;

    // Contexts first: members are destroyed in reverse, so every instance (which may log
    // from its destructor) goes before the context it was opened with.
    std::vector<std::unique_ptr<StageContext>> contexts_;
    std::shared_ptr<sdk::Reader> reader_;
    std::vector<std::shared_ptr<sdk::Translator>> translators_;
    std::shared_ptr<sdk::Writer> writer_;
    bool reader_opened_ = false, writer_opened_ = false;
    std::size_t translators_opened_ = 0;

    std::mutex reader_mutex_;  // read() and acknowledge() never overlap
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

    std::atomic<std::uint64_t> read_{0}, written_{0}, invalid_{0};
    // Fault injection for the tests (JUNCTION_FAULT=exit_before_ack): the process exits
    // between the writer's flush and the reader's acknowledgement, the window that
    // at-least-once delivery must cover.
    bool exit_before_ack_ = false;
    std::set<std::string> columns_;
};

}  // namespace junction::core
