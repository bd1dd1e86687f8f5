// PipelineRun: see engine_run.hpp and the lifecycle in sdk/components.hpp.
#include "engine_run.hpp"

#include <algorithm>
#include <cstdlib>
#include <thread>

#include "junction/core/logging.hpp"

namespace junction::core {

namespace {
std::string ms_text(std::chrono::milliseconds d) {
    return std::to_string(d.count());
}
}  // namespace

PipelineRun::PipelineRun(const ResolvedPipeline& pipeline, StateStore& store, const RunOptions& options,
                         std::stop_token stop)
    : p_(pipeline),
      store_(store),
      options_(options),
      stop_(std::move(stop)),
      name_(pipeline.config->name),
      limit_(std::max(pipeline.config->queue_depth, pipeline.effective_workers() + 1)) {
    const char* fault = std::getenv("JUNCTION_FAULT");
    exit_before_ack_ = fault != nullptr && std::string_view(fault) == "exit_before_ack";
}

PipelineRun::~PipelineRun() = default;

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
    if (reader_) reader_->request_stop();
}

std::unique_ptr<StageContext> PipelineRun::make_context(const ResolvedStage& s, const char* kind,
                                                        std::optional<std::string> committed) {
    return std::make_unique<StageContext>(s.options, name_, s.config->plugin, kind, store_, stop_, options_.base_dir,
                                          std::move(committed));
}

