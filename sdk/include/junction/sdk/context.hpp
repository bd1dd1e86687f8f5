// What the host hands a component in open(): its validated options, a logger tagged with
// pipeline/plugin/kind, a state store scoped to it, the stop signal, the committed
// positions of a reader, and the host services (services.hpp). The host implements
// these classes; plugins only call them, so appending a virtual at the end is a minor
// ABI bump (a plugin built for an older minor never calls what it did not know).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include <boost/config.hpp>

#include "options.hpp"
#include "services.hpp"

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

// Durable key/value state private to one component of one pipeline (watermarks, a
// token's expiry). Writes are durable when put() returns; a failing store throws
// (std::exception), which the SDK's glue turns into fatal. Positions are not kept here:
// the engine owns them (Context::committed()).
class BOOST_SYMBOL_VISIBLE KeyValueStore {
public:
    virtual ~KeyValueStore() = default;
    [[nodiscard]] virtual std::optional<std::string> get(std::string_view key) = 0;
    virtual void put(std::string_view key, std::string_view value) = 0;
    virtual void erase(std::string_view key) = 0;
};

// A reader's committed positions: partition -> offset of the last record the engine
// committed in it. The default partition is "".
using Positions = std::map<std::string, std::string, std::less<>>;

class BOOST_SYMBOL_VISIBLE Context {
public:
    virtual ~Context() = default;

    // ---- since ABI 2.0
    [[nodiscard]] virtual const Options& options() const noexcept = 0;
    [[nodiscard]] virtual Logger& log() noexcept = 0;
    [[nodiscard]] virtual KeyValueStore& state() noexcept = 0;
    // The one stop signal; Clock::sleep_for and the HttpClient wake on it. For a reader it
    // is set when the host stops (the run drains: read() returns soon and reads no more)
    // or the run fails elsewhere. For translators and writers only when the run fails: a
    // host stop lets them finish the batches in flight.
    [[nodiscard]] virtual bool stop_requested() const noexcept = 0;
    [[nodiscard]] virtual std::string_view pipeline() const noexcept = 0;
    // The folder of the config file (path options already arrive resolved against it).
    [[nodiscard]] virtual std::string_view base_dir() const noexcept = 0;
    // Readers: every partition's committed offset, as of open(). Resume after them.
    [[nodiscard]] virtual const Positions& committed() const noexcept = 0;
    // Readers: the source of this partition is gone for good (the file was moved or
    // deleted, the stream closed): its position is dropped, so the positions kept stay
    // as many as the live partitions. Call it only after the source was released and
    // never for a partition with records in flight. Applied with the engine's next commit
    // (one transaction for many); a crash may lose it, so open() should also drop the
    // positions of partitions whose source is gone (the files reader does).
    virtual void drop_position(std::string_view partition) = 0;

    // ---- since ABI 2.1: the host services
    [[nodiscard]] virtual HttpClient& http() noexcept = 0;
    [[nodiscard]] virtual Credentials& credentials() noexcept = 0;
    [[nodiscard]] virtual Metrics& metrics() noexcept = 0;
    [[nodiscard]] virtual Clock& clock() noexcept = 0;

    // ---- since ABI 2.2
    // Writers to an external ingestion API record each push there (services.hpp).
    [[nodiscard]] virtual PushLog& pushes() noexcept = 0;

    // The committed offset of one partition, or nothing on its first run.
    [[nodiscard]] std::optional<std::string> committed_position(std::string_view partition = {}) const {
        const auto& all = committed();
        const auto it = all.find(partition);
        if (it == all.end()) return std::nullopt;
        return it->second;
    }
};

}  // namespace junction::sdk
