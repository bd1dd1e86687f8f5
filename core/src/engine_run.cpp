// PipelineRun: see engine_run.hpp and the lifecycle in sdk/components.hpp.
#include "engine_run.hpp"

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <thread>

#include "junction/core/logging.hpp"
#include "junction/core/option_validation.hpp"

namespace junction::core {

namespace {

// How often a running run's row says the process is alive when no commit does.
constexpr std::chrono::seconds heartbeat_every{5};

std::string ms_text(std::chrono::milliseconds d) {
    return std::to_string(d.count());
}

// Batch latencies from a millisecond (a fast local write) to five minutes (a slow
// export API waited out with retries).
constexpr double batch_buckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                    0.5,   1,      2.5,   5,    10,    30,   60,  300};

sdk::Counter& records(MetricRegistry& m, const std::string& pipeline, const char* stage, const char* outcome) {
    return m.counter("records_total",
                     "Records per pipeline, stage and outcome: read; rejected (refused for their content); "
                     "retried (sent again after a transient failure); written; released (given back to a queue); "
                     "dead_lettered (kept in the dead-letter store)",
                     {{"pipeline", pipeline}, {"stage", stage}, {"outcome", outcome}});
}

sdk::Histogram& batch_seconds(MetricRegistry& m, const std::string& pipeline, const char* stage) {
    return m.histogram("batch_duration_seconds",
                       "Time a stage spent on one batch: reader read, translators, writer write and flush of a "
                       "group (retries included)",
                       batch_buckets, {{"pipeline", pipeline}, {"stage", stage}});
}

sdk::Counter& runs(MetricRegistry& m, const std::string& pipeline, const char* outcome) {
    return m.counter("runs_total", "Pipeline runs ended, per outcome (ok, failed, stopped)",
                     {{"pipeline", pipeline}, {"outcome", outcome}});
}

double unix_seconds(std::chrono::system_clock::time_point t) {
    return std::chrono::duration<double>(t.time_since_epoch()).count();
}

// Acknowledgements handed to Reader::acknowledge (a view of the engine's vectors).
class AckView final : public sdk::Acknowledgements {
public:
    AckView(std::span<const sdk::Acknowledgement> records, std::span<const sdk::Committed> committed)
        : records_(records), committed_(committed) {}
    std::span<const sdk::Acknowledgement> records() const noexcept override { return records_; }
    std::span<const sdk::Committed> committed() const noexcept override { return committed_; }

private:
    std::span<const sdk::Acknowledgement> records_;
    std::span<const sdk::Committed> committed_;
};

// Each partition's last position among the records, in the order the partitions appear.
std::vector<sdk::Committed> last_positions(std::span<const sdk::Acknowledgement> acks) {
    std::vector<sdk::Committed> out;
    for (const auto& a : acks) {
        if (a.meta.position.empty()) continue;
        auto it = std::find_if(out.begin(), out.end(), [&](const auto& c) { return c.partition == a.meta.partition; });
        if (it == out.end())
            out.push_back({a.meta.partition, a.meta.position});
        else
            it->offset = a.meta.position;
    }
    return out;
}

}  // namespace

EngineSeries::EngineSeries(MetricRegistry& m, const std::string& p)
    : read(records(m, p, "reader", "read")),
      reader_rejected(records(m, p, "reader", "rejected")),
      reader_dead_lettered(records(m, p, "reader", "dead_lettered")),
      translator_rejected(records(m, p, "translator", "rejected")),
      translator_retried(records(m, p, "translator", "retried")),
      translator_dead_lettered(records(m, p, "translator", "dead_lettered")),
      written(records(m, p, "writer", "written")),
      writer_rejected(records(m, p, "writer", "rejected")),
      writer_retried(records(m, p, "writer", "retried")),
      released(records(m, p, "writer", "released")),
      writer_dead_lettered(records(m, p, "writer", "dead_lettered")),
      read_seconds(batch_seconds(m, p, "reader")),
      translate_seconds(batch_seconds(m, p, "translator")),
      write_seconds(batch_seconds(m, p, "writer")),
      runs_ok(runs(m, p, "ok")),
      runs_failed(runs(m, p, "failed")),
      runs_stopped(runs(m, p, "stopped")),
      last_success(m.gauge("last_success_timestamp_seconds", "Unix time at which the pipeline's last ok run ended",
                           {{"pipeline", p}})),
      running(m.gauge("pipeline_running", "1 while a run of the pipeline is in progress, else 0", {{"pipeline", p}})) {}

sdk::Counter* EngineSeries::retried(const char* stage) noexcept {
    const std::string_view s = stage;
    return s == "writer" ? &writer_retried : s == "translator" ? &translator_retried : nullptr;
}

const char* to_string(RunOutcome o) noexcept {
    switch (o) {
        case RunOutcome::ok:
            return "ok";
        case RunOutcome::failed:
            return "failed";
        case RunOutcome::stopped:
            return "stopped";
    }
    return "unknown";
}

RetryBudget::RetryBudget(const RetryPolicy& policy) : policy_(policy), started_(std::chrono::steady_clock::now()) {}

