// The outcome of every plugin call: a category that tells the engine what to do next.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <utility>

#include <boost/config.hpp>

namespace junction::sdk {

enum class Code : unsigned char {
    ok,      // done
    retry,   // transient (network, 408, 429, 5xx, lock timeout): the engine backs off and retries, capped
    reject,  // bad data: this record goes to the dead-letter store with the reason, the batch goes on
    fatal,   // bad credentials, bad config, broken plugin: the pipeline stops with one clear line
};

inline const char* to_string(Code c) noexcept {
    switch (c) {
        case Code::ok:
            return "ok";
        case Code::retry:
            return "retry";
        case Code::reject:
            return "reject";
        case Code::fatal:
            return "fatal";
    }
    return "unknown";
}

class BOOST_SYMBOL_VISIBLE Status {
public:
    Status() = default;

    static Status ok() { return {}; }
    static Status retry(std::string message, std::optional<std::chrono::milliseconds> retry_after = std::nullopt) {
        return Status(Code::retry, std::move(message), retry_after);
    }
    static Status reject(std::string message) { return Status(Code::reject, std::move(message)); }
    static Status fatal(std::string message) { return Status(Code::fatal, std::move(message)); }

    [[nodiscard]] bool is_ok() const noexcept { return code_ == Code::ok; }
    [[nodiscard]] Code code() const noexcept { return code_; }
    [[nodiscard]] const std::string& message() const noexcept { return message_; }
    // A server's hint (Retry-After); the engine waits at least this long before the next attempt.
    [[nodiscard]] std::optional<std::chrono::milliseconds> retry_after() const noexcept { return retry_after_; }

private:
    Status(Code code, std::string message, std::optional<std::chrono::milliseconds> retry_after = std::nullopt)
        : code_(code), message_(std::move(message)), retry_after_(retry_after) {}

    Code code_ = Code::ok;
    std::string message_;
    std::optional<std::chrono::milliseconds> retry_after_;
};

}  // namespace junction::sdk
