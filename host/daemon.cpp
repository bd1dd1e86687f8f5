#include "daemon.hpp"

#include <algorithm>
#include <thread>
#include <utility>

#include <junction/core/cron.hpp>

#include "cluster/cluster.hpp"
#include <junction/core/logging.hpp>
#include <junction/core/time_text.hpp>

namespace junction::host {
using namespace junction::core;

struct Supervisor::Slot {
    const ResolvedPipeline* pipeline = nullptr;
    mutable std::mutex mutex;
    std::condition_variable_any wake;
    PipelineStatus status;
    bool busy = false;            // a run (scheduled, on demand or a replay) holds it
    std::int64_t pending = 0;     // a run claimed on demand, for the thread to start
    bool thread_alive = false;    // its daemon thread runs (scheduled mode)
    bool singleton = false;       // in a cluster: runs on one host at a time
    std::stop_source* run_stop = nullptr;  // the run in progress (a lost lease stops it)
    std::string said_owner;       // the holder last logged
};

std::string holder_text(const RunHolder& h) {
    return "process " + std::to_string(h.pid) + (h.host.empty() ? "" : " on " + h.host) + " since " +
           format_utc_ms(h.started);
}

std::optional<std::int64_t> try_claim(const std::string& name, StateStore& store, std::optional<RunHolder>& holder) {
    try {
        RunRecord r;
        r.pipeline = name;
        holder = store.claim_run(r);
        return holder ? 0 : r.id;
    } catch (const std::exception& e) {
        log_error("pipeline " + name + ": cannot claim the run in the state store: " + e.what(), {{"pipeline", name}});
        return std::nullopt;
    }
}

namespace {

constexpr std::uint64_t count_cap = 1000000;  // past a million missed slots, "at least"

std::string count_text(std::uint64_t n) {
    return (n >= count_cap - 1 ? "at least " : "") + std::to_string(n);
}

}  // namespace

Supervisor::Supervisor(std::vector<const ResolvedPipeline*> pipelines, StateStore& store, const RunOptions& base,
                       bool manual_runs)
    : store_(store), base_(base), manual_runs_(manual_runs) {
    for (const auto* p : pipelines) {
        auto s = std::make_unique<Slot>();
        s->pipeline = p;
        s->status.name = p->config->name;
        slots_.push_back(std::move(s));
    }
}

Supervisor::~Supervisor() = default;

void Supervisor::set_cluster(Cluster* cluster) {
    cluster_ = cluster;
    for (auto& s : slots_) {
        std::lock_guard lock(s->mutex);
        s->singleton = cluster != nullptr && cluster->singleton(s->pipeline->config->name);
        s->status.placement = cluster == nullptr ? "" : s->singleton ? "one_host" : "every_host";
    }
    if (cluster == nullptr) return;
    cluster->on_lost([this](const std::string& name) {
        if (auto* s = find(name)) {
            std::lock_guard lock(s->mutex);
            if (s->run_stop != nullptr) s->run_stop->request_stop();
            s->status.owner.clear();
        }
    });
}

bool Supervisor::may_run_here(Slot& slot) {
    if (cluster_ == nullptr || !slot.singleton) return true;
    const auto& name = slot.pipeline->config->name;
    if (cluster_->acquire(name)) {
        std::lock_guard lock(slot.mutex);
        slot.status.owner = cluster_->host_id();
        slot.said_owner.clear();
        return true;
    }
    const auto lease = cluster_->lease(name);
    bool say = false;
    {
        std::lock_guard lock(slot.mutex);
        slot.status.owner = lease.owner;
        if (slot.status.state != "running") slot.status.state = "standby";
        say = slot.said_owner != lease.owner;
        slot.said_owner = lease.owner;
    }
    if (say)
        log_info("pipeline " + name + (lease.owner.empty() ? " is this host's to take when under its share"
                                                            : " runs on host " + lease.owner) +
                     "; this host takes it over if that lease lapses",
                 {{"pipeline", name}});
    return false;
}

Supervisor::Slot* Supervisor::find(std::string_view name) const {
    for (const auto& s : slots_)
        if (s->pipeline->config->name == name) return s.get();
    return nullptr;
}

std::vector<PipelineStatus> Supervisor::status() const {
    std::vector<PipelineStatus> out;
    for (const auto& s : slots_) {
        std::lock_guard lock(s->mutex);
        out.push_back(s->status);
    }
    return out;
}

std::optional<PipelineStatus> Supervisor::status(std::string_view name) const {
    const auto* s = find(name);
    if (s == nullptr) return std::nullopt;
    std::lock_guard lock(s->mutex);
    return s->status;
}

TriggerResult Supervisor::trigger(std::string_view name) {
    auto* s = find(name);
    if (s == nullptr) return {TriggerResult::Kind::unknown, 0, {}};
    std::lock_guard lock(s->mutex);
    if (!s->thread_alive) return {TriggerResult::Kind::unavailable, 0, "the pipeline is not scheduled by this process"};
    if (s->busy || s->pending != 0)
        return {TriggerResult::Kind::running, s->pending != 0 ? s->pending : s->status.current_run, {}};
    if (cluster_ != nullptr && s->singleton && !cluster_->holds(std::string(name))) {
        const auto owner = s->status.owner;
        return {TriggerResult::Kind::held_elsewhere, 0,
                owner.empty() ? "another host of the cluster (no host holds its lease yet)"
                              : "host " + owner + " of the cluster (it holds its lease)"};
    }
    std::optional<RunHolder> holder;
    const auto claimed = try_claim(std::string(name), store_, holder);
    if (!claimed) return {TriggerResult::Kind::store_error, 0, "the state store could not be asked"};
    if (*claimed == 0) return {TriggerResult::Kind::held_elsewhere, holder->run_id, holder_text(*holder)};
    s->pending = *claimed;
    s->wake.notify_all();
    log_info("pipeline " + std::string(name) + ": run " + std::to_string(*claimed) + " requested over the API",
             {{"pipeline", std::string(name)}});
    return {TriggerResult::Kind::started, *claimed, {}};
}

TriggerResult Supervisor::with_pipeline_held(std::string_view name, const std::function<void()>& fn) {
    auto* s = find(name);
    if (s == nullptr) return {TriggerResult::Kind::unknown, 0, {}};
    std::int64_t claimed = 0;
    {
        std::lock_guard lock(s->mutex);
        if (s->busy || s->pending != 0)
            return {TriggerResult::Kind::running, s->pending != 0 ? s->pending : s->status.current_run, {}};
        std::optional<RunHolder> holder;
        const auto c = try_claim(std::string(name), store_, holder);
        if (!c) return {TriggerResult::Kind::store_error, 0, "the state store could not be asked"};
        if (*c == 0) return {TriggerResult::Kind::held_elsewhere, holder->run_id, holder_text(*holder)};
        claimed = *c;
        s->busy = true;
    }
    struct Release {
        Slot& s;
        StateStore& store;
        std::int64_t id;
        ~Release() {
            try {
                store.discard_run(id);
            } catch (const std::exception& e) {
                log_warn(std::string("cannot release the pipeline's claim: ") + e.what());
            }
            std::lock_guard lock(s.mutex);
            s.busy = false;
            s.wake.notify_all();
        }
    } release{*s, store_, claimed};
    fn();
    return {TriggerResult::Kind::started, claimed, {}};
}

bool Supervisor::wait_until(Slot& slot, std::optional<Clock::time_point> due, std::stop_token stop) {
    std::unique_lock lock(slot.mutex);
    slot.status.next_run = due;
    // The condition variable waits on the steady clock; a cron slot is wall-clock time,
    // so wake at least every 30 s to follow a clock that is stepped.
    while (!stop.stop_requested() && slot.pending == 0) {
        if (due && Clock::now() >= *due) break;
        auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        if (due)
            until = std::min(until, std::chrono::steady_clock::now() +
                                        std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                            *due - Clock::now() + std::chrono::milliseconds(1)));
        slot.wake.wait_until(lock, stop, until, [&] { return slot.pending != 0; });
    }
    slot.status.next_run.reset();
    return !stop.stop_requested();
}