bool RetryBudget::next(const sdk::Status& status, std::chrono::milliseconds& delay) {
    ++attempts_;
    std::optional<std::chrono::milliseconds> hint = status.retry_after();
    if (!hint) ++counted_;
    if (counted_ >= policy_.max_attempts) return false;
    if (hint && *hint > policy_.max_retry_after) hint = policy_.max_retry_after;
    delay = backoff_delay(policy_, std::max(1, counted_), hint);
    const auto elapsed =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started_);
    return elapsed + delay <= policy_.max_elapsed;
}

std::string RetryBudget::spent() const {
    const auto elapsed =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started_);
    char secs[32];
    std::snprintf(secs, sizeof secs, "%.1f", static_cast<double>(elapsed.count()) / 1000.0);
    return std::to_string(attempts_) + " attempt" + (attempts_ == 1 ? "" : "s") + " in " + secs + " s";
}

PipelineRun::PipelineRun(const ResolvedPipeline& pipeline, StateStore& store, const RunOptions& options,
                         std::stop_token stop)
    : p_(pipeline),
      store_(store),
      options_(options),
      stop_(std::move(stop)),
      name_(pipeline.config->name),
      limit_(std::max(pipeline.config->queue_depth, pipeline.effective_workers() + 1)),
      own_services_(options.services == nullptr ? std::make_unique<HostServices>() : nullptr),
      services_(options.services != nullptr ? *options.services : *own_services_),
      series_(services_.metrics(), name_) {
    on_host_stop_.emplace(stop_, std::function<void()>([this] {
                              read_stop_.request_stop();
                              { std::lock_guard lock(m_); }  // waiters re-check stop_requested() after this
                              cv_.notify_all();
                          }));
}

PipelineRun::~PipelineRun() {
    on_host_stop_.reset();
}

bool PipelineRun::failed() const {
    std::lock_guard lock(m_);
    return failed_;
}

void PipelineRun::fail(std::string message, bool fatal) {
    {
        std::lock_guard lock(m_);
        if (failed_) return;  // the first failure is the one reported
        failed_ = true;
        // Asked to stop while waiting out an outage: the run was stopped, not broken; what
        // was not committed is read again next time.
        interrupted_ = !fatal && stop_.stop_requested();
        fatal_ = fatal;
        error_ = std::move(message);
    }
    cv_.notify_all();
    run_stop_.request_stop();
    read_stop_.request_stop();
}

std::unique_ptr<StageContext> PipelineRun::make_context(const ResolvedStage& s, const char* kind,
                                                        std::stop_token stop, sdk::Positions committed) {
    // Every stage's backoff sleeps end at a host stop (read_stop_), so a drain never waits
    // out a retry delay; only a reader's own stop_requested() sees the drain.
    // A push belongs to the run in progress: its row is begun now if no record began it yet.
    // A dead-letter replay records no run: its pushes have none.
    PushSink sink{.run_id =
                      [this] {
                          if (executing_) begin_run_row();
                          return run_id_.load();
                      },
                  .secrets = services_.secrets()};
    if (s.component != nullptr) {
        auto more = secret_values(s.component->options, s.options.values());
        sink.secrets.insert(sink.secrets.end(), more.begin(), more.end());
    }
    return std::make_unique<StageContext>(s.options, StageIdentity{name_, s.config->plugin, kind}, store_, services_,
                                          std::move(stop), options_.base_dir, std::move(committed), &drops_,
                                          read_stop_.get_token(), std::move(sink));
}

// Calls `call` until it is not a retry or the retry budget is spent, backing off with
// full jitter between attempts. A stop request ends the waiting (the last status stands).
template <class Call>
sdk::Status PipelineRun::with_retry(const char* stage, const std::string& plugin, const char* what, Call&& call,
                                    std::uint64_t records) {
    RetryBudget budget(p_.config->retry);
    for (;;) {
        sdk::Status st = call();
        if (st.code() != sdk::Code::retry) return st;
        std::chrono::milliseconds delay{0};
        if (!budget.next(st, delay) || stop_.stop_requested() || failed())
            return sdk::Status::retry(std::string(stage) + " " + plugin + " " + what + ": gave up after " +
                                          budget.spent() + ": " + st.message(),
                                      st.retry_after());
        log_warn(std::string(stage) + " " + plugin + " " + what + " failed, will retry: " + st.message(),
                 {{"pipeline", name_}, {"attempt", std::to_string(budget.attempts())}, {"delay_ms", ms_text(delay)}});
        if (!sleep_for(delay, read_stop_.get_token())) return st;  // a host stop or a failure elsewhere
        // Looked up here, not before the first call: a translator's call per record that
        // succeeds (nearly all) costs nothing more.
        if (auto* retried = records > 0 ? series_.retried(stage) : nullptr) retried->add(static_cast<double>(records));
    }
}

