// Test doubles of the host's services, for an author's unit tests: a logger that keeps
// its lines, an in-memory state store, a clock moved by hand, metrics read back by name,
// an HTTP client that replays scripted responses, and fixed credentials. Each is
// thread-safe, as the host's are.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "../context.hpp"
#include "../services.hpp"
#include "../status.hpp"

namespace junction::sdk::testing {

// ---- log ---------------------------------------------------------------------------

class RecordingLogger final : public Logger {
public:
    struct Line {
        LogLevel level;
        std::string message;
    };

    void write(LogLevel level, std::string_view message) noexcept override {
        try {
            const std::lock_guard lock(mutex_);
            lines_.push_back({level, std::string(message)});
        } catch (...) {  // a test logger that cannot allocate has nothing better to do
        }
    }
    [[nodiscard]] bool enabled(LogLevel) const noexcept override { return true; }

    [[nodiscard]] std::vector<Line> lines() const {
        const std::lock_guard lock(mutex_);
        return lines_;
    }
    // True when some line (of any level) contains the text.
    [[nodiscard]] bool contains(std::string_view text) const {
        const std::lock_guard lock(mutex_);
        for (const auto& l : lines_)
            if (l.message.find(text) != std::string::npos) return true;
        return false;
    }
    // True when some line of this level contains the text.
    [[nodiscard]] bool contains(LogLevel level, std::string_view text) const {
        const std::lock_guard lock(mutex_);
        for (const auto& l : lines_)
            if (l.level == level && l.message.find(text) != std::string::npos) return true;
        return false;
    }
    void clear() {
        const std::lock_guard lock(mutex_);
        lines_.clear();
    }

private:
    mutable std::mutex mutex_;
    std::vector<Line> lines_;
};

// ---- state -------------------------------------------------------------------------

class MemoryKeyValueStore final : public KeyValueStore {
public:
    std::optional<std::string> get(std::string_view key) override {
        const std::lock_guard lock(mutex_);
        const auto it = values_.find(key);
        if (it == values_.end()) return std::nullopt;
        return it->second;
    }
    void put(std::string_view key, std::string_view value) override {
        const std::lock_guard lock(mutex_);
        values_.insert_or_assign(std::string(key), std::string(value));
    }
    void erase(std::string_view key) override {
        const std::lock_guard lock(mutex_);
        const auto it = values_.find(key);
        if (it != values_.end()) values_.erase(it);
    }
    // Everything stored, for assertions.
    [[nodiscard]] std::map<std::string, std::string, std::less<>> values() const {
        const std::lock_guard lock(mutex_);
        return values_;
    }

private:
    mutable std::mutex mutex_;
    std::map<std::string, std::string, std::less<>> values_;
};

// ---- clock -------------------------------------------------------------------------

// Time that moves only when told: set_now()/set_monotonic(), advance(), or sleep_for(),
// which advances both clocks at once instead of waiting, and returns false without
// advancing once stop was requested (the flag given at construction).
class ManualClock final : public Clock {
public:
    // Starts at 2024-01-01T00:00:00Z, so tests that format times get fixed text.
    explicit ManualClock(const std::atomic<bool>* stop = nullptr) : stop_(stop) {}

    [[nodiscard]] std::chrono::system_clock::time_point now() const noexcept override {
        const std::lock_guard lock(mutex_);
        return now_;
    }
    [[nodiscard]] std::chrono::steady_clock::time_point monotonic() const noexcept override {
        const std::lock_guard lock(mutex_);
        return monotonic_;
    }
    bool sleep_for(std::chrono::milliseconds d) noexcept override {
        if (stop_ != nullptr && stop_->load()) return false;
        const std::lock_guard lock(mutex_);
        try {
            sleeps_.push_back(d);
        } catch (...) {  // the sleep itself still happens
        }
        move(d);
        return true;
    }

    void set_now(std::chrono::system_clock::time_point t) {
        const std::lock_guard lock(mutex_);
        now_ = t;
    }
    void set_monotonic(std::chrono::steady_clock::time_point t) {
        const std::lock_guard lock(mutex_);
        monotonic_ = t;
    }
    // Moves both clocks forward by d.
    void advance(std::chrono::nanoseconds d) {
        const std::lock_guard lock(mutex_);
        move(d);
    }
    // Every sleep_for() that slept, in order (a backoff's waits).
    [[nodiscard]] std::vector<std::chrono::milliseconds> sleeps() const {
        const std::lock_guard lock(mutex_);
        return sleeps_;
    }

private:
    void move(std::chrono::nanoseconds d) noexcept {
        now_ += std::chrono::duration_cast<std::chrono::system_clock::duration>(d);
        monotonic_ += std::chrono::duration_cast<std::chrono::steady_clock::duration>(d);
    }

