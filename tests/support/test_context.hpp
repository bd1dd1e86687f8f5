// A stand-in for the host's sdk::Context in plugin tests: options from a JSON object
// (with a schema's defaults filled in, as the host does), a logger that records its
// lines, an in-memory key/value store, a stop source and a base_dir. Header-only.
#pragma once

#include <algorithm>
#include <map>
#include <mutex>
#include <optional>
#include <stop_token>
#include <thread>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>
#include <junction/sdk/components.hpp>
#include <junction/sdk/context.hpp>
#include <junction/sdk/options.hpp>

namespace junction::test {

class RecordingLogger final : public sdk::Logger {
public:
    struct Line {
        sdk::LogLevel level;
        std::string message;
    };

    void write(sdk::LogLevel level, std::string_view message) noexcept override {
        try {
            const std::lock_guard lock(mutex_);
            lines_.push_back({level, std::string(message)});
        } catch (...) {  // a test logger that cannot allocate has nothing better to do
        }
    }
    [[nodiscard]] bool enabled(sdk::LogLevel) const noexcept override { return true; }

    [[nodiscard]] std::vector<Line> lines() const {
        const std::lock_guard lock(mutex_);
        return lines_;
    }
    // True when some line (of any level) contains the text.
    [[nodiscard]] bool contains(std::string_view text) const {
        for (const auto& l : lines())
            if (l.message.find(text) != std::string::npos) return true;
        return false;
    }

private:
    mutable std::mutex mutex_;
    std::vector<Line> lines_;
};

class MemoryKeyValueStore final : public sdk::KeyValueStore {
public:
    std::optional<std::string> get(std::string_view key) override {
        const std::lock_guard lock(mutex_);
        const auto it = values_.find(std::string(key));
        if (it == values_.end()) return std::nullopt;
        return it->second;
    }
    void put(std::string_view key, std::string_view value) override {
        const std::lock_guard lock(mutex_);
        values_[std::string(key)] = std::string(value);
    }
    void erase(std::string_view key) override {
        const std::lock_guard lock(mutex_);
        values_.erase(std::string(key));
    }

private:
    std::mutex mutex_;
    std::map<std::string, std::string> values_;
};

// The user's options with every defaulted option the user left out filled in, as the
// host hands them to open(). No validation: tests of bad input pass it straight on.
inline boost::json::object with_defaults(const sdk::OptionSchema& schema, boost::json::object options) {
    for (const auto& spec : schema)
        if (!spec.default_value.is_null() && !options.contains(spec.name)) options[spec.name] = spec.default_value;
    return options;
}

class NullMetrics final : public sdk::Metrics {
    struct C final : sdk::Counter {
        void add(double) noexcept override {}
    };
    struct G final : sdk::Gauge {
        void set(double) noexcept override {}
        void add(double) noexcept override {}
    };
    struct H final : sdk::Histogram {
        void observe(double) noexcept override {}
    };
    C c_;
    G g_;
    H h_;

public:
    sdk::Counter& counter(std::string_view, std::string_view, const sdk::MetricLabels&) override { return c_; }
    sdk::Gauge& gauge(std::string_view, std::string_view, const sdk::MetricLabels&) override { return g_; }
    sdk::Histogram& histogram(std::string_view, std::string_view, std::span<const double>,
                              const sdk::MetricLabels&) override {
        return h_;
    }
};

class SystemClock final : public sdk::Clock {
public:
    explicit SystemClock(const std::stop_source& stop) : stop_(stop) {}
    std::chrono::system_clock::time_point now() const noexcept override { return std::chrono::system_clock::now(); }
    std::chrono::steady_clock::time_point monotonic() const noexcept override {
        return std::chrono::steady_clock::now();
    }
    bool sleep_for(std::chrono::milliseconds d) noexcept override {
        const auto until = std::chrono::steady_clock::now() + d;
        while (!stop_.stop_requested() && std::chrono::steady_clock::now() < until)
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        return !stop_.stop_requested();
    }

private:
    const std::stop_source& stop_;
};

class NoHttp final : public sdk::HttpClient, public sdk::Credentials {
public:
    sdk::Status send(const sdk::HttpRequest&, sdk::HttpResponse&) override { return sdk::Status::fatal("no http"); }
    sdk::Status authorize(std::string_view, sdk::Authorization&) override { return sdk::Status::fatal("none"); }
    void invalidate(std::string_view, const sdk::Authorization&) override {}
};

// Acknowledgements as the engine hands them: the records, and each partition's last
// position as committed.
class Acks final : public sdk::Acknowledgements {
public:
    Acks(std::vector<sdk::Acknowledgement> records) : records_(std::move(records)) {  // NOLINT: implicit on purpose
        for (const auto& a : records_) {
            if (a.meta.position.empty()) continue;
            auto it = std::find_if(committed_.begin(), committed_.end(),
                                   [&](const auto& c) { return c.partition == a.meta.partition; });
            if (it == committed_.end())
                committed_.push_back({a.meta.partition, a.meta.position});
            else
                it->offset = a.meta.position;
        }
    }
    std::span<const sdk::Acknowledgement> records() const noexcept override { return records_; }
    std::span<const sdk::Committed> committed() const noexcept override { return committed_; }

private:
    std::vector<sdk::Acknowledgement> records_;
    std::vector<sdk::Committed> committed_;
};

class TestContext final : public sdk::Context {
public:
    explicit TestContext(boost::json::object options = {}, std::string base_dir = ".", std::string pipeline = "test")
        : options_(std::move(options)), base_dir_(std::move(base_dir)), pipeline_(std::move(pipeline)) {}
    TestContext(const sdk::OptionSchema& schema, boost::json::object options, std::string base_dir = ".",
                std::string pipeline = "test")
        : TestContext(with_defaults(schema, std::move(options)), std::move(base_dir), std::move(pipeline)) {}

