// PipelineRun: see engine_run.hpp and the lifecycle in sdk/components.hpp.
#include "engine_run.hpp"

#include <algorithm>
#include <cstdlib>
#include <thread>

#include "junction/core/logging.hpp"

namespace junction::core {

namespace {
std::string ms_text(std::chrono::milliseconds d) { return std::to_string(d.count()); }
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
    const std::size_t instances = 1;  // thread-safe translators are shared by all workers
    (void)instances;
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

bool PipelineRun::translate(Work& w, std::size_t first_translator_of_record_0) {
    for (std::size_t i = 0; i < w.records.size(); ++i) {
        auto& rec = w.records[i];
        if (!rec.meta.error.empty()) {
            w.rejects.push_back({i, "reader", p_.reader.config ? p_.reader.config->plugin : "", rec.meta.error});
            continue;
        }
        for (std::size_t t = (i == 0 ? first_translator_of_record_0 : 0); t < translators_.size(); ++t) {
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

void PipelineRun::note_columns(const sdk::Batch& batch, std::size_t count) {
    // A sample is enough to name the columns; walking every record would cost throughput.
    for (std::size_t i = 0; i < std::min<std::size_t>(count, 8); ++i)
        for (const auto& kv : batch[i].payload)
            if (columns_.size() < 256) columns_.emplace(kv.key());
}

bool PipelineRun::write(Work& w, bool acknowledge) {
    const std::size_t n = w.records.size();
    std::vector<sdk::Acknowledgement> acks(n);
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
    for (std::size_t i = 0; i < n; ++i) acks[i].meta = w.records[i].meta;

    // The records to write: all of them, or the ones not rejected upstream.
    sdk::Batch compacted;
    std::vector<std::size_t> position_of;  // index in the batch of each record written
    sdk::Batch* to_write = &w.records;
    if (!w.rejects.empty()) {
        std::size_t ri = 0;
        for (std::size_t i = 0; i < n; ++i) {
            if (ri < w.rejects.size() && w.rejects[ri].index == i) {
                const auto& rj = w.rejects[ri++];
                acks[i].outcome = sdk::Outcome::rejected;
                acks[i].reason = rj.reason;
                letter(w.records[i], rj.stage, rj.plugin, rj.reason);
            } else {
                position_of.push_back(i);
                compacted.push_back(std::move(w.records[i]));
            }
        }
        to_write = &compacted;
    }

    std::vector<sdk::Rejection> rejected;
    if (!to_write->empty()) {
        const auto& plugin = p_.writer.config->plugin;
        auto st = with_retry("writer", plugin, "write", [&] {
            rejected.clear();
            auto s = writer_->write(std::span<sdk::Record>(*to_write), rejected);
            return s.is_ok() ? writer_->flush() : s;
        });
        if (!st.is_ok()) {
            fail("writer " + plugin + ": " + st.message(), st.code() == sdk::Code::fatal);
            return false;
        }
        std::sort(rejected.begin(), rejected.end(), [](auto& a, auto& b) { return a.index < b.index; });
        for (const auto& rj : rejected) {
            if (rj.index >= to_write->size()) continue;
            const std::size_t i = position_of.empty() ? rj.index : position_of[rj.index];
            acks[i].outcome = sdk::Outcome::rejected;
            acks[i].reason = rj.reason;
            letter((*to_write)[rj.index], "writer", plugin, rj.reason);
        }
        note_columns(*to_write, to_write->size());
    }

    if (!letters.empty()) {
        try {
            store_.add_dead_letters(letters);
        } catch (const std::exception& e) {
            fail(std::string("state store: cannot keep dead letters: ") + e.what(), true);
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
            std::lock_guard lock(reader_mutex_);
            return reader_->acknowledge(std::span<const sdk::Acknowledgement>(acks));
        });
        if (!st.is_ok()) {
            fail("reader " + plugin + ": " + st.message(), st.code() == sdk::Code::fatal);
            return false;
        }
        for (auto it = acks.rbegin(); it != acks.rend(); ++it) {
            if (it->meta.position.empty()) continue;
            try {
                store_.commit_position(name_, it->meta.position);
            } catch (const std::exception& e) {
                fail(std::string("state store: cannot commit the position: ") + e.what(), true);
                return false;
            }
            break;
        }
    }
    written_ += to_write->size() - rejected.size();
    invalid_ += letters.size();
    return true;
}

void PipelineRun::reader_loop() {
    std::uint64_t seq = 0;
    int attempt = 0;
    const auto& plugin = p_.reader.config->plugin;
    const std::size_t batch = p_.config->batch_size;
    while (true) {
        {
            std::unique_lock lock(m_);
            cv_.wait(lock, [&] { return in_flight_ < limit_ || failed_ || stop_.stop_requested(); });
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
            fail("reader " + plugin + ": " + (st.code() == sdk::Code::retry ? "gave up after " + std::to_string(attempt) +
                                                                                   " attempts: "
                                                                             : "") +
                     st.message(),
                 st.code() == sdk::Code::fatal);
            break;
        }
        attempt = 0;
        if (records.empty()) {
            release();
            if (end) break;
            continue;
        }
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
    {
        std::lock_guard lock(m_);
        reading_done_ = true;
    }
    cv_.notify_all();
}

void PipelineRun::worker_loop() {
    while (true) {
        Work w;
        {
            std::unique_lock lock(m_);
            cv_.wait(lock, [&] { return !pending_.empty() || reading_done_ || failed_; });
            if (failed_) return;
            if (pending_.empty()) return;  // reading is done and nothing is left
            w = std::move(pending_.front());
            pending_.pop_front();
        }
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
    while (true) {
        Work w;
        {
            std::unique_lock lock(m_);
            cv_.wait(lock, [&] { return failed_ || done_.count(next) > 0 || (reading_done_ && in_flight_ == 0); });
            if (failed_) return;
            auto it = done_.find(next);
            if (it == done_.end()) return;  // everything read has been written
            w = std::move(it->second);
            done_.erase(it);
        }
        const bool ok = write(w, true);
        {
            std::lock_guard lock(m_);
            --in_flight_;
            ++next;
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
    s.outcome = failed_ ? "failed" : (stopped_early_ ? "stopped" : "ok");
    return s;
}

RunSummary PipelineRun::execute() {
    const auto started = std::chrono::steady_clock::now();
    RunRecord rec;
    rec.pipeline = name_;
    rec.started = Clock::now();
    rec.plugins.push_back(p_.reader.config->plugin);
    for (const auto& t : p_.translators) rec.plugins.push_back(t.config->plugin);
    rec.plugins.push_back(p_.writer.config->plugin);
    if (options_.record_empty_runs) store_.begin_run(rec);

    std::optional<std::string> committed;
    try {
        committed = store_.position(name_);
    } catch (const std::exception& e) {
        fail(std::string("state store: ") + e.what(), true);
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
            cv_.notify_all();
            if (reader_) reader_->request_stop();
        });
        std::jthread reader([this] { reader_loop(); });
        std::vector<std::jthread> workers;
        for (std::size_t i = 0; i < p_.effective_workers(); ++i) workers.emplace_back([this] { worker_loop(); });
        writer_loop();
        if (failed()) cv_.notify_all();
        reader.join();
        for (auto& t : workers) t.join();
    }
    close_all();

    auto s = summary(started);
    if (options_.record_empty_runs || s.read > 0 || s.outcome == "failed") {
        if (rec.id == 0) store_.begin_run(rec);
        rec.finished = Clock::now();
        rec.read = s.read;
        rec.written = s.written;
        rec.invalid = s.invalid;
        rec.failed = s.failed;
        rec.columns.assign(columns_.begin(), columns_.end());
        rec.outcome = s.outcome;
        rec.error = s.error;
        try {
            store_.finish_run(rec);
        } catch (const std::exception& e) {
            log_error(std::string("state store: cannot record the run: ") + e.what(), {{"pipeline", name_}});
        }
    }
    return s;
}

}  // namespace junction::core