    const std::atomic<bool>* stop_;
    mutable std::mutex mutex_;
    std::chrono::system_clock::time_point now_{std::chrono::seconds(1704067200)};  // 2024-01-01T00:00:00Z
    std::chrono::steady_clock::time_point monotonic_{std::chrono::hours(1)};
    std::vector<std::chrono::milliseconds> sleeps_;
};

// ---- metrics -----------------------------------------------------------------------

class RecordingCounter final : public Counter {
public:
    // Amounts are recorded as given, a negative one too, so a test can catch it.
    void add(double amount = 1.0) noexcept override {
        const std::lock_guard lock(mutex_);
        value_ += amount;
    }
    [[nodiscard]] double value() const {
        const std::lock_guard lock(mutex_);
        return value_;
    }

private:
    mutable std::mutex mutex_;
    double value_ = 0;
};

class RecordingGauge final : public Gauge {
public:
    void set(double value) noexcept override {
        const std::lock_guard lock(mutex_);
        value_ = value;
    }
    void add(double delta) noexcept override {
        const std::lock_guard lock(mutex_);
        value_ += delta;
    }
    [[nodiscard]] double value() const {
        const std::lock_guard lock(mutex_);
        return value_;
    }

private:
    mutable std::mutex mutex_;
    double value_ = 0;
};

class RecordingHistogram final : public Histogram {
public:
    explicit RecordingHistogram(std::vector<double> buckets) : buckets_(std::move(buckets)) {}
    void observe(double value) noexcept override {
        const std::lock_guard lock(mutex_);
        try {
            observations_.push_back(value);
        } catch (...) {  // out of memory in a test: the observation is lost
        }
    }
    [[nodiscard]] std::vector<double> observations() const {
        const std::lock_guard lock(mutex_);
        return observations_;
    }
    [[nodiscard]] const std::vector<double>& buckets() const noexcept { return buckets_; }

private:
    mutable std::mutex mutex_;
    std::vector<double> observations_;
    const std::vector<double> buckets_;
};

// Series registered by name and labels (in any order), read back for assertions:
//   CHECK(ctx.metrics().value("requests_total", {{"status", "200"}}) == 2);
// Registering one name and labels as two kinds throws std::logic_error (a test's bug).
class RecordingMetrics final : public Metrics {
public:
    Counter& counter(std::string_view name, std::string_view help, const MetricLabels& labels = {}) override {
        return series(counters_, "counter", name, help, labels, [] { return std::make_unique<RecordingCounter>(); });
    }
    Gauge& gauge(std::string_view name, std::string_view help, const MetricLabels& labels = {}) override {
        return series(gauges_, "gauge", name, help, labels, [] { return std::make_unique<RecordingGauge>(); });
    }
    Histogram& histogram(std::string_view name, std::string_view help, std::span<const double> buckets = {},
                         const MetricLabels& labels = {}) override {
        return series(histograms_, "histogram", name, help, labels, [&] {
            return std::make_unique<RecordingHistogram>(std::vector<double>(buckets.begin(), buckets.end()));
        });
    }

    // A counter's or gauge's value; nothing when no such series was registered.
    [[nodiscard]] std::optional<double> value(std::string_view name, const MetricLabels& labels = {}) const {
        const std::lock_guard lock(mutex_);
        const auto k = key(name, labels);
        if (const auto it = counters_.find(k); it != counters_.end()) return it->second->value();
        if (const auto it = gauges_.find(k); it != gauges_.end()) return it->second->value();
        return std::nullopt;
    }
    // A histogram's observations, in order; empty when no such series was registered.
    [[nodiscard]] std::vector<double> observations(std::string_view name, const MetricLabels& labels = {}) const {
        const std::lock_guard lock(mutex_);
        const auto it = histograms_.find(key(name, labels));
        return it == histograms_.end() ? std::vector<double>{} : it->second->observations();
    }
    // The help text a series was registered with; nothing when it was not.
    [[nodiscard]] std::optional<std::string> help(std::string_view name, const MetricLabels& labels = {}) const {
        const std::lock_guard lock(mutex_);
        const auto it = help_.find(key(name, labels));
        if (it == help_.end()) return std::nullopt;
        return it->second;
    }

private:
    // name, then the labels sorted, NUL-separated: one key for one series.
    static std::string key(std::string_view name, MetricLabels labels) {
        std::sort(labels.begin(), labels.end());
        std::string k(name);
        for (const auto& [n, v] : labels) {
            k += '\0';
            k += n;
            k += '\0';
            k += v;
        }
        return k;
    }