// Calls `call` until it is not a retry, at most max_attempts times, backing off with
// full jitter between attempts. A stop request ends the waiting (the last status stands).
template <class Call>
sdk::Status PipelineRun::with_retry(const char* stage, const std::string& plugin, const char* what, Call&& call) {
    const auto& policy = p_.config->retry;
    for (int attempt = 1;; ++attempt) {
        sdk::Status st = call();
        if (st.code() != sdk::Code::retry) return st;
        if (attempt >= policy.max_attempts || stop_.stop_requested() || failed())
            return sdk::Status::retry(std::string(stage) + " " + plugin + " " + what + ": gave up after " +
                                      std::to_string(attempt) + " attempt" + (attempt == 1 ? "" : "s") + ": " +
                                      st.message());
        const auto delay = backoff_delay(policy, attempt, st.retry_after());
        log_warn(std::string(stage) + " " + plugin + " " + what + " failed, will retry: " + st.message(),
                 {{"pipeline", name_},
                  {"attempt", std::to_string(attempt) + "/" + std::to_string(policy.max_attempts)},
                  {"delay_ms", ms_text(delay)}});
        if (!sleep_for(delay, stop_)) return st;
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
        contexts_.push_back(make_context(t, "translator"));
        auto st = with_retry("translator", t.config->plugin, "open",
                             [&] { return translators_.back()->open(*contexts_.back()); });
        if (!st.is_ok()) {
            fail("translator " + t.config->plugin + " could not open: " + st.message(), st.code() == sdk::Code::fatal);
            return false;
        }
        ++translators_opened_;
    }
    writer_ = p_.writer.plugin->create_writer();
    if (!writer_) {
        fail("plugin " + p_.writer.config->plugin + " did not create a writer", true);
        return false;
    }
    contexts_.push_back(make_context(p_.writer, "writer"));
    auto& wctx = *contexts_.back();
    auto st = with_retry("writer", p_.writer.config->plugin, "open", [&] { return writer_->open(wctx); });
    if (!st.is_ok()) {
        fail("writer " + p_.writer.config->plugin + " could not open: " + st.message(), st.code() == sdk::Code::fatal);
        return false;
    }
    writer_opened_ = true;
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
            auto st = with_retry("translator", plugin, "translate", [&] { return translators_[t]->translate(rec); });
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

// Writes consecutive batches as one group: each batch is its own Writer::write call (so
// a writer never sees more than batch_size records at once), then one flush, one
// acknowledgement and one position commit for all of them. When the writer keeps up the
// group is a single batch; when flush or commit is slow (an fsync each), the batches that
// piled up behind it share one, so durability costs per group rather than per batch.
bool PipelineRun::write_group(std::span<Work> group, bool acknowledge) {
    std::size_t total = 0;
    for (const auto& w : group)
        total += w.records.size();
    std::vector<sdk::Acknowledgement> acks;
    acks.reserve(total);
    std::vector<DeadLetter> letters;
    const auto now = Clock::now();
    auto letter = [&](sdk::Record& r, const char* stage, const std::string& plugin, const std::string& reason) {
        DeadLetter d;
        d.pipeline = name_;
        d.stage = stage;
        d.plugin = plugin;
        d.reason = reason;
        d.payload = std::move(r.payload);
        d.meta = r.meta;
        d.at = now;
        letters.push_back(std::move(d));
    };

    // Per batch: the records to write (all of them, or the ones not rejected upstream),
    // where each sits in the batch, and where the batch's acknowledgements start.
    struct Part {
        sdk::Batch compacted;
        std::vector<std::size_t> position_of;  // index in the batch of each record written
        sdk::Batch* to_write = nullptr;
        std::vector<sdk::Rejection> rejected;
        std::size_t first_ack = 0;
    };
    std::vector<Part> parts(group.size());
    for (std::size_t g = 0; g < group.size(); ++g) {
        auto& w = group[g];
        auto& part = parts[g];
        const std::size_t n = w.records.size();
        part.first_ack = acks.size();
        acks.resize(acks.size() + n);  // metadata moved in once the records are written
        part.to_write = &w.records;
        if (!w.rejects.empty()) {
            std::size_t ri = 0;
            for (std::size_t i = 0; i < n; ++i) {
                if (ri < w.rejects.size() && w.rejects[ri].index == i) {
                    const auto& rj = w.rejects[ri++];
                    auto& ack = acks[part.first_ack + i];
                    ack.outcome = sdk::Outcome::rejected;
                    ack.reason = rj.reason;
                    letter(w.records[i], rj.stage, rj.plugin, rj.reason);
                } else {
                    part.position_of.push_back(i);
                    part.compacted.push_back(std::move(w.records[i]));
                }
            }
            part.to_write = &part.compacted;
        }
    }

    const auto& wplugin = p_.writer.config->plugin;
    bool any = false;
    for (const auto& part : parts)
        any = any || !part.to_write->empty();
    if (any) {
        // A retry sends the whole group again (writes are idempotent), then flushes.
        auto st = with_retry("writer", wplugin, "write", [&] {
            for (auto& part : parts) {
                part.rejected.clear();
                if (part.to_write->empty()) continue;
                auto s = writer_->write(std::span<sdk::Record>(*part.to_write), part.rejected);
                if (s.code() == sdk::Code::reject) {  // the whole batch refused for its content
                    part.rejected.clear();
                    for (std::size_t i = 0; i < part.to_write->size(); ++i)
                        part.rejected.push_back({i, s.message()});
                    continue;
                }
                if (!s.is_ok()) return s;
            }
            return writer_->flush();
        });
        if (!st.is_ok()) {
            fail("writer " + wplugin + ": " + st.message(), st.code() != sdk::Code::retry);
            return false;
        }
    }
    std::size_t written = 0;
    for (auto& part : parts) {
        auto& rejected = part.rejected;
        // A writer's list is trusted for nothing: out-of-range and repeated indexes are dropped.
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
            ack.outcome = sdk::Outcome::rejected;
            ack.reason = rj.reason;
            letter((*part.to_write)[rj.index], "writer", wplugin, rj.reason);
        }
        if (!part.to_write->empty()) note_columns(*part.to_write);
        written += part.to_write->size() - rejected.size();
    }

    // The records are done with: their metadata moves into the acknowledgements (no copies).
    for (std::size_t g = 0; g < group.size(); ++g) {
        auto& w = group[g];
        auto& part = parts[g];
        auto* ack = acks.data() + part.first_ack;
        if (part.to_write == &w.records) {
            for (std::size_t i = 0; i < w.records.size(); ++i)
                ack[i].meta = std::move(w.records[i].meta);
        } else {
            for (std::size_t i = 0; i < w.records.size(); ++i)  // rejected upstream: only the payload left
                if (ack[i].outcome == sdk::Outcome::rejected) ack[i].meta = std::move(w.records[i].meta);
            for (std::size_t k = 0; k < part.compacted.size(); ++k)
                ack[part.position_of[k]].meta = std::move(part.compacted[k].meta);
        }
    }

    if (!letters.empty()) {
        try {
            store_.add_dead_letters(letters);
        } catch (const std::exception& e) {
            fail(std::string("state store: cannot keep dead letters: ") + e.what(), false);
            return false;
        }
        for (const auto& d : letters)
            log_warn("record rejected: " + d.reason,
                     {{"pipeline", name_}, {"stage", d.stage}, {"plugin", d.plugin}, {"source", d.meta.source}});
    }

    if (acknowledge && reader_) {
        if (exit_before_ack_) std::_Exit(86);
        const auto& plugin = p_.reader.config->plugin;
        auto st = with_retry("reader", plugin, "acknowledge", [&] {
            // Tell the reader thread to let us in before its next read(): std::mutex is not
            // fair, and a reader that reads back to back would otherwise starve the commit.
            {
                std::lock_guard lock(m_);
                ack_waiting_ = true;
            }
            std::lock_guard lock(reader_mutex_);
            auto result = reader_->acknowledge(std::span<const sdk::Acknowledgement>(acks));
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
        for (auto it = acks.rbegin(); it != acks.rend(); ++it) {
            if (it->meta.position.empty()) continue;
            try {
                store_.commit_position(name_, it->meta.position);
            } catch (const std::exception& e) {
                fail(std::string("state store: cannot commit the position: ") + e.what(), false);
                return false;
            }
            break;
        }
    }
    written_ += written;
    invalid_ += letters.size();
    return true;
}

void PipelineRun::reader_loop() {
    try {
        read_all();
    } catch (const std::exception& e) {  // a plugin export without the SDK's guards, or bad_alloc
        fail(std::string("internal error in the reader thread: ") + e.what(), true);
    } catch (...) {
        fail("internal error in the reader thread", true);
    }
    {
        std::lock_guard lock(m_);
        reading_done_ = true;
    }
    cv_.notify_all();
}

void PipelineRun::read_all() {
    std::uint64_t seq = 0;
    int attempt = 0, empty_reads = 0;
    const auto& plugin = p_.reader.config->plugin;
    const std::size_t batch = p_.config->batch_size;
    while (true) {
        {
            std::unique_lock lock(m_);
            cv_.wait(lock, [&] { return (in_flight_ < limit_ && !ack_waiting_) || failed_ || stop_.stop_requested(); });
            if (failed_) break;
            if (stop_.stop_requested()) {
                stopped_early_ = true;
                break;
            }
            ++in_flight_;
        }
        auto release = [&] {
            {
                std::lock_guard lock(m_);
                --in_flight_;
            }
            cv_.notify_all();
        };
        sdk::Batch records;
        records.reserve(std::min<std::size_t>(batch, 4096));
        bool end = false;
        sdk::Status st;
        {
            std::lock_guard lock(reader_mutex_);
            st = reader_->read(records, batch, end);
        }
        if (!st.is_ok()) {
            release();
            if (st.code() == sdk::Code::retry && ++attempt < p_.config->retry.max_attempts && !stop_.stop_requested()) {
                const auto delay = backoff_delay(p_.config->retry, attempt, st.retry_after());
                log_warn("reader " + plugin + " read failed, will retry: " + st.message(),
                         {{"pipeline", name_},
                          {"attempt", std::to_string(attempt) + "/" + std::to_string(p_.config->retry.max_attempts)},
                          {"delay_ms", ms_text(delay)}});
                if (sleep_for(delay, stop_)) continue;
            }
            // A reject from read() breaks the contract (bad input is a record with meta.error): fatal.
            fail("reader " + plugin + ": " +
                     (st.code() == sdk::Code::retry ? "gave up after " + std::to_string(attempt) + " attempts: " : "") +
                     st.message(),
                 st.code() != sdk::Code::retry);
            break;
        }
        attempt = 0;
        if (records.empty()) {
            release();
            if (end) break;
            // A reader that returns at once with nothing must not make this thread spin.
            if (++empty_reads > 3) sleep_for(std::chrono::milliseconds(std::min(100, 5 * empty_reads)), stop_);
            continue;
        }
        empty_reads = 0;
        const auto now = std::chrono::system_clock::now();
        for (auto& r : records)
            if (r.meta.received_at == std::chrono::system_clock::time_point{}) r.meta.received_at = now;
        read_ += records.size();
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
        if (!translate(w)) return;
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
    s.failed = s.read > s.written + s.invalid ? s.read - s.written - s.invalid : 0;
    s.duration = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
    std::lock_guard lock(m_);
    s.fatal = fatal_;
    s.error = error_;
    s.outcome = failed_ && !interrupted_ ? "failed" : (stopped_early_ || interrupted_ ? "stopped" : "ok");
    return s;
}

RunSummary PipelineRun::execute() {
    const auto started = std::chrono::steady_clock::now();
    RunRecord rec;
    rec.pipeline = name_;
    rec.started = Clock::now();
    rec.plugins.push_back(p_.reader.config->plugin);
    for (const auto& t : p_.translators)
        rec.plugins.push_back(t.config->plugin);
    rec.plugins.push_back(p_.writer.config->plugin);
    if (options_.record_empty_runs) {
        try {
            store_.begin_run(rec);
        } catch (const std::exception& e) {
            fail(std::string("state store: cannot record the run: ") + e.what(), false);
        }
    }

    std::optional<std::string> committed;
    try {
        committed = store_.position(name_);
    } catch (const std::exception& e) {
        fail(std::string("state store: ") + e.what(), false);
    }
    if (!failed() && open_translators_and_writer()) {
        reader_ = p_.reader.plugin->create_reader();
        if (!reader_) {
            fail("plugin " + p_.reader.config->plugin + " did not create a reader", true);
        } else {
            contexts_.push_back(make_context(p_.reader, "reader", committed));
            auto& rctx = *contexts_.back();
            auto st = with_retry("reader", p_.reader.config->plugin, "open", [&] { return reader_->open(rctx); });
            if (!st.is_ok())
                fail("reader " + p_.reader.config->plugin + " could not open: " + st.message(),
                     st.code() == sdk::Code::fatal);
        }
    }
    if (!failed()) {
        std::stop_callback wake(stop_, [this] {
            { std::lock_guard lock(m_); }  // waiters re-check stop_requested() after this
            cv_.notify_all();
            if (reader_) reader_->request_stop();
        });
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

    auto s = summary(started);
    if (options_.record_empty_runs || s.read > 0 || s.outcome == "failed") {
        rec.finished = Clock::now();
        rec.read = s.read;
        rec.written = s.written;
        rec.invalid = s.invalid;
        rec.failed = s.failed;
        rec.columns.assign(columns_.begin(), columns_.end());
        rec.outcome = s.outcome;
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
