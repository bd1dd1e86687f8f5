#include <junction/services/rate_budget.hpp>

#include <algorithm>
#include <cmath>
#include <optional>
#include <utility>

namespace junction::services {

namespace {

using std::chrono::milliseconds;

// A slot wait is woken by a release; this bounds how late it sees a stop request.
constexpr milliseconds slot_poll{50};
// The wait is logged at debug once in this long at most, per budget.
constexpr std::chrono::seconds log_every{1};

std::string number_text(double d) {
    if (d == std::floor(d) && std::abs(d) < 1e15) return std::to_string(static_cast<long long>(d));
    auto s = std::to_string(d);
    s.erase(s.find_last_not_of('0') + 1);
    return s;
}

}  // namespace

void RateBudget::Permit::reset() noexcept {
    if (budget_ != nullptr) std::exchange(budget_, nullptr)->release();
}

RateBudget::RateBudget(std::string connection, RateLimit limit)
    : connection_(std::move(connection)), limit_(limit), tokens_(limit.burst) {}

std::string RateBudget::describe() const {
    std::string out;
    if (limit_.requests_per_second > 0)
        out = number_text(limit_.requests_per_second) + " requests/s, burst " + number_text(limit_.burst);
    if (limit_.max_concurrent > 0)
        out +=
            (out.empty() ? "" : ", ") + std::string("at most ") + std::to_string(limit_.max_concurrent) + " in flight";
    return out.empty() ? "no limit of its own" : out;
}

sdk::Status RateBudget::acquire(Permit& permit, const Waiter& waiter) {
    const auto stopped = [&] {
        return sdk::Status::retry("stopped while waiting for the rate limit of connection " + connection_);
    };
    for (;;) {
        if (waiter.stop && waiter.stop()) return stopped();
        milliseconds wait{0};
        std::optional<std::string> line;
        {
            std::unique_lock lock(mutex_);
            const auto now = waiter.clock.monotonic();
            if (limit_.requests_per_second > 0) {
                if (refilled_ == std::chrono::steady_clock::time_point{}) refilled_ = now;
                if (now > refilled_) {
                    const std::chrono::duration<double> spent = now - refilled_;
                    tokens_ = std::min(limit_.burst, tokens_ + spent.count() * limit_.requests_per_second);
                    refilled_ = now;
                }
            }
            std::string why;
            bool for_slot = false;
            if (paused_until_ > now) {
                wait = std::chrono::ceil<milliseconds>(paused_until_ - now);
                if (wait > waiter.max_pause)
                    return sdk::Status::retry("connection " + connection_ + " is paused for " +
                                                  std::to_string(wait.count()) +
                                                  " ms more (the server asked to wait), longer than a call waits",
                                              waiter.max_pause);
                why = "paused, as the server asked (Retry-After)";
            } else if (limit_.requests_per_second > 0 && tokens_ < 1.0) {
                wait = std::max(milliseconds(1), std::chrono::ceil<milliseconds>(std::chrono::duration<double>(
                                                     (1.0 - tokens_) / limit_.requests_per_second)));
                why = "for its rate limit";
            } else if (limit_.max_concurrent > 0 && in_flight_ >= limit_.max_concurrent) {
                for_slot = true;
                wait = slot_poll;
                why = "for a request in flight to end";
            } else {
                if (limit_.requests_per_second > 0) tokens_ -= 1.0;
                ++in_flight_;
                permit = Permit(this);
                return sdk::Status::ok();
            }
            if (waiter.log && (logged_ == std::chrono::steady_clock::time_point{} || now - logged_ >= log_every)) {
                logged_ = now;
                line = "connection " + connection_ + ": waiting " +
                       (for_slot ? "" : std::to_string(wait.count()) + " ms ") + why + " (" + describe() + ")";
            }
            if (for_slot) {
                if (line) {
                    lock.unlock();
                    waiter.log(sdk::LogLevel::debug, *line);
                    lock.lock();
                }
                slot_freed_.wait_for(lock, slot_poll);
                lock.unlock();
                // A zero sleep asks the clock whether its stop came (a host stop, for a writer
                // whose own stop signal waits out a drain).
                if (!waiter.clock.sleep_for(milliseconds(0))) return stopped();
                continue;
            }
        }
        if (line) waiter.log(sdk::LogLevel::debug, *line);
        if (!waiter.clock.sleep_for(wait)) return stopped();
    }
}

void RateBudget::pause_until(std::chrono::steady_clock::time_point until) {
    const std::lock_guard lock(mutex_);
    paused_until_ = std::max(paused_until_, until);
}

void RateBudget::release() noexcept {
    {
        const std::lock_guard lock(mutex_);
        if (in_flight_ > 0) --in_flight_;
    }
    slot_freed_.notify_all();
}

ConnectionBudgets::ConnectionBudgets(const std::vector<ConnectionConfig>& connections) {
    for (const auto& c : connections)
        budgets_.emplace(c.name, std::make_unique<RateBudget>(c.name, c.rate_limit));
}

RateBudget* ConnectionBudgets::find(std::string_view connection) const {
    const auto it = budgets_.find(connection);
    return it == budgets_.end() ? nullptr : it->second.get();
}

}  // namespace junction::services
