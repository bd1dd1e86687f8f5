// What the host hands a plugin instance in open(): its validated options, a logger
// tagged with pipeline/plugin/instance, a state store scoped to it, and the stop token.
// The host implements these; plugins only call them. Appending a virtual at the end
// is a minor ABI bump (plugins never derive from these classes).
#pragma once

#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

#include <boost/config.hpp>

#include "options.hpp"

namespace junction::sdk {

enum class LogLevel : unsigned char { trace, debug, info, warning, error };

class BOOST_SYMBOL_VISIBLE Logger {
public:
    virtual ~Logger() = default;
    // One line for people; the host adds time, level, pipeline and plugin, and renders
    // it as text or as a JSON line. Never pass secrets.
    virtual void write(LogLevel level, std::string_view message) noexcept = 0;
    [[nodiscard]] virtual bool enabled(LogLevel level) const noexcept = 0;

    void debug(std::string_view m) noexcept { write(LogLevel::debug, m); }
    void info(std::string_view m) noexcept { write(LogLevel::info, m); }
    void warn(std::string_view m) noexcept { write(LogLevel::warning, m); }
    void error(std::string_view m) noexcept { write(LogLevel::error, m); }
};

// Durable key/value state private to one plugin instance of one pipeline (cursors,
// tokens' expiry, watermarks). Writes are durable when put() returns.
class BOOST_SYMBOL_VISIBLE KeyValueStore {
public:
    virtual ~KeyValueStore() = default;
    [[nodiscard]] virtual std::optional<std::string> get(std::string_view key) = 0;
    virtual void put(std::string_view key, std::string_view value) = 0;
    virtual void erase(std::string_view key) = 0;
};

class BOOST_SYMBOL_VISIBLE Context {
public:
    virtual ~Context() = default;
    [[nodiscard]] virtual const Options& options() const noexcept = 0;
    [[nodiscard]] virtual Logger& log() noexcept = 0;
    [[nodiscard]] virtual KeyValueStore& state() noexcept = 0;
    // Set when the host is stopping; long waits in a plugin should watch it.
    [[nodiscard]] virtual std::stop_token stop_token() const noexcept = 0;
    [[nodiscard]] virtual std::string_view pipeline() const noexcept = 0;
    // Readers: the position of the last record the engine committed (after the writer
    // acknowledged it), or nothing on a first run. Resume after it.
    [[nodiscard]] virtual std::optional<std::string> committed_position() const = 0;
    // The folder of the config file: relative paths in options resolve against it.
    [[nodiscard]] virtual std::string_view base_dir() const noexcept = 0;
};

}  // namespace junction::sdk