bool PipelineRun::open_translators_and_writer() {
    for (const auto& t : p_.translators) {
        auto inst = t.plugin->create_translator();
        if (!inst) {
            fail("plugin " + t.config->plugin + " did not create a translator", true);
            return false;
        }
        translators_.push_back(std::move(inst));
        contexts_.push_back(make_context(t, "translator", run_stop_.get_token()));
        auto st = with_retry("translator", t.config->plugin, "open",
                             [&] { return translators_.back()->open(*contexts_.back()); });
        if (!st.is_ok()) {
            fail("translator " + t.config->plugin + " could not open: " + st.message(), st.code() != sdk::Code::retry);
            return false;
        }
    }
    writer_ = p_.writer.plugin->create_writer();
    if (!writer_) {
        fail("plugin " + p_.writer.config->plugin + " did not create a writer", true);
        return false;
    }
    contexts_.push_back(make_context(p_.writer, "writer", run_stop_.get_token()));
    auto& wctx = *contexts_.back();
    auto st = with_retry("writer", p_.writer.config->plugin, "open", [&] { return writer_->open(wctx); });
    if (!st.is_ok()) {
        fail("writer " + p_.writer.config->plugin + " could not open: " + st.message(), st.code() != sdk::Code::retry);
        return false;
    }
    return true;
}

void PipelineRun::close_all() {
    auto report = [&](const char* kind, const std::string& plugin, const sdk::Status& st) {
        if (!st.is_ok())
            log_warn(std::string(kind) + " " + plugin + " failed to close: " + st.message(), {{"pipeline", name_}});
    };
    if (reader_) report("reader", p_.reader.config->plugin, reader_->close());
    for (std::size_t i = 0; i < translators_.size(); ++i)
        report("translator", p_.translators[i].config->plugin, translators_[i]->close());
    if (writer_) report("writer", p_.writer.config->plugin, writer_->close());
}

bool PipelineRun::translate(Work& w, std::size_t first_translator) {
    for (std::size_t i = 0; i < w.records.size(); ++i) {
        auto& rec = w.records[i];
        if (!rec.meta.error.empty()) {
            w.rejects.push_back({i, "reader", p_.reader.config ? p_.reader.config->plugin : "", rec.meta.error});
            continue;
        }
        for (std::size_t t = first_translator; t < translators_.size(); ++t) {
            const auto& plugin = p_.translators[t].config->plugin;
            auto st = with_retry(
                "translator", plugin, "translate", [&] { return translators_[t]->translate(rec); }, 1);
            if (st.code() == sdk::Code::reject) {
                w.rejects.push_back({i, "translator", plugin, st.message()});
                break;
            }
            if (!st.is_ok()) {
                fail("translator " + plugin + ": " + st.message(), st.code() == sdk::Code::fatal);
                return false;
            }
        }
    }
    return true;
}

void PipelineRun::note_columns(const sdk::Batch& batch) {
    // A sample is enough to name the columns; walking every record would cost throughput.
    for (std::size_t i = 0; i < std::min<std::size_t>(batch.size(), 8); ++i)
        for (const auto& kv : batch[i].payload)
            if (columns_.size() < 256) columns_.emplace(kv.key());
}

void PipelineRun::dead_letter(const sdk::Record& r, const char* stage, const std::string& plugin,
                              const std::string& reason) {
    DeadLetter d;
    d.pipeline = name_;
    d.stage = stage;
    d.plugin = plugin;
    d.reason = reason;
    d.payload = r.payload;
    d.meta = r.meta;
    d.at = group_time_;
    letters_.push_back(std::move(d));
}

// A record that could not be written now: a reader that redelivers takes it back for a
// later delivery, unless it has been delivered max_deliveries times already, when it goes
// to the dead letters like bad data.
void PipelineRun::release_or_dead_letter(sdk::Acknowledgement& ack, const sdk::Record& record,
                                         const std::string& reason, std::chrono::milliseconds delay) {
    // A redelivering reader must count deliveries; without a count a record could come
    // back for ever, so it goes to the dead letters at once.
    if (record.meta.attempts == 0 || record.meta.attempts >= p_.config->max_deliveries) {
        ack.outcome = sdk::Outcome::rejected;
        ++undeliverable_;
        ack.reason = record.meta.attempts == 0
                         ? "not written, and the reader gives no delivery count to redeliver it by: " + reason
                         : "not written after " + std::to_string(record.meta.attempts) + " deliveries: " + reason;
        dead_letter(record, "writer", p_.writer.config->plugin, ack.reason);
        return;
    }
    ack.outcome = sdk::Outcome::released;
    ack.reason = reason;
    ack.redeliver_after = std::min(delay, p_.config->retry.max_retry_after);
}

// Step 1: records rejected upstream (reader, translators) become dead letters; the rest
// of each batch is what the writer gets.
void PipelineRun::compact_upstream_rejects(std::span<Work> group, std::vector<GroupPart>& parts,
                                           std::vector<sdk::Acknowledgement>& acks) {
    for (std::size_t g = 0; g < group.size(); ++g) {
        auto& w = group[g];
        auto& part = parts[g];
        const std::size_t n = w.records.size();
        part.first_ack = acks.size();
        acks.resize(acks.size() + n);  // metadata moved in once the records are written
        part.to_write = &w.records;
        if (w.rejects.empty()) continue;
        std::size_t ri = 0;
        for (std::size_t i = 0; i < n; ++i) {
            if (ri < w.rejects.size() && w.rejects[ri].index == i) {
                const auto& rj = w.rejects[ri++];
                auto& ack = acks[part.first_ack + i];
                ack.outcome = sdk::Outcome::rejected;
                ack.reason = rj.reason;
                dead_letter(w.records[i], rj.stage, rj.plugin, rj.reason);
            } else {
                part.position_of.push_back(i);
                part.compacted.push_back(std::move(w.records[i]));
            }
        }
        part.to_write = &part.compacted;
    }
}

