// What the services' tests share: a clock moved by hand, a log hook that records its
// lines, an in-memory TokenStore, and a way to read the test server's own counters.
#pragma once

#include <atomic>
#include <chrono>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json.hpp>
#include <junction/sdk/services.hpp>
#include <junction/services/http_service.hpp>
#include <junction/services/token_store.hpp>

#include "http_server.hpp"

namespace junction::test {

// Time moves only when a test (or a sleep) moves it, so backoff and expiry cost no real
// time. sleep_for records the wait, advances both clocks and returns false once stopped.
class ManualClock final : public sdk::Clock {
public:
    explicit ManualClock(std::chrono::system_clock::time_point start = std::chrono::system_clock::now())
        : wall_(start) {}

    std::chrono::system_clock::time_point now() const noexcept override {
        const std::lock_guard lock(mutex_);
        return wall_;
    }
    std::chrono::steady_clock::time_point monotonic() const noexcept override {
        const std::lock_guard lock(mutex_);
        return steady_;
    }
    bool sleep_for(std::chrono::milliseconds d) noexcept override {
        if (stopped_) return false;
        const std::lock_guard lock(mutex_);
        sleeps_.push_back(d);
        wall_ += d;
        steady_ += d;
        return true;
    }

    void advance(std::chrono::system_clock::duration d) {
        const std::lock_guard lock(mutex_);
        wall_ += d;
        steady_ += std::chrono::duration_cast<std::chrono::steady_clock::duration>(d);
    }
    void request_stop() noexcept { stopped_ = true; }
    [[nodiscard]] bool stopped() const noexcept { return stopped_; }
    [[nodiscard]] std::vector<std::chrono::milliseconds> sleeps() const {
        const std::lock_guard lock(mutex_);
        return sleeps_;
    }

private:
    mutable std::mutex mutex_;
    std::chrono::system_clock::time_point wall_;
    std::chrono::steady_clock::time_point steady_{};
    std::vector<std::chrono::milliseconds> sleeps_;
    std::atomic<bool> stopped_{false};
};

class LogLines {
public:
    services::LogHook hook() {
        return [this](sdk::LogLevel, std::string_view line) {
            const std::lock_guard lock(mutex_);
            lines_.emplace_back(line);
        };
    }
    [[nodiscard]] std::vector<std::string> lines() const {
        const std::lock_guard lock(mutex_);
        return lines_;
    }
    [[nodiscard]] std::string all() const {
        std::string out;
        for (const auto& l : lines())
            out += l + "\n";
        return out;
    }

private:
    mutable std::mutex mutex_;
    std::vector<std::string> lines_;
};

class MemoryTokenStore final : public services::TokenStore {
public:
    std::optional<std::string> get(std::string_view connection) override {
        const std::lock_guard lock(mutex_);
        if (connection != connection_ || value_.empty()) return std::nullopt;
        return value_;
    }
    void put(std::string_view connection, std::string_view refresh_token) override {
        const std::lock_guard lock(mutex_);
        if (fail_puts_) throw std::runtime_error("disk full");
        connection_ = std::string(connection);
        value_ = std::string(refresh_token);
        puts_.push_back(value_);
    }
    void fail_puts(bool fail) {
        const std::lock_guard lock(mutex_);
        fail_puts_ = fail;
    }
    [[nodiscard]] std::vector<std::string> puts() const {
        const std::lock_guard lock(mutex_);
        return puts_;
    }

private:
    mutable std::mutex mutex_;
    std::string connection_;
    std::string value_;
    std::vector<std::string> puts_;
    bool fail_puts_ = false;
};

// GET a JSON document from the test server through a service of its own, so the
// connections and counters of the service under test are not touched.
inline boost::json::value server_json(const HttpServer& server, const std::string& path) {
    services::HttpService admin;
    ManualClock clock;
    sdk::HttpResponse response;
    const auto status = admin.send({.url = server.url(path)}, response, {.clock = clock});
    if (!status.is_ok()) throw std::runtime_error("test server: " + status.message());
    return boost::json::parse(response.body);
}

inline std::int64_t server_hits(const HttpServer& server, const std::string& key) {
    return server_json(server, "/hits/" + key).at("hits").as_int64();
}

}  // namespace junction::test
