// Opened plugin instances for the server's workers (a component is called from one thread
// at a time): a worker takes an idle one or opens a new one, and gives it back; at most
// `max_idle` are kept (the server has that many workers). Shared by served collections
// and intake routes, with the answer both give when the store cannot be used.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <junction/sdk/status.hpp>

#include "router.hpp"

namespace junction::http {

template <class T>
class InstancePool {
public:
    using Opener = std::function<std::unique_ptr<T>(sdk::Status&)>;
    InstancePool(std::size_t max_idle, Opener open) : max_idle_(max_idle), open_(std::move(open)) {}

    // An idle instance, or a new one; nullptr and `status` when it cannot be opened now.
    std::unique_ptr<T> acquire(sdk::Status& status) {
        {
            std::lock_guard lock(mutex_);
            if (!idle_.empty()) {
                auto c = std::move(idle_.back());
                idle_.pop_back();
                return c;
            }
        }
        return open_(status);
    }
    void release(std::unique_ptr<T> c) {
        std::lock_guard lock(mutex_);
        if (idle_.size() < max_idle_) idle_.push_back(std::move(c));
    }

private:
    const std::size_t max_idle_;
    Opener open_;
    std::mutex mutex_;
    std::vector<std::unique_ptr<T>> idle_;
};

// The answer to a store's failed call: 400 (reject), 503 with Retry-After (retry: down
// for now), 500 (fatal). `name` says whose store it is ("/contacts", "submissions formulas").
inline Response store_error(const sdk::Status& st, const std::string& name) {
    if (st.code() == sdk::Code::reject) return Response::error(400, "bad_request", st.message());
    if (st.code() == sdk::Code::retry) {
        auto r = Response::error(503, "store_unavailable", "the store of " + name + " cannot be reached now");
        r.headers.emplace_back("Retry-After", "5");
        return r;
    }
    return Response::error(500, "store_failed", "the store of " + name + " failed");
}

}  // namespace junction::http
