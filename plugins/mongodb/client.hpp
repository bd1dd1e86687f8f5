// The connection to MongoDB shared by the reader and the writer: a libmongoc client pool
// (which reconnects by itself), ping, and the mapping of driver errors to statuses:
// network and server selection -> retry, authentication and bad URIs -> fatal. Messages
// name host:port, never the URI or its password.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <mongoc/mongoc.h>
#include <junction/sdk/sdk.hpp>

#include "mongodb_config.hpp"

namespace junction::mongodb {

// Initializes libmongoc once per process (mongoc_cleanup is never called: another
// instance, or another plugin, may still use the driver).
void ensure_driver_initialized();

// `message` with the URI and its password (raw and percent-decoded) replaced by "***".
std::string redact_uri_secrets(std::string message, const std::string& uri);

// The parsed URI, or nullptr with `problem` set ("not a valid MongoDB URI: ...", never
// its password). The caller destroys it.
mongoc_uri_t* parse_uri(const std::string& uri, std::string& problem);

// Why the URI cannot be used, or empty: the config check behind `junction validate`.
std::string uri_problem(const std::string& uri);

// "host:port" (comma-separated for several hosts) for log lines and errors.
std::string endpoint_of(const mongoc_uri_t* uri);

// How a driver error should be met. `prefix` is "mongodb <host:port>".
sdk::Status classify_error(const bson_error_t& error, const std::string& prefix);

// "a_1_b_1": the index name MongoDB gives an ascending index on these fields.
std::string index_name(const std::vector<std::string>& keys);

// True for server error codes that a retry can cure (primary stepped down, shutdown,
// network timeout, lock busy...).
bool is_transient_server_code(std::uint32_t code);

class Client {
public:
    // Parses the URI (fatal when it is bad) and creates the pool; no I/O yet.
    static sdk::Status create(const CommonConfig& config, sdk::Logger& log, std::unique_ptr<Client>& out);
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    // Reaches the server within the timeout: retry when it is unreachable.
    sdk::Status ping();

    // One pooled connection and the configured collection, for the length of one call.
    class Lease {
    public:
        explicit Lease(Client& owner);
        ~Lease();
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        [[nodiscard]] mongoc_client_t* client() const noexcept { return client_; }
        [[nodiscard]] mongoc_collection_t* collection() const noexcept { return collection_; }

    private:
        Client& owner_;
        mongoc_client_t* client_;
        mongoc_collection_t* collection_;
        const Client* previous_;
    };

    [[nodiscard]] sdk::Status status_of(const bson_error_t& error, std::string_view what = {}) const;
    // A unique index on these fields of `collection` (named `name` in messages), created
    // if missing: fatal when the stored documents already break it.
    sdk::Status ensure_unique_index(mongoc_collection_t* collection, const std::string& name,
                                    const std::vector<std::string>& keys);
    [[nodiscard]] std::string redact(std::string message) const {
        return redact_uri_secrets(std::move(message), uri_text_);
    }
    [[nodiscard]] const std::string& endpoint() const noexcept { return endpoint_; }
    [[nodiscard]] const std::string& prefix() const noexcept { return prefix_; }  // "mongodb <host:port>"
    [[nodiscard]] sdk::Logger& log() const noexcept { return log_; }
    [[nodiscard]] const CommonConfig& config() const noexcept { return config_; }

private:
    Client(const CommonConfig& config, sdk::Logger& log, mongoc_client_pool_t* pool, std::string endpoint);

    CommonConfig config_;
    sdk::Logger& log_;
    mongoc_client_pool_t* pool_;
    std::string uri_text_;
    std::string endpoint_;
    std::string prefix_;
};

}  // namespace junction::mongodb