RunSummary Supervisor::run(Slot& slot, std::int64_t claimed, bool scheduled, std::stop_token stop) {
    {
        std::lock_guard lock(slot.mutex);
        slot.status.state = "running";
        slot.status.current_run = claimed;
    }
    RunOptions opts = base_;
    // Continuous polling keeps no history rows for idle polls; a run asked for (--once,
    // the API) is always recorded.
    opts.record_empty_runs = !scheduled || slot.pipeline->config->schedule.mode != Schedule::Mode::continuous;
    opts.claimed_run = claimed;
    RunSummary s;
    if (cluster_ != nullptr && slot.singleton) {
        // Its own stop: the host's, or the loss of its lease.
        std::stop_source run_stop;
        std::stop_callback forward(stop, [&run_stop] { run_stop.request_stop(); });
        {
            std::lock_guard lock(slot.mutex);
            slot.run_stop = &run_stop;
        }
        const auto ownership = cluster_->ownership(slot.pipeline->config->name);
        opts.ownership = ownership.get();
        if (!ownership->held()) run_stop.request_stop();
        s = run_pipeline(*slot.pipeline, store_, opts, run_stop.get_token());
        {
            std::lock_guard lock(slot.mutex);
            slot.run_stop = nullptr;
        }
        if (!stop.stop_requested()) (void)cluster_->hand_over_if_over_share(slot.pipeline->config->name);
    } else {
        s = run_pipeline(*slot.pipeline, store_, opts, stop);
    }
    std::lock_guard lock(slot.mutex);
    slot.status.current_run = 0;
    slot.status.last = s;
    slot.status.last_ended = Clock::now();
    slot.status.state = s.fatal ? "stopped" : s.outcome == RunOutcome::failed ? "failed" : "scheduled";
    slot.busy = false;
    return s;
}