// Step 2: every batch of the group is its own write() (a writer never sees more than
// batch_size records at once), then one flush; a retry sends the whole group again
// (writes are idempotent). A record the writer wants retried later (Rejection with
// retry_after) makes the group a retry when the reader cannot take it back.
sdk::Status PipelineRun::deliver(std::vector<GroupPart>& parts) {
    const auto started = std::chrono::steady_clock::now();
    std::uint64_t records = 0;
    for (const auto& part : parts)
        records += part.to_write->size();
    auto st = with_retry(
        "writer", p_.writer.config->plugin, "write",
        [&] {
            for (auto& part : parts) {
                part.rejected.clear();
                if (part.to_write->empty()) continue;
                // Each attempt, not only the first: a retry after a backoff must not write
                // for a host whose lease lapsed meanwhile.
                if (lease_lapsed()) return sdk::Status::fatal("lease lapsed");
                auto s = writer_->write(std::span<const sdk::Record>(*part.to_write), part.rejected);
                if (s.code() == sdk::Code::reject) {  // the whole batch refused for its content
                    part.rejected.clear();
                    for (std::size_t i = 0; i < part.to_write->size(); ++i)
                        part.rejected.push_back({i, s.message(), std::nullopt});
                    continue;
                }
                if (!s.is_ok()) return s;
                if (!redelivers_)
                    for (const auto& r : part.rejected)
                        if (r.retry_after) return sdk::Status::retry(r.reason, r.retry_after);
            }
            if (options_.fault == Fault::kill_before_flush) ::kill(::getpid(), SIGKILL);
            if (lease_lapsed()) return sdk::Status::fatal("lease lapsed");
            return writer_->flush();
        },
        records);
    series_.write_seconds.observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
    return st;
}

// Step 3: the writer's rejections, trusted for nothing (out-of-range and repeated indexes
// are dropped), become dead letters or releases.
void PipelineRun::settle_writer_rejections(std::vector<GroupPart>& parts, std::vector<sdk::Acknowledgement>& acks) {
    for (auto& part : parts) {
        auto& rejected = part.rejected;
        std::sort(rejected.begin(), rejected.end(), [](auto& a, auto& b) { return a.index < b.index; });
        rejected.erase(std::remove_if(rejected.begin(), rejected.end(),
                                      [&](const sdk::Rejection& r) { return r.index >= part.to_write->size(); }),
                       rejected.end());
        rejected.erase(std::unique(rejected.begin(), rejected.end(),
                                   [](const auto& a, const auto& b) { return a.index == b.index; }),
                       rejected.end());
        for (const auto& rj : rejected) {
            const std::size_t i = part.position_of.empty() ? rj.index : part.position_of[rj.index];
            auto& ack = acks[part.first_ack + i];
            const auto& record = (*part.to_write)[rj.index];
            if (rj.retry_after && redelivers_) {
                release_or_dead_letter(ack, record, rj.reason, *rj.retry_after);
                continue;
            }
            ack.outcome = sdk::Outcome::rejected;
            ack.reason = rj.reason;
            dead_letter(record, "writer", p_.writer.config->plugin, rj.reason);
        }
        if (!part.to_write->empty()) note_columns(*part.to_write);
    }
}

// The writer gave up on the whole group, and the reader can take records back: give
// every record back (or dead-letter it after max_deliveries) and go on with the next.
void PipelineRun::release_all(std::span<Work> group, std::vector<GroupPart>& parts,
                              std::vector<sdk::Acknowledgement>& acks, const sdk::Status& why) {
    const auto delay = backoff_delay(p_.config->retry, p_.config->retry.max_attempts, why.retry_after());
    for (std::size_t g = 0; g < group.size(); ++g) {
        auto& part = parts[g];
        part.rejected.clear();
        for (std::size_t k = 0; k < part.to_write->size(); ++k) {
            const std::size_t i = part.position_of.empty() ? k : part.position_of[k];
            release_or_dead_letter(acks[part.first_ack + i], (*part.to_write)[k], why.message(), delay);
        }
    }
}

// Step 4: the records are done with: their metadata moves into the acknowledgements.
void PipelineRun::move_meta_into_acks(std::span<Work> group, std::vector<GroupPart>& parts,
                                      std::vector<sdk::Acknowledgement>& acks) {
    for (std::size_t g = 0; g < group.size(); ++g) {
        auto& w = group[g];
        auto& part = parts[g];
        auto* ack = acks.data() + part.first_ack;
        if (part.to_write == &w.records) {
            for (std::size_t i = 0; i < w.records.size(); ++i)
                ack[i].meta = std::move(w.records[i].meta);
            continue;
        }
        std::size_t k = 0;  // position_of is ascending: every other index was rejected upstream
        for (std::size_t i = 0; i < w.records.size(); ++i) {
            if (k < part.position_of.size() && part.position_of[k] == i)
                ack[i].meta = std::move(part.compacted[k++].meta);
            else
                ack[i].meta = std::move(w.records[i].meta);
        }
    }
}

