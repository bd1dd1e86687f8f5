// A stand-in for the host's sdk::Context in plugin tests: options from a JSON object
// (with a schema's defaults filled in, as the host does), a logger that records its
// lines, an in-memory key/value store, a stop source and a base_dir. Header-only.
#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>
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

class TestContext final : public sdk::Context {
public:
    explicit TestContext(boost::json::object options, std::string base_dir = ".", std::string pipeline = "test")
        : options_(std::move(options)), base_dir_(std::move(base_dir)), pipeline_(std::move(pipeline)) {}
    TestContext(const sdk::OptionSchema& schema, boost::json::object options, std::string base_dir = ".",
                std::string pipeline = "test")
        : TestContext(with_defaults(schema, std::move(options)), std::move(base_dir), std::move(pipeline)) {}

    [[nodiscard]] const sdk::Options& options() const noexcept override { return options_; }
    [[nodiscard]] sdk::Logger& log() noexcept override { return logger_; }
    [[nodiscard]] sdk::KeyValueStore& state() noexcept override { return state_; }
    [[nodiscard]] std::stop_token stop_token() const noexcept override { return stop_.get_token(); }
    [[nodiscard]] std::string_view pipeline() const noexcept override { return pipeline_; }
    [[nodiscard]] std::optional<std::string> committed_position() const override { return committed_; }
    [[nodiscard]] std::string_view base_dir() const noexcept override { return base_dir_; }

    RecordingLogger& logger() noexcept { return logger_; }
    MemoryKeyValueStore& kv() noexcept { return state_; }
    void request_stop() noexcept { stop_.request_stop(); }
    void set_committed_position(std::optional<std::string> position) { committed_ = std::move(position); }

private:
    sdk::Options options_;
    std::string base_dir_;
    std::string pipeline_;
    std::optional<std::string> committed_;
    RecordingLogger logger_;
    MemoryKeyValueStore state_;
    std::stop_source stop_;
};

}  // namespace junction::test
