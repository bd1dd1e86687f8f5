// The client-side budget of one connection: a token bucket (requests per second, a burst)
// and a bound on the requests in flight, shared by every pipeline and component that
// names the connection (one budget per connection in the host process). A server's
// "wait" (a 429 or 503 with Retry-After) pauses the whole connection until then, so the
// other pipelines on it do not hammer a server that said wait.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <junction/sdk/services.hpp>
#include <junction/sdk/status.hpp>

#include "connection_config.hpp"
#include "http_service.hpp"

namespace junction::services {

class RateBudget {
public:
    // A slot in flight, given back when the permit goes (or is reset).
    class Permit {
    public:
        Permit() = default;
        Permit(Permit&& o) noexcept : budget_(std::exchange(o.budget_, nullptr)) {}
        Permit& operator=(Permit&& o) noexcept {
            if (this != &o) {
                reset();
                budget_ = std::exchange(o.budget_, nullptr);
            }
            return *this;
        }
        Permit(const Permit&) = delete;
        Permit& operator=(const Permit&) = delete;
        ~Permit() { reset(); }
        void reset() noexcept;

    private:
        friend class RateBudget;
        explicit Permit(RateBudget* budget) : budget_(budget) {}
        RateBudget* budget_ = nullptr;
    };

    // What one wait brings from its caller.
    struct Waiter {
        sdk::Clock& clock;  // monotonic time; its sleeps end at the caller's stop
        const StopPredicate& stop;
        const LogHook& log;                   // one debug line a second at most, per budget
        std::chrono::milliseconds max_pause;  // a longer pause is not waited out here
    };

    RateBudget(std::string connection, RateLimit limit);

    // Waits until the connection may send one more request: past any pause, a token in the
    // bucket and a slot free. ok: `permit` holds the slot. retry: the caller was asked to
    // stop while waiting, or the connection is paused beyond max_pause (retry_after: what
    // remains of the pause, capped by max_pause); nothing is taken then.
    sdk::Status acquire(Permit& permit, const Waiter& waiter);

    // Nobody on this connection sends before `until` (a later pause wins over an earlier one).
    void pause_until(std::chrono::steady_clock::time_point until);

    [[nodiscard]] const RateLimit& limit() const noexcept { return limit_; }

private:
    void release() noexcept;
    [[nodiscard]] std::string describe() const;

    const std::string connection_;
    const RateLimit limit_;
    std::mutex mutex_;
    std::condition_variable slot_freed_;
    double tokens_;
    std::chrono::steady_clock::time_point refilled_{};
    std::chrono::steady_clock::time_point paused_until_{};
    std::size_t in_flight_ = 0;
    std::chrono::steady_clock::time_point logged_{};
};

// Every connection's budget, built once from the config's connections; a connection
// without a rate_limit gets an unbounded budget (which a server's Retry-After can still pause).
class ConnectionBudgets {
public:
    explicit ConnectionBudgets(const std::vector<ConnectionConfig>& connections);
    // nullptr: no such connection.
    [[nodiscard]] RateBudget* find(std::string_view connection) const;

private:
    std::map<std::string, std::unique_ptr<RateBudget>, std::less<>> budgets_;
};

}  // namespace junction::services