    [[nodiscard]] const sdk::Options& options() const noexcept override { return options_; }
    [[nodiscard]] sdk::Logger& log() noexcept override { return logger_; }
    [[nodiscard]] sdk::KeyValueStore& state() noexcept override { return state_; }
    [[nodiscard]] bool stop_requested() const noexcept override { return stop_.stop_requested(); }
    [[nodiscard]] std::string_view pipeline() const noexcept override { return pipeline_; }
    [[nodiscard]] std::string_view base_dir() const noexcept override { return base_dir_; }
    [[nodiscard]] const sdk::Positions& committed() const noexcept override { return committed_; }
    void drop_position(std::string_view partition) override {
        dropped_.emplace_back(partition);
        committed_.erase(std::string(partition));
    }
    sdk::HttpClient& http() noexcept override { return none_; }
    sdk::Credentials& credentials() noexcept override { return none_; }
    sdk::Metrics& metrics() noexcept override { return metrics_; }
    sdk::Clock& clock() noexcept override { return clock_; }

    RecordingLogger& logger() noexcept { return logger_; }
    MemoryKeyValueStore& kv() noexcept { return state_; }
    void request_stop() noexcept { stop_.request_stop(); }
    void set_committed(sdk::Positions positions) { committed_ = std::move(positions); }
    void set_committed_position(const std::string& position, const std::string& partition = "") {
        committed_[partition] = position;
    }
    [[nodiscard]] const std::vector<std::string>& dropped() const noexcept { return dropped_; }

private:
    sdk::Options options_;
    std::string base_dir_;
    std::string pipeline_;
    sdk::Positions committed_;
    std::vector<std::string> dropped_;
    RecordingLogger logger_;
    MemoryKeyValueStore state_;
    std::stop_source stop_;
    SystemClock clock_{stop_};
    NullMetrics metrics_;
    NoHttp none_;
};

}  // namespace junction::test
