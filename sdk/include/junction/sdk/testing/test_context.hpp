// A Context for an author's unit tests, no host needed: options checked by the host's
// own validator (the same defaults, coercion and path resolution), the test doubles of
// testing/services.hpp, committed positions set by the test, and a stop to request.
#pragma once

#include <atomic>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>

#include "../context.hpp"
#include "../detail/option_check.hpp"
#include "../options.hpp"
#include "services.hpp"

namespace junction::sdk::testing {

// The options with every default filled in where left out, at any depth, nothing else
// checked: for a TestContext handed deliberately bad input.
[[nodiscard]] inline boost::json::object with_defaults(const OptionSchema& schema, boost::json::object options) {
    return detail::apply_defaults(schema, std::move(options));
}

// The host's messages for these options, one "options.<path>: <message>" a line, empty
// when they are valid: pin a schema's refusals in a test.
[[nodiscard]] inline std::vector<std::string> option_errors(const OptionSchema& schema,
                                                            const boost::json::object& options,
                                                            std::string_view base_dir = ".") {
    std::vector<detail::OptionError> errors;
    (void)detail::validate_options(schema, options, "options", base_dir, errors);
    std::vector<std::string> out;
    out.reserve(errors.size());
    for (const auto& e : errors)
        out.push_back(e.path + ": " + e.message);
    return out;
}

class TestContext final : public Context {
public:
    // The options as the host hands them to open(): validated against the schema, typed,
    // defaults applied, paths resolved against base_dir. Invalid options throw
    // std::invalid_argument listing every error ("options.size: must be at most 10, got 50").
    TestContext(const OptionSchema& schema, const boost::json::object& options, std::string_view base_dir = ".",
                std::string pipeline = "test")
        : TestContext(boost::json::object{}, base_dir, std::move(pipeline)) {
        std::vector<detail::OptionError> errors;
        options_ = detail::validate_options(schema, options, "options", base_dir_, errors);
        if (!errors.empty()) throw std::invalid_argument("invalid options:\n" + detail::format_option_errors(errors));
    }
    // These options exactly, unvalidated: no defaults (see with_defaults()), no coercion,
    // no path resolution. For tests of what a component does with input the host would
    // have refused.
    explicit TestContext(boost::json::object options = {}, std::string_view base_dir = ".",
                         std::string pipeline = "test")
        : options_(std::move(options)), base_dir_(absolute(base_dir)), pipeline_(std::move(pipeline)) {}

    TestContext(const TestContext&) = delete;  // the clock and the HTTP client point into it
    TestContext& operator=(const TestContext&) = delete;

    // ---- Context
    [[nodiscard]] const Options& options() const noexcept override { return options_; }
    [[nodiscard]] RecordingLogger& log() noexcept override { return logger_; }
    [[nodiscard]] MemoryKeyValueStore& state() noexcept override { return state_; }
    [[nodiscard]] bool stop_requested() const noexcept override { return stop_.load(); }
    [[nodiscard]] std::string_view pipeline() const noexcept override { return pipeline_; }
    // Absolute: the folder given, made absolute against the working directory.
    [[nodiscard]] std::string_view base_dir() const noexcept override { return base_dir_; }
    [[nodiscard]] const Positions& committed() const noexcept override { return committed_; }
    // Recorded (dropped()); committed() stays as of open(), as the host's does.
    void drop_position(std::string_view partition) override { dropped_.emplace_back(partition); }
    [[nodiscard]] ScriptedHttpClient& http() noexcept override { return http_; }
    [[nodiscard]] StaticCredentials& credentials() noexcept override { return credentials_; }
    [[nodiscard]] RecordingMetrics& metrics() noexcept override { return metrics_; }
    [[nodiscard]] ManualClock& clock() noexcept override { return clock_; }
    [[nodiscard]] RecordingPushLog& pushes() noexcept override { return pushes_; }

    // ---- the test's side
    RecordingLogger& logger() noexcept { return logger_; }
    MemoryKeyValueStore& kv() noexcept { return state_; }
    // Sets the stop signal; callable from any thread. ManualClock::sleep_for then returns false.
    void request_stop() noexcept { stop_.store(true); }
    // The positions a reader's open() finds, as if committed by an earlier run.
    void set_committed(Positions positions) { committed_ = std::move(positions); }
    void set_committed_position(std::string offset, std::string partition = {}) {
        committed_.insert_or_assign(std::move(partition), std::move(offset));
    }
    // Every partition drop_position() was called with, in order.
    [[nodiscard]] const std::vector<std::string>& dropped() const noexcept { return dropped_; }

private:
    static std::string absolute(std::string_view dir) { return detail::option_check::resolve_path(".", dir); }

    Options options_;
    std::string base_dir_;
    std::string pipeline_;
    Positions committed_;
    std::vector<std::string> dropped_;
    std::atomic<bool> stop_{false};
    RecordingLogger logger_;
    MemoryKeyValueStore state_;
    StaticCredentials credentials_;
    ScriptedHttpClient http_{&credentials_};
    RecordingMetrics metrics_;
    ManualClock clock_{&stop_};
    RecordingPushLog pushes_;
};

}  // namespace junction::sdk::testing