    template <class Series, class Make>
    Series& series(std::map<std::string, std::unique_ptr<Series>, std::less<>>& map, const char* kind,
                   std::string_view name, std::string_view help, const MetricLabels& labels, Make make) {
        const std::lock_guard lock(mutex_);
        const auto k = key(name, labels);
        if (const auto it = map.find(k); it != map.end()) return *it->second;
        if (const auto it = kinds_.find(k); it != kinds_.end())
            throw std::logic_error("metric " + std::string(name) + " registered as a " + it->second + " and as a " +
                                   kind);
        kinds_.emplace(k, kind);
        help_.emplace(k, std::string(help));
        return *map.emplace(k, make()).first->second;
    }

    mutable std::mutex mutex_;
    std::map<std::string, std::unique_ptr<RecordingCounter>, std::less<>> counters_;
    std::map<std::string, std::unique_ptr<RecordingGauge>, std::less<>> gauges_;
    std::map<std::string, std::unique_ptr<RecordingHistogram>, std::less<>> histograms_;
    std::map<std::string, std::string, std::less<>> kinds_;
    std::map<std::string, std::string, std::less<>> help_;
};

// ---- credentials -------------------------------------------------------------------

// Fixed credentials per connection name; authorize() of an unknown one is fatal, as the
// host's is for a connection the config does not declare.
class StaticCredentials final : public Credentials {
public:
    void set(std::string connection, Authorization authorization) {
        const std::lock_guard lock(mutex_);
        failures_.erase(connection);
        authorizations_.insert_or_assign(std::move(connection), std::move(authorization));
    }
    // Shorthand: Authorization: Bearer <token>.
    void set_bearer(std::string connection, std::string token) {
        set(std::move(connection), Authorization{"Authorization", "Bearer " + std::move(token)});
    }
    // authorize() of this connection returns `status` (a refused client, an unreachable
    // token endpoint) until set() again.
    void fail(std::string connection, Status status) {
        const std::lock_guard lock(mutex_);
        failures_.insert_or_assign(std::move(connection), std::move(status));
    }

    Status authorize(std::string_view connection, Authorization& out) override {
        const std::lock_guard lock(mutex_);
        if (const auto it = failures_.find(connection); it != failures_.end()) return it->second;
        const auto it = authorizations_.find(connection);
        if (it == authorizations_.end()) return Status::fatal("no connection named " + std::string(connection));
        out = it->second;
        return Status::ok();
    }
    void invalidate(std::string_view connection, const Authorization&) override {
        const std::lock_guard lock(mutex_);
        ++invalidations_[std::string(connection)];
    }
    // How often invalidate() was called for the connection (after a 401).
    [[nodiscard]] std::size_t invalidations(std::string_view connection) const {
        const std::lock_guard lock(mutex_);
        const auto it = invalidations_.find(connection);
        return it == invalidations_.end() ? 0 : it->second;
    }

private:
    mutable std::mutex mutex_;
    std::map<std::string, Authorization, std::less<>> authorizations_;
    std::map<std::string, Status, std::less<>> failures_;
    std::map<std::string, std::size_t, std::less<>> invalidations_;
};

// ---- http --------------------------------------------------------------------------

// Replays scripted replies, one per send(), in order, and records every request, for an
// author's unit tests (the host's own tests cover real servers). A response gets the
// status the host's client would give it (classify()); a failure is returned as
// scripted. Unlike the host's client it neither retries within a call nor replays after
// a 401: script what the component should see. A request naming a connection gets that
// connection's authorization attached from the credentials given (recorded with it);
// when authorize() fails, its status is returned and no reply is used.
class ScriptedHttpClient final : public HttpClient {
public:
    explicit ScriptedHttpClient(Credentials* credentials = nullptr) : credentials_(credentials) {}