// Step 5: the dead letters of the group are durable before anything is committed.
bool PipelineRun::keep_dead_letters() {
    if (letters_.empty()) return true;
    try {
        store_.add_dead_letters(letters_);
    } catch (const std::exception& e) {
        fail(std::string("state store: cannot keep dead letters: ") + e.what(), false);
        return false;
    }
    for (const auto& d : letters_)
        log_warn("record rejected: " + d.reason,
                 {{"pipeline", name_}, {"stage", d.stage}, {"plugin", d.plugin}, {"source", d.meta.source}});
    return true;
}

// A cluster's singleton writes and commits only while its host holds the lease: a host
// paused past it (another may run the pipeline now) stops here, before touching anything.
bool PipelineRun::lease_lapsed() const {
    return options_.ownership != nullptr && !options_.ownership->held();
}

bool PipelineRun::still_owned() {
    if (options_.ownership == nullptr || options_.ownership->held()) return true;
    fail(options_.ownership->lost_reason(), false);
    return false;
}

// Step 6: each partition's last position is committed, then the reader is told what
// was settled and committed, and lets go of its sources.
bool PipelineRun::commit_and_acknowledge(std::vector<sdk::Acknowledgement>& acks, const RunBeat& beat) {
    if (options_.fault == Fault::exit_before_commit) std::_Exit(86);
    const auto committed = last_positions(acks);
    if (auto* own = options_.ownership) {  // a cluster's singleton: positions beside its lease
        if (!still_owned()) return false;
        try {
            own->commit(committed, drops_.take());
        } catch (const std::exception& e) {
            fail(std::string("cluster: cannot commit the position: ") + e.what(), false);
            return false;
        }
        try {
            store_.heartbeat_run(beat);
        } catch (const std::exception& e) {  // the history lags; the records are not at risk
            log_warn(std::string("state store: cannot record the run's progress: ") + e.what(), {{"pipeline", name_}});
        }
    } else {
        try {
            store_.commit_positions(name_, committed, drops_.take(), beat);
        } catch (const std::exception& e) {
            fail(std::string("state store: cannot commit the position: ") + e.what(), false);
            return false;
        }
    }
    if (options_.fault == Fault::exit_before_ack) std::_Exit(86);
    const auto& plugin = p_.reader.config->plugin;
    const AckView view(acks, committed);
    auto st = with_retry("reader", plugin, "acknowledge", [&] {
        // Tell the reader thread to let us in before its next read(): std::mutex is not
        // fair, and a reader that reads back to back would otherwise starve the commit.
        {
            std::lock_guard lock(m_);
            ack_waiting_ = true;
        }
        std::lock_guard lock(reader_mutex_);
        auto result = reader_->acknowledge(view);
        {
            std::lock_guard state(m_);
            ack_waiting_ = false;
        }
        cv_.notify_all();
        return result;
    });
    if (!st.is_ok()) {
        fail("reader " + plugin + ": " + st.message(), st.code() != sdk::Code::retry);
        return false;
    }
    return true;
}

// Writes consecutive batches as one group: each batch its own Writer::write, then one
// flush, one set of dead letters, one position commit and one acknowledgement for all of
// them. When the writer keeps up the group is a single batch; when flush or commit is
// slow (an fsync each), the batches that piled up behind it share one, so durability
// costs per group rather than per batch.
bool PipelineRun::write_group(std::span<Work> group, bool acknowledge) {
    std::size_t total = 0;
    for (const auto& w : group)
        total += w.records.size();
    std::vector<sdk::Acknowledgement> acks;
    acks.reserve(total);
    letters_.clear();
    undeliverable_ = 0;
    group_time_ = Clock::now();
    std::vector<GroupPart> parts(group.size());

    compact_upstream_rejects(group, parts, acks);
    const bool any = std::any_of(parts.begin(), parts.end(), [](const auto& p) { return !p.to_write->empty(); });
    if (any && !still_owned()) return false;
    if (any) {
        auto st = deliver(parts);
        if (lease_lapsed()) {  // lost during the write or its retries: not the writer's failure
            (void)still_owned();
            return false;
        }
        if (st.code() == sdk::Code::retry && redelivers_ && acknowledge && !stop_.stop_requested()) {
            log_warn("writer " + p_.writer.config->plugin + ": " + st.message() + "; records released for redelivery",
                     {{"pipeline", name_}});
            release_all(group, parts, acks, st);
        } else if (!st.is_ok()) {
            fail("writer " + p_.writer.config->plugin + ": " + st.message(), st.code() != sdk::Code::retry);
            return false;
        } else {
            settle_writer_rejections(parts, acks);
        }
    }
    std::size_t written = 0;
    for (const auto& a : acks)
        written += a.outcome == sdk::Outcome::written ? 1 : 0;
    const auto settled_released = static_cast<std::uint64_t>(
        std::count_if(acks.begin(), acks.end(), [](const auto& a) { return a.outcome == sdk::Outcome::released; }));
    move_meta_into_acks(group, parts, acks);
    if (!keep_dead_letters()) return false;
    if (acknowledge && reader_) {
        // The run's row goes forward with the commit, in its transaction: no extra fsync.
        auto b = beat();
        b.written += written;
        b.invalid += letters_.size();
        b.released += settled_released;
        if (!commit_and_acknowledge(acks, b)) return false;
    }
    written_ += written;
    invalid_ += letters_.size();
    released_ += settled_released;
    count_settled(written, settled_released);
    return true;
}