// Returns false when the pipeline stopped on a fatal error.
//
// Missed slots (the host was down, a run overran its interval or its next cron time)
// are run once, not once per slot: the run starts at once and the slots in between are
// skipped with one line. A slot that finds the pipeline held by another process (an
// on-demand run) is skipped with one line; continuous polling says so once per spell.
bool Supervisor::daemon_loop(Slot& slot, std::stop_token stop) {
    const auto& p = *slot.pipeline;
    const auto& sched = p.config->schedule;
    const auto& name = p.config->name;
    std::optional<Clock::time_point> due;  // cron: the slot to run next; nullopt: at once
    if (sched.mode == Schedule::Mode::cron) {
        const auto now = Clock::now();
        std::optional<Clock::time_point> last;
        try {
            if (auto runs = store_.runs(name, 1); !runs.empty()) last = runs.front().started;
        } catch (const std::exception& e) {
            log_warn("pipeline " + name + ": cannot read its last run: " + e.what(), {{"pipeline", name}});
        }
        const auto missed = last ? count_fires(*sched.cron, *last, now, count_cap) : 0;
        if (missed > 1)
            log_info("skipped " + count_text(missed - 1) + " scheduled runs of pipeline " + name +
                         " (junction was not running); running it once now",
                     {{"pipeline", name}});
        else if (missed == 1)
            log_info("pipeline " + name + " missed its run at " + format_utc_ms(*sched.cron->next_after(*last)) +
                         " (junction was not running); running it now",
                     {{"pipeline", name}});
        if (missed == 0) due = sched.cron->next_after(now);
    }
    bool said_busy = false;
    bool stopped = false;  // by a fatal error: only a run on demand starts it again
    while (!stop.stop_requested()) {
        if (due && !stopped) log_info("next run of " + name + " at " + format_utc_ms(*due), {{"pipeline", name}});
        if ((due || stopped) && !wait_until(slot, stopped ? std::nullopt : due, stop)) return true;
        const auto slot_time = due.value_or(Clock::now());
        const auto started = std::chrono::steady_clock::now();
        std::optional<RunHolder> holder;
        std::optional<std::int64_t> claimed;
        {
            std::lock_guard lock(slot.mutex);
            if (slot.pending != 0) {
                claimed = std::exchange(slot.pending, 0);
                slot.busy = true;
            }
        }
        const bool on_demand = claimed.has_value();
        if (!claimed && !may_run_here(slot)) {
            // Another host runs it: wait for the next slot, then try the lease again.
        } else if (!claimed) {
            std::unique_lock lock(slot.mutex);
            if (!slot.busy) {  // a replay holds it otherwise
                slot.busy = true;
                lock.unlock();
                claimed = try_claim(name, store_, holder);
                if (!claimed || *claimed == 0) {
                    lock.lock();
                    slot.busy = false;
                }
            }
        }
        RunSummary s;
        const bool ran = claimed && *claimed != 0;
        if (ran) {
            said_busy = false;
            s = run(slot, *claimed, !on_demand, stop);
            if (s.fatal) {
                log_error("pipeline " + name + " stopped after a fatal error; the other pipelines go on" +
                              (manual_runs_ ? " (a run on demand over the API tries it again)" : ""),
                          {{"pipeline", name}});
                if (!manual_runs_) return false;
                stopped = true;
                continue;
            }
            stopped = false;
        } else if (holder && !std::exchange(said_busy, sched.mode == Schedule::Mode::continuous)) {
            log_info("pipeline " + name + " is running in " + holder_text(*holder) + ": skipping this scheduled run",
                     {{"pipeline", name}});
        }
        if (on_demand && sched.mode == Schedule::Mode::cron) {
            due = sched.cron->next_after(Clock::now());  // a run on demand does not move the cron slots
            continue;
        }
        const auto took =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started);
        std::chrono::milliseconds wait{0};
        std::uint64_t passed = 0;  // slots that came while the run was going
        switch (sched.mode) {
            case Schedule::Mode::cron: {
                const auto now = Clock::now();
                passed = ran ? count_fires(*sched.cron, slot_time, now, count_cap) : 0;
                due = passed > 0 ? std::nullopt : sched.cron->next_after(now);
                if (!due && passed == 0) {
                    log_error("pipeline " + name + ": its cron expression fires no more", {{"pipeline", name}});
                    return true;
                }
                break;
            }
            case Schedule::Mode::interval:
                wait = std::max(std::chrono::milliseconds(0), sched.every - took);
                passed = static_cast<std::uint64_t>(took / sched.every);
                break;
            case Schedule::Mode::continuous:
                wait = s.read > 0 && s.outcome == RunOutcome::ok ? std::chrono::milliseconds(0) : sched.every;
                break;
        }
        if (passed > 1)
            log_info("skipped " + count_text(passed - 1) + " scheduled runs of pipeline " + name +
                         " (the previous run was still going); running it once now",
                     {{"pipeline", name}});
        if (sched.mode != Schedule::Mode::cron) {
            if (wait.count() > 0 && !wait_until(slot, Clock::now() + wait, stop)) return true;
            due.reset();
        }
    }
    return true;
}

