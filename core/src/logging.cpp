// The host's logging on Boost.Log: every event is one record carrying one attribute
// (the whole event), rendered by our own sink backend as a text line or a JSON line.
#include "junction/core/logging.hpp"
#include "junction/core/time_text.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <boost/log/attributes/constant.hpp>
#include <boost/log/attributes/value_extraction.hpp>
#include <boost/log/core/core.hpp>
#include <boost/log/core/record.hpp>
#include <boost/log/sinks/basic_sink_backend.hpp>
#include <boost/log/sinks/sync_frontend.hpp>
#include <boost/smart_ptr/make_shared_object.hpp>
#include <junction/sdk/json_text.hpp>

namespace junction::core {
namespace {

namespace blog = boost::log;

constexpr const char* event_attribute = "JunctionEvent";

// Everything one line needs, captured at the call so the sink does no lookups.
struct LogEvent {
    sdk::LogLevel level = sdk::LogLevel::info;
    std::chrono::system_clock::time_point time{};
    std::string message;
    std::vector<std::pair<std::string, std::string>> fields;
};

const char* level_name(sdk::LogLevel level) noexcept {
    switch (level) {
        case sdk::LogLevel::trace:
            return "trace";
        case sdk::LogLevel::debug:
            return "debug";
        case sdk::LogLevel::info:
            return "info";
        case sdk::LogLevel::warning:
            return "warning";
        case sdk::LogLevel::error:
            return "error";
    }
    return "info";
}

// Padded to one width so messages line up in a terminal.
const char* level_tag(sdk::LogLevel level) noexcept {
    switch (level) {
        case sdk::LogLevel::trace:
            return "TRACE";
        case sdk::LogLevel::debug:
            return "DEBUG";
        case sdk::LogLevel::info:
            return "INFO ";
        case sdk::LogLevel::warning:
            return "WARN ";
        case sdk::LogLevel::error:
            return "ERROR";
    }
    return "INFO ";
}

// A line must stay one line, whatever a plugin or a file name puts in it.
void append_escaped(std::string& out, std::string_view text) {
    for (const char c : text) {
        switch (c) {
            case '\n':
                out += "\\n";
                break;
            case '\r':
                out += "\\r";
                break;
            case '\t':
                out += "\\t";
                break;
            default:
                out += c;
        }
    }
}

// logfmt-style: quote a value only when a reader could not tell where it ends.
void append_value(std::string& out, std::string_view value) {
    const bool needs_quotes = value.empty() || value.find_first_of(" \t\r\n\"=") != std::string_view::npos;
    if (!needs_quotes) {
        out += value;
        return;
    }
    out += '"';
    for (const char c : value) {
        if (c == '"' || c == '\\') out += '\\';
        if (c == '\n' || c == '\r' || c == '\t')
            append_escaped(out, std::string_view(&c, 1));
        else
            out += c;
    }
    out += '"';
}

std::string render_text(const LogEvent& e) {
    std::string line = format_utc_ms(e.time);
    line += ' ';
    line += level_tag(e.level);
    line += ' ';
    append_escaped(line, e.message);
    for (const auto& [key, value] : e.fields) {
        line += ' ';
        line += key;
        line += '=';
        append_value(line, value);
    }
    line += '\n';
    return line;
}

std::string render_json(const LogEvent& e) {
    boost::json::object o;
    o["ts"] = format_utc_ms(e.time);
    o["level"] = level_name(e.level);
    o["msg"] = e.message;
    for (const auto& [key, value] : e.fields) {
        // The fixed members win: a field named "msg" must not hide the message.
        if (key == "ts" || key == "level" || key == "msg") continue;
        // Counts and durations go out as JSON numbers, so machines need not parse them.
        const bool integer = !value.empty() && value.size() < 19 &&
                             value.find_first_not_of("0123456789") == std::string::npos &&
                             (value.size() == 1 || value[0] != '0');
        if (integer)
            o[key] = std::stoll(value);
        else
            o[key] = value;
    }
    std::string line = sdk::to_json_text(o);
    line += '\n';
    return line;
}

// Renders and writes each record in one write, so lines of threads never interleave
// (the synchronous frontend serializes consume()).
class StderrBackend final : public blog::sinks::basic_sink_backend<blog::sinks::synchronized_feeding> {
public:
    explicit StderrBackend(LogFormat format) : format_(format) {}

