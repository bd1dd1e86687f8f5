// Where a connection's current refresh token is kept across restarts. An authorization
// server that rotates refresh tokens revokes the old one when it issues the new one, so
// the new one must be durable before it is used, or a crash loses the connection.
// The host implements it on its state store; tests use an in-memory one.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace junction::services {

// Thrown by get() when a value is stored but cannot be used (encrypted with a key that
// is gone): the session warns with what() and falls back to the config's refresh token.
// what() names the connection and never holds the value.
class StoredTokenUnreadable : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

class TokenStore {
public:
    virtual ~TokenStore() = default;
    // The refresh token last put for this connection; nothing if none was.
    [[nodiscard]] virtual std::optional<std::string> get(std::string_view connection) = 0;
    // Durable when it returns; throws when it cannot be.
    virtual void put(std::string_view connection, std::string_view refresh_token) = 0;
};

}  // namespace junction::services