// A committed group's outcomes, per stage (the dead letters say which stage refused each).
void PipelineRun::count_settled(std::uint64_t written, std::uint64_t released) {
    std::uint64_t by_reader = 0, by_translator = 0, by_writer = 0;
    for (const auto& d : letters_) {
        const std::string_view stage = d.stage;
        ++(stage == "reader" ? by_reader : stage == "translator" ? by_translator : by_writer);
    }
    const auto add = [](sdk::Counter& c, std::uint64_t n) { c.add(static_cast<double>(n)); };
    add(series_.written, written);
    add(series_.released, released);
    add(series_.reader_rejected, by_reader);
    add(series_.reader_dead_lettered, by_reader);
    add(series_.translator_rejected, by_translator);
    add(series_.translator_dead_lettered, by_translator);
    add(series_.writer_rejected, by_writer - std::min<std::uint64_t>(by_writer, undeliverable_));
    add(series_.writer_dead_lettered, by_writer);
}

// A backoff of the reader thread, in slices no longer than the keep-alive interval so
// the leases of what is in flight do not lapse meanwhile; false when stopped or failed.
bool PipelineRun::sleep_keeping_leases(std::chrono::milliseconds delay, std::chrono::steady_clock::time_point& last) {
    const auto until = std::chrono::steady_clock::now() + delay;
    for (;;) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
        if (left.count() <= 0) return true;
        const auto step = keep_alive_every_.count() > 0 ? std::min(left, keep_alive_every_) : left;
        if (!sleep_for(step, read_stop_.get_token())) return false;
        if (!keep_alive_if_due(last)) return false;
    }
}

bool PipelineRun::keep_alive_if_due(std::chrono::steady_clock::time_point& last) {
    if (keep_alive_every_.count() <= 0) return true;
    const auto now = std::chrono::steady_clock::now();
    if (now - last < keep_alive_every_) return true;
    last = now;
    {
        std::lock_guard lock(m_);
        if (in_flight_ == 0) return true;
    }
    sdk::Status st;
    {
        std::lock_guard lock(reader_mutex_);
        st = reader_->keep_alive();
    }
    if (st.is_ok() || st.code() == sdk::Code::retry) {
        if (!st.is_ok()) log_warn("reader " + p_.reader.config->plugin + " keep_alive failed: " + st.message());
        return true;
    }
    fail("reader " + p_.reader.config->plugin + ": " + st.message(), true);
    return false;
}

void PipelineRun::reader_loop() {
    try {
        read_all();
        keep_alive_until_settled();
    } catch (const std::exception& e) {  // a plugin export without the SDK's guards, or bad_alloc
        fail(std::string("internal error in the reader thread: ") + e.what(), true);
    } catch (...) {
        fail("internal error in the reader thread", true);
    }
}

// After the last read, leases of records still in flight are kept alive until the
// writer settles them.
void PipelineRun::keep_alive_until_settled() {
    {
        std::lock_guard lock(m_);
        reading_done_ = true;
    }
    cv_.notify_all();
    if (keep_alive_every_.count() <= 0) return;
    auto last = std::chrono::steady_clock::now();
    while (true) {
        {
            std::unique_lock lock(m_);
            cv_.wait_for(lock, keep_alive_every_, [&] { return in_flight_ == 0 || failed_; });
            if (in_flight_ == 0 || failed_) return;
        }
        if (!keep_alive_if_due(last)) return;
    }
}

