// What an HTTP exchange's outcome means for the caller (services.hpp's classification),
// how long to wait before the next attempt, and the words messages use for a status.
// Pure functions, tested without a server.
#pragma once

#include <chrono>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include <curl/curl.h>

namespace junction::services::detail {

enum class Verdict : unsigned char {
    ok,            // 2xx (and 304: a conditional request's answer)
    transient,     // 408, 425, 429, 5xx, a transport error: try again within the call
    unauthorized,  // 401: refresh the credentials and replay once
    reject,        // any other 4xx, an unexpected 3xx, a response too large
    fatal,         // a request that can never work as written (TLS refused, bad URL)
};

[[nodiscard]] Verdict classify_status(long status) noexcept;
[[nodiscard]] Verdict classify_transport(CURLcode code) noexcept;

// Whether a request whose attempt failed transiently may be sent again within the call.
// A method that is idempotent (GET, HEAD, OPTIONS, PUT, DELETE), or a request that
// carries an Idempotency-Key header, always may. Others (POST, PATCH) only when the
// server cannot have acted on the request: no connection was made (name resolution,
// connect) or the server refused it unprocessed (425, 429, 503). A POST whose answer was
// lost (a timeout, 500, 502, 504) is not resent blindly: the caller decides (the engine's
// retry sends it again only because writers are idempotent by contract).
[[nodiscard]] bool may_resend(std::string_view method, bool has_idempotency_key, long status, CURLcode code) noexcept;

// "503 Service Unavailable"; "599" for codes without a well-known phrase.
[[nodiscard]] std::string status_text(long status);

// A Retry-After value, delta-seconds or an HTTP-date (read against `now`), as a wait;
// nothing when it is neither. A date in the past is a wait of zero.
[[nodiscard]] std::optional<std::chrono::milliseconds> parse_retry_after(std::string_view value,
                                                                         std::chrono::system_clock::time_point now);

// Full jitter (AWS Architecture Blog, "Exponential Backoff And Jitter"): uniform in
// [0, min(cap, initial * 2^(failures-1))], so many clients refused at once spread out.
[[nodiscard]] std::chrono::milliseconds full_jitter_backoff(int failures, std::chrono::milliseconds initial,
                                                            std::chrono::milliseconds cap, std::mt19937_64& random);

}  // namespace junction::services::detail