    void consume(const blog::record_view& rec) {
        const auto event = blog::extract<LogEvent>(event_attribute, rec);
        if (!event) return;
        const std::string line = format_ == LogFormat::json ? render_json(*event) : render_text(*event);
        std::fwrite(line.data(), 1, line.size(), stderr);
        std::fflush(stderr);
    }

private:
    LogFormat format_;
};

using StderrSink = blog::sinks::synchronous_sink<StderrBackend>;

struct LoggingState {
    std::mutex mutex;  // guards sink replacement only; logging itself takes the sink's lock
    boost::shared_ptr<StderrSink> sink;
    std::atomic<int> min_level{static_cast<int>(sdk::LogLevel::info)};
    std::once_flag default_init;
};

LoggingState& state() {
    static LoggingState s;  // the logger core: the one global this program allows itself
    return s;
}

void install_sink(const LogSettings& settings) {
    auto& s = state();
    const std::lock_guard lock(s.mutex);
    auto core = blog::core::get();
    if (s.sink) {
        core->remove_sink(s.sink);
        s.sink->flush();
    }
    s.min_level.store(static_cast<int>(settings.level));
    s.sink = boost::make_shared<StderrSink>(boost::make_shared<StderrBackend>(settings.format));
    core->add_sink(s.sink);
}

void ensure_initialized() {
    auto& s = state();
    // A program (or test) that logs before init_logging still gets our format, not
    // Boost.Log's default console sink.
    std::call_once(s.default_init, [&] {
        if (!s.sink) install_sink(LogSettings{});
    });
}

bool enabled(sdk::LogLevel level) noexcept {
    return static_cast<int>(level) >= state().min_level.load(std::memory_order_relaxed);
}

void emit(LogEvent event) {
    ensure_initialized();
    blog::attribute_set attrs;
    attrs.insert(event_attribute, blog::attributes::make_constant(std::move(event)));
    auto core = blog::core::get();
    if (auto rec = core->open_record(attrs)) core->push_record(std::move(rec));
}

class PluginLogger final : public sdk::Logger {
public:
    PluginLogger(std::string pipeline, std::string plugin, std::string kind)
        : pipeline_(std::move(pipeline)), plugin_(std::move(plugin)), kind_(std::move(kind)) {}

    void write(sdk::LogLevel level, std::string_view message) noexcept override {
        if (!enabled(level)) return;
        try {
            LogEvent e{level, std::chrono::system_clock::now(), std::string(message), {}};
            e.fields = {{"pipeline", pipeline_}, {"plugin", plugin_}, {"kind", kind_}};
            emit(std::move(e));
        } catch (...) {  // a log line is never worth failing the plugin's call
        }
    }
    [[nodiscard]] bool enabled(sdk::LogLevel level) const noexcept override { return core::enabled(level); }

private:
    std::string pipeline_;
    std::string plugin_;
    std::string kind_;
};

}  // namespace

void init_logging(const LogSettings& settings) {
    auto& s = state();
    std::call_once(s.default_init, [] {});  // an explicit init replaces the default for good
    install_sink(settings);
}

bool parse_log_level(std::string_view text, sdk::LogLevel& out) {
    static constexpr std::pair<std::string_view, sdk::LogLevel> names[] = {
        {"trace", sdk::LogLevel::trace},     {"debug", sdk::LogLevel::debug},  {"info", sdk::LogLevel::info},
        {"warning", sdk::LogLevel::warning}, {"warn", sdk::LogLevel::warning}, {"error", sdk::LogLevel::error},
    };
    const auto it = std::find_if(std::begin(names), std::end(names), [&](const auto& n) { return n.first == text; });
    if (it == std::end(names)) return false;
    out = it->second;
    return true;
}

bool parse_log_format(std::string_view text, LogFormat& out) {
    if (text == "text") {
        out = LogFormat::text;
        return true;
    }
    if (text == "json") {
        out = LogFormat::json;
        return true;
    }
    return false;
}

void log(sdk::LogLevel level, std::string_view message, std::initializer_list<LogField> fields) {
    log(level, message, std::span<const LogField>(fields.begin(), fields.size()));
}

void log(sdk::LogLevel level, std::string_view message, std::span<const LogField> fields) {
    if (!enabled(level)) return;
    try {
        LogEvent e{level, std::chrono::system_clock::now(), std::string(message), {}};
        e.fields.reserve(fields.size());
        for (const auto& [key, value] : fields)
            e.fields.emplace_back(std::string(key), value);
        emit(std::move(e));
    } catch (...) {  // logging must never be the reason an operation fails
    }
}

std::unique_ptr<sdk::Logger> make_plugin_logger(std::string pipeline, std::string plugin, std::string kind) {
    return std::make_unique<PluginLogger>(std::move(pipeline), std::move(plugin), std::move(kind));
}

}  // namespace junction::core
