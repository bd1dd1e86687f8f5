// The host's logging on Boost.Log: one line per event, for people (text) or machines
// (JSON lines), to stderr. The only global mutable state is Boost.Log's core.
#pragma once

#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>

#include <junction/sdk/context.hpp>

namespace junction::core {

enum class LogFormat { text, json };

struct LogSettings {
    LogFormat format = LogFormat::text;
    sdk::LogLevel level = sdk::LogLevel::info;
};

// Call once at start; calling again reconfigures (tests).
void init_logging(const LogSettings& settings);
bool parse_log_level(std::string_view text, sdk::LogLevel& out);
bool parse_log_format(std::string_view text, LogFormat& out);

using LogField = std::pair<std::string_view, std::string>;

// Host-side log call. Fields are appended as key=value (text) or as JSON members.
void log(sdk::LogLevel level, std::string_view message, std::initializer_list<LogField> fields = {});
// The same, for fields decided at run time.
void log(sdk::LogLevel level, std::string_view message, std::span<const LogField> fields);
inline void log_info(std::string_view m, std::initializer_list<LogField> f = {}) {
    log(sdk::LogLevel::info, m, f);
}
inline void log_warn(std::string_view m, std::initializer_list<LogField> f = {}) {
    log(sdk::LogLevel::warning, m, f);
}
inline void log_error(std::string_view m, std::initializer_list<LogField> f = {}) {
    log(sdk::LogLevel::error, m, f);
}
inline void log_debug(std::string_view m, std::initializer_list<LogField> f = {}) {
    log(sdk::LogLevel::debug, m, f);
}

// The logger a plugin instance gets: every line tagged with pipeline, plugin and kind.
std::unique_ptr<sdk::Logger> make_plugin_logger(std::string pipeline, std::string plugin, std::string kind);

}  // namespace junction::core