    void add_response(HttpResponse response) {
        const std::lock_guard lock(mutex_);
        replies_.push_back({Status::ok(), std::move(response), true});  // classified when sent
    }
    void add_response(long status, std::string body = {}, std::vector<HttpHeader> headers = {}) {
        HttpResponse r;
        r.status = status;
        r.body = std::move(body);
        r.headers = std::move(headers);
        add_response(std::move(r));
    }
    // A reply returned as it is: a transport failure (Status::retry("connection refused")
    // with status 0), or any status a test needs.
    void add_failure(Status status, HttpResponse response = {}) {
        const std::lock_guard lock(mutex_);
        replies_.push_back({std::move(status), std::move(response), false});
    }

    Status send(const HttpRequest& request, HttpResponse& response) override {
        const std::lock_guard lock(mutex_);
        HttpRequest sent = request;
        if (!request.connection.empty() && credentials_ != nullptr) {
            Authorization auth;
            auto st = credentials_->authorize(request.connection, auth);
            if (!st.is_ok()) {
                requests_.push_back(std::move(sent));
                response = HttpResponse{};
                return st;
            }
            if (auth.in_query)
                sent.url += (sent.url.find('?') == std::string::npos ? "?" : "&") + auth.name + "=" + auth.value;
            else
                sent.headers.push_back({auth.name, auth.value});
        }
        requests_.push_back(sent);
        if (replies_.empty()) {
            response = HttpResponse{};
            return Status::fatal("ScriptedHttpClient: no reply scripted for " + where(request));
        }
        auto reply = std::move(replies_.front());
        replies_.pop_front();
        response = std::move(reply.response);
        if (response.effective_url.empty()) response.effective_url = sent.url;
        return reply.classify ? classify(request, response) : std::move(reply.status);
    }

    // What the host's client makes of a final response: 2xx ok; 408, 425, 429, 5xx and
    // no response (0) retry, with Retry-After in seconds; 401 fatal; other 4xx reject.
    // Messages name the method, the URL without its query string, and the status.
    [[nodiscard]] static Status classify(const HttpRequest& request, const HttpResponse& response) {
        const long s = response.status;
        if (s >= 200 && s < 300) return Status::ok();
        const std::string what =
            where(request) + ": " + (s == 0 ? std::string("no response") : "HTTP " + std::to_string(s));
        if (s == 0 || s == 408 || s == 425 || s == 429 || s >= 500) return Status::retry(what, retry_after(response));
        if (s == 401) return Status::fatal(what);
        return Status::reject(what);
    }

    // Every request sent, in order, with the authorization attached.
    [[nodiscard]] std::vector<HttpRequest> requests() const {
        const std::lock_guard lock(mutex_);
        return requests_;
    }
    // Replies scripted and not yet used.
    [[nodiscard]] std::size_t pending() const {
        const std::lock_guard lock(mutex_);
        return replies_.size();
    }

private:
    struct Reply {
        Status status;
        HttpResponse response;
        bool classify;
    };

    static std::string where(const HttpRequest& request) {
        return request.method + " " + request.url.substr(0, request.url.find('?'));
    }

    static std::optional<std::chrono::milliseconds> retry_after(const HttpResponse& response) {
        const auto* h = response.header("Retry-After");
        if (h == nullptr || h->empty() || h->size() > 9) return std::nullopt;
        long seconds = 0;
        for (const char c : *h) {
            if (c < '0' || c > '9') return std::nullopt;  // an HTTP date: not read here
            seconds = seconds * 10 + (c - '0');
        }
        return std::chrono::seconds(seconds);
    }

    Credentials* credentials_;
    mutable std::mutex mutex_;
    std::deque<Reply> replies_;
    std::vector<HttpRequest> requests_;
};

// ---- push log ----------------------------------------------------------------------

// Keeps every push recorded, in order, for the test to read back.
class RecordingPushLog final : public PushLog {
public:
    void record(const Push& push) noexcept override {
        try {
            const std::lock_guard lock(mutex_);
            pushes_.push_back(push);
        } catch (...) {  // out of memory: a test double may lose a push
        }
    }
    [[nodiscard]] std::vector<Push> pushes() const {
        const std::lock_guard lock(mutex_);
        return pushes_;
    }

private:
    mutable std::mutex mutex_;
    std::vector<Push> pushes_;
};

}  // namespace junction::sdk::testing
