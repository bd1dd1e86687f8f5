// The config's `connections` entries: each type's options declared as an OptionSchema (so
// the host validates them like a plugin's, and redacts the secret ones), and the typed
// settings read from options that were validated against it.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include <junction/sdk/options.hpp>
#include <junction/sdk/status.hpp>

namespace junction::services {

// A static key, sent as a header (default X-API-Key) or, when query_param is set, as
// that query parameter. A prefix is joined with one space: "Token <key>".
struct ApiKeyConnection {
    std::string key;
    std::string header = "X-API-Key";
    std::string query_param = {};
    std::string prefix = {};
};

struct BearerConnection {
    std::string token;
};

struct BasicConnection {
    std::string username;
    std::string password;
};

// How the client authenticates to the token endpoint (RFC 6749 section 2.3.1).
enum class ClientAuthStyle : unsigned char { body, header };

// The refresh_token grant when a refresh token is configured (or was persisted), else
// client_credentials.
struct OAuth2Connection {
    std::string token_url;
    std::string client_id;
    std::string client_secret;
    std::string refresh_token = {};
    std::vector<std::string> scopes = {};
    std::string audience = {};
    ClientAuthStyle auth_style = ClientAuthStyle::body;
    std::chrono::seconds refresh_before{60};  // renew this long before the token expires
};

// No credentials: a connection for an open API, there for its rate limit.
struct NoneConnection {};

// A connection's client-side budget (rate_budget.hpp); zero: no bound of that kind.
struct RateLimit {
    double requests_per_second = 0;
    double burst = 0;                // tokens the bucket holds: requests at once after a quiet spell
    std::size_t max_concurrent = 0;  // requests in flight at once
};

struct ConnectionConfig {
    std::string name;
    std::variant<ApiKeyConnection, BearerConnection, BasicConnection, OAuth2Connection, NoneConnection> settings;
    RateLimit rate_limit = {};
};

// "api_key", "bearer", "basic", "oauth2", "none".
[[nodiscard]] const std::vector<std::string>& connection_types();

// The options of one connection entry of that type, `type` itself included (required,
// that one value), so an entry validates as a whole; nothing for an unknown type.
[[nodiscard]] std::optional<sdk::OptionSchema> connection_schema(std::string_view type);

// The typed settings of connection `name` from its validated options (`type` included).
// fatal, naming the connection: an unknown type, or what a schema cannot say.
[[nodiscard]] sdk::Status parse_connection(std::string_view name, const sdk::Options& options, ConnectionConfig& out);

// What the schema cannot say about validated options, each as (the path below the
// connection, the problem): {"rate_limit.requests_per_second", "must be > 0, got 0"}.
struct ConnectionProblem {
    std::string path;
    std::string message;
};
[[nodiscard]] std::vector<ConnectionProblem> connection_problems(const sdk::Options& options);

}  // namespace junction::services