bool Supervisor::run_scheduled(std::stop_token stop) {
    std::atomic<bool> any_fatal{false};
    std::vector<std::jthread> threads;
    for (auto& sp : slots_) {
        auto* s = sp.get();
        {
            std::lock_guard lock(s->mutex);
            s->thread_alive = true;
            s->status.state = "scheduled";
        }
        threads.emplace_back([this, s, stop, &any_fatal] {
            const auto& name = s->pipeline->config->name;
            try {
                if (!daemon_loop(*s, stop)) any_fatal = true;
            } catch (const std::exception& e) {  // never let one pipeline's thread take the host down
                log_error("pipeline " + name + " stopped: " + e.what(), {{"pipeline", name}});
                any_fatal = true;
            }
            std::lock_guard lock(s->mutex);
            s->thread_alive = false;
            if (s->status.state != "stopped") s->status.state = "idle";
            s->status.next_run.reset();
        });
    }
    for (auto& t : threads)
        t.join();
    return !any_fatal;
}

bool Supervisor::run_once(const std::function<std::int64_t(const std::string&)>& claim, std::stop_token stop) {
    bool ok = true;
    for (auto& sp : slots_) {
        if (stop.stop_requested()) break;
        auto& s = *sp;
        if (!may_run_here(s)) {  // another host of the cluster runs it
            ok = false;
            continue;
        }
        const auto claimed = claim(s.pipeline->config->name);
        if (claimed == 0) {
            if (!stop.stop_requested()) ok = false;  // timed out, or the store failed
            continue;
        }
        {
            std::lock_guard lock(s.mutex);
            s.busy = true;
        }
        auto r = run(s, claimed, false, stop);
        if (r.outcome == RunOutcome::failed) ok = false;
        std::lock_guard lock(s.mutex);
        if (s.status.state == "scheduled") s.status.state = "idle";
    }
    return ok;
}

}  // namespace junction::host