void PipelineRun::read_all() {
    std::uint64_t seq = 0;
    int empty_reads = 0;
    const auto& plugin = p_.reader.config->plugin;
    const std::size_t batch = p_.config->batch_size;
    std::optional<RetryBudget> budget;
    auto last_keep_alive = std::chrono::steady_clock::now();
    const auto wait_step = keep_alive_every_.count() > 0 ? keep_alive_every_ : std::chrono::milliseconds(3600000);
    while (true) {
        bool may_read = false;
        {
            std::unique_lock lock(m_);
            may_read = cv_.wait_for(lock, wait_step, [&] {
                return (in_flight_ < limit_ && !ack_waiting_) || failed_ || stop_.stop_requested();
            });
            if (failed_) break;
            if (stop_.stop_requested()) {
                stopped_early_ = true;
                break;
            }
            if (may_read) ++in_flight_;
        }
        if (!may_read) {  // waiting behind the writer: keep the leases of what is in flight
            if (!keep_alive_if_due(last_keep_alive)) break;
            continue;
        }
        auto release = [&] {
            {
                std::lock_guard lock(m_);
                --in_flight_;
            }
            cv_.notify_all();
        };
        if (!keep_alive_if_due(last_keep_alive)) {
            release();
            break;
        }
        sdk::Batch records;
        records.reserve(std::min<std::size_t>(batch, 4096));
        bool end = false;
        sdk::Status st;
        const auto read_started = std::chrono::steady_clock::now();
        {
            std::lock_guard lock(reader_mutex_);
            st = reader_->read(records, batch, end);
        }
        // Only reads that brought records: an idle source's empty polls would bury the batches.
        if (!records.empty())
            series_.read_seconds.observe(
                std::chrono::duration<double>(std::chrono::steady_clock::now() - read_started).count());
        if (!st.is_ok()) {
            release();
            std::chrono::milliseconds delay{0};
            if (!budget) budget.emplace(p_.config->retry);
            if (st.code() == sdk::Code::retry && budget->next(st, delay) && !stop_.stop_requested()) {
                log_warn("reader " + plugin + " read failed, will retry: " + st.message(),
                         {{"pipeline", name_},
                          {"attempt", std::to_string(budget->attempts())},
                          {"delay_ms", ms_text(delay)}});
                if (sleep_keeping_leases(delay, last_keep_alive)) continue;
            }
            // A reject from read() breaks the contract (bad input is a record with meta.error): fatal.
            fail("reader " + plugin + ": " +
                     (st.code() == sdk::Code::retry ? "gave up after " + budget->spent() + ": " : "") + st.message(),
                 st.code() != sdk::Code::retry);
            break;
        }
        budget.reset();
        if (records.empty()) {
            release();
            if (end) break;
            // A reader that returns at once with nothing must not make this thread spin.
            if (++empty_reads > 3) sleep_for(std::chrono::milliseconds(std::min(100, 5 * empty_reads)), stop_);
            continue;
        }
        empty_reads = 0;
        if (run_id_ == 0) begin_run_row();
        const auto now = std::chrono::system_clock::now();
        for (auto& r : records)
            if (r.meta.received_at == std::chrono::system_clock::time_point{}) r.meta.received_at = now;
        read_ += records.size();
        series_.read.add(static_cast<double>(records.size()));
        {
            std::lock_guard lock(m_);
            pending_.push_back(Work{seq++, std::move(records), {}});
        }
        cv_.notify_all();
        if (end) break;
    }
}

void PipelineRun::worker_loop() {
    try {
        translate_all();
    } catch (const std::exception& e) {
        fail(std::string("internal error in a translator worker: ") + e.what(), true);
    } catch (...) {
        fail("internal error in a translator worker", true);
    }
}

