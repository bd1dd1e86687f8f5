// The config file's `http` section: where the host's HTTP server listens, its limits,
// its API keys (by reference to the environment or a file, never inline) and the store
// collections it serves read-only.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <junction/core/config.hpp>
#include <junction/core/identity.hpp>
#include <junction/core/json_schema.hpp>
#include <junction/core/sum_check.hpp>

namespace junction::http {

// What a key may do. Each scope includes the ones before it: operate can read, admin can
// operate. `none` marks an endpoint that needs no key.
enum class Scope : unsigned char { none, read, operate, admin };
const char* to_string(Scope s) noexcept;
std::optional<Scope> parse_scope(std::string_view text);

struct ApiKeyConfig {
    std::string id;                    // shown in logs and the access log, never the key
    std::string env;                   // the environment variable holding the key, or
    std::filesystem::path file;        // the file holding it (mode 0600 or narrower)
    Scope scope = Scope::read;
    std::string path;                  // "http.api_keys[0]"
};

struct TlsConfig {
    std::filesystem::path cert_file;  // PEM certificate chain
    std::filesystem::path key_file;   // PEM private key
};

struct HttpLimits {
    std::size_t max_body_bytes = 1 << 20;
    std::size_t max_header_bytes = 16 * 1024;
    // From a request's first byte to the end of its header, and then to the end of its
    // body: a client that sends slower than this is answered 408 and closed.
    std::chrono::milliseconds header_timeout{10000};
    std::chrono::milliseconds body_timeout{30000};
    // How long a kept-alive connection may wait for its next request.
    std::chrono::milliseconds idle_timeout{60000};
    // Past this many open connections a new one is closed at once.
    std::size_t max_connections = 10000;
};

// A store collection served read-only: GET <path> (a page: limit, after, filters) and
// GET <path>/{id}.
struct CollectionConfig {
    std::string path;  // "/contacts"
    std::string plugin;
    boost::json::object options;        // the plugin's collection options
    std::vector<std::string> filters;   // the fields a query may filter on (equality)
    // The entity's id field: GET <path>/{id} finds the item whose field equals it (as a
    // string, else as a whole number). Empty: the store's own document id.
    std::string id_field;
    std::vector<std::string> fields;    // the fields served (empty: the whole document)
    std::size_t default_limit = 50;
    std::size_t max_limit = 500;
    std::chrono::milliseconds cache_ttl{30000};  // 0: no cache
    Scope scope = Scope::read;
    std::string config_path;  // "http.collections[0]"
};

// An intake endpoint: POST /api/v1/submissions/<route> takes JSON payloads that pass
// `schema` and `checks`, stored once per identity by the store plugin's intake component
// (with an outbox row, in one transaction); GET /api/v1/submissions/<route>/{id} looks one up.
struct SubmissionRouteConfig {
    std::string route;  // "formulas"
    std::string plugin;
    boost::json::object options;           // the plugin's intake options
    std::optional<core::JsonSchema> schema;   // from "schema" or "schema_file"; none: any JSON object
    std::optional<core::IdentitySpec> identity;  // none: the whole payload ("exact")
    std::vector<core::SumCheck> checks;
    std::chrono::seconds idempotency_window{86400};  // how long an Idempotency-Key is remembered
    bool require_idempotency_key = false;             // 400 for a POST without one
    Scope scope = Scope::operate;     // for POST
    Scope read_scope = Scope::read;   // for GET
    std::string config_path;  // "http.submissions[0]"
};

struct HttpConfig {
    std::string address = "127.0.0.1";
    unsigned short port = 8080;  // 0: any free port (see port_file)
    std::filesystem::path port_file;  // written with the bound port once listening
    std::optional<TlsConfig> tls;
    HttpLimits limits;
    std::vector<ApiKeyConfig> api_keys;
    // Endpoints answered without a key: any of "health", "ready", "metrics", "status_page".
    std::vector<std::string> open = {"health", "ready", "status_page"};
    std::vector<CollectionConfig> collections;
    std::vector<SubmissionRouteConfig> submissions;
    std::size_t workers = 4;  // threads that run handlers (store reads, replays)
    // How many nice steps below the pipelines the server's threads run (0: the same):
    // under load on a busy CPU, the API yields to the pipelines.
    int nice = 5;
    bool access_log = true;   // one line per request

    [[nodiscard]] bool is_open(std::string_view endpoint) const;
    [[nodiscard]] bool loopback_only() const;
};

// Parses and checks the section; every problem goes to `errors` with its path
// ("http.limits.max_body_bytes: ..."). Relative files resolve against base_dir.
HttpConfig parse_http_config(const boost::json::value& section, const std::filesystem::path& base_dir,
                             std::vector<core::ConfigError>& errors);

}  // namespace junction::http