void PipelineRun::translate_all() {
    std::vector<sdk::Batch> spent;
    while (true) {
        Work w;
        {
            std::unique_lock lock(m_);
            cv_.wait(lock, [&] { return !pending_.empty() || reading_done_ || failed_; });
            if (failed_) return;
            if (pending_.empty()) return;  // reading is done and nothing is left
            w = std::move(pending_.front());
            pending_.pop_front();
            spent.swap(spent_);
        }
        spent.clear();  // outside the lock (see writer_loop)
        const auto started = std::chrono::steady_clock::now();
        if (!translate(w)) return;
        if (!translators_.empty())
            series_.translate_seconds.observe(
                std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
        {
            std::lock_guard lock(m_);
            done_.emplace(w.seq, std::move(w));
        }
        cv_.notify_all();
    }
}

void PipelineRun::writer_loop() {
    std::uint64_t next = 0;
    std::vector<Work> group;
    while (true) {
        group.clear();
        {
            std::unique_lock lock(m_);
            cv_.wait(lock, [&] { return failed_ || done_.count(next) > 0 || (reading_done_ && in_flight_ == 0); });
            if (failed_) return;
            // The next batch in read order and every consecutive one already translated.
            for (auto it = done_.find(next); it != done_.end() && it->first == next + group.size();
                 it = done_.erase(it))
                group.push_back(std::move(it->second));
            if (group.empty()) return;  // everything read has been written
        }
        const bool ok = write_group(std::span<Work>(group), true);
        {
            std::lock_guard lock(m_);
            in_flight_ -= group.size();
            next += group.size();
            // Written records are freed by a worker, the thread that allocated most of
            // them (the translated payloads): memory goes back to the allocator it came
            // from (glibc's per-thread caches), and the writer, the pipeline's serial
            // stage, spends no time on it. Workers take it at their next batch.
            if (!p_.translators.empty() && !failed_)
                for (auto& w : group)
                    spent_.push_back(std::move(w.records));
        }
        cv_.notify_all();
        if (!ok) return;
    }
}

RunSummary PipelineRun::summary(std::chrono::steady_clock::time_point started) {
    RunSummary s;
    s.pipeline = name_;
    s.read = read_;
    s.written = written_;
    s.invalid = invalid_;
    s.released = released_;
    const auto settled = s.written + s.invalid + s.released;
    s.failed = s.read > settled ? s.read - settled : 0;
    s.duration = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    std::lock_guard lock(m_);
    s.fatal = fatal_;
    s.error = error_;
    s.outcome = failed_ && !interrupted_                 ? RunOutcome::failed
                : (stopped_early_ || interrupted_) ? RunOutcome::stopped
                                                   : RunOutcome::ok;
    return s;
}

RunBeat PipelineRun::beat() const {
    return RunBeat{.run_id = run_id_, .read = read_, .written = written_, .invalid = invalid_, .released = released_};
}

void PipelineRun::begin_run_row() {
    std::lock_guard lock(run_row_m_);
    if (run_id_ != 0) return;
    try {
        run_id_ = options_.claimed_run != 0 ? options_.claimed_run : store_.begin_run(run_row_);
    } catch (const std::exception& e) {  // the history misses a row; the records are not at risk
        log_warn(std::string("state store: cannot record the run: ") + e.what(), {{"pipeline", name_}});
        return;
    }
    heartbeat_ = std::jthread([this](std::stop_token stop) { heartbeat_loop(std::move(stop)); });
}

// Commits beat too, but a batch stuck in a long write or a retry commits nothing for a
// while: the heartbeat shows the process is still at it.
void PipelineRun::heartbeat_loop(std::stop_token stop) {
    bool warned = false;
    while (sleep_for(heartbeat_every, stop)) {
        try {
            store_.heartbeat_run(beat());
        } catch (const std::exception& e) {
            if (!std::exchange(warned, true))
                log_warn(std::string("state store: cannot record the run's heartbeat: ") + e.what(),
                         {{"pipeline", name_}});
        }
    }
}

RunSummary PipelineRun::execute() {
    const auto started = std::chrono::steady_clock::now();
    auto& rec = run_row_;
    rec.pipeline = name_;
    rec.started = Clock::now();
    rec.plugins.push_back(p_.reader.config->plugin);
    for (const auto& t : p_.translators)
        rec.plugins.push_back(t.config->plugin);
    rec.plugins.push_back(p_.writer.config->plugin);
    executing_ = true;
    series_.running.set(1);
    if (options_.record_empty_runs || options_.claimed_run != 0) begin_run_row();

    sdk::Positions committed;
    try {
        committed = options_.ownership != nullptr ? options_.ownership->positions() : store_.positions(name_);
    } catch (const std::exception& e) {
        fail(std::string(options_.ownership != nullptr ? "cluster: " : "state store: ") + e.what(), false);
    }
    if (!failed() && open_translators_and_writer()) {
        reader_ = p_.reader.plugin->create_reader();
        if (!reader_) {
            fail("plugin " + p_.reader.config->plugin + " did not create a reader", true);
        } else {
            redelivers_ = p_.reader.component != nullptr && p_.reader.component->redelivers;
            contexts_.push_back(make_context(p_.reader, "reader", read_stop_.get_token(), std::move(committed)));
            auto& rctx = *contexts_.back();
            auto st = with_retry("reader", p_.reader.config->plugin, "open", [&] { return reader_->open(rctx); });
            if (!st.is_ok())
                fail("reader " + p_.reader.config->plugin + " could not open: " + st.message(),
                     st.code() != sdk::Code::retry);
            else
                keep_alive_every_ = reader_->keep_alive_interval();  // the lease may come from the options
        }
    }
    if (!failed()) {
        std::jthread reader([this] { reader_loop(); });
        std::vector<std::jthread> workers;
        for (std::size_t i = 0; i < p_.effective_workers(); ++i)
            workers.emplace_back([this] { worker_loop(); });
        try {
            writer_loop();
        } catch (const std::exception& e) {
            fail(std::string("internal error in the writer: ") + e.what(), true);
        } catch (...) {
            fail("internal error in the writer", true);
        }
        if (failed()) cv_.notify_all();
        reader.join();
        for (auto& t : workers)
            t.join();
    }
    close_all();
    // Drops asked for after the last commit (a source released at the end of its input).
    if (auto drops = drops_.take(); !drops.empty() && (options_.ownership == nullptr || options_.ownership->held())) {
        try {
            if (options_.ownership != nullptr)
                options_.ownership->commit({}, drops);
            else
                store_.commit_positions(name_, {}, drops);
        } catch (const std::exception& e) {  // the reader sweeps them up at its next open
            log_warn(std::string("state store: cannot drop released positions: ") + e.what(), {{"pipeline", name_}});
        }
    }

    auto s = summary(started);
    switch (s.outcome) {
        case RunOutcome::ok:
            series_.runs_ok.add();
            series_.last_success.set(unix_seconds(std::chrono::system_clock::now()));
            break;
        case RunOutcome::failed:
            series_.runs_failed.add();
            break;
        case RunOutcome::stopped:
            series_.runs_stopped.add();
            break;
    }
    series_.running.set(0);
    if (heartbeat_.joinable()) {
        heartbeat_.request_stop();
        heartbeat_.join();
    }
    std::lock_guard row_lock(run_row_m_);
    rec.id = run_id_;
    if (options_.claimed_run != 0 && !options_.record_empty_runs && s.read == 0 && s.outcome != RunOutcome::failed) {
        try {
            store_.discard_run(rec.id);
        } catch (const std::exception& e) {
            log_warn(std::string("state store: cannot drop an idle run: ") + e.what(), {{"pipeline", name_}});
        }
    } else if (rec.id != 0 || s.read > 0 || s.outcome == RunOutcome::failed) {
        rec.finished = Clock::now();
        rec.read = s.read;
        rec.written = s.written;
        rec.invalid = s.invalid;
        rec.failed = s.failed;
        rec.released = s.released;
        rec.columns.assign(columns_.begin(), columns_.end());
        rec.outcome = to_string(s.outcome);
        rec.error = s.error;
        try {
            if (rec.id == 0) store_.begin_run(rec);
            store_.finish_run(rec);
        } catch (const std::exception& e) {
            log_error(std::string("state store: cannot record the run: ") + e.what(), {{"pipeline", name_}});
        }
    }
    return s;
}

}  // namespace junction::core
