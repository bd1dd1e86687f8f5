// The host's embedded HTTP/1.1 server (Boost.Beast): one I/O thread for every
// connection (slow and idle clients cost a socket, not a thread), handlers on a small
// pool of workers (store reads and replays may block), limits on header and body sizes
// and times, optional TLS, one access-log line per request.
#pragma once

#include <memory>

#include <junction/core/metrics.hpp>

#include "api_keys.hpp"
#include "http_config.hpp"
#include "router.hpp"

namespace junction::http {

class Server {
public:
    // The config, router and keyring must outlive the server; metrics may be null.
    Server(const HttpConfig& config, const Router& router, const ApiKeyring& keys, core::MetricRegistry* metrics);
    ~Server();
    Server(const Server&) = delete;
    Server& operator=(const Server&) = delete;

    // Binds, writes the port file, and serves on a thread of its own. Throws
    // std::runtime_error with one line (address and reason) when it cannot.
    void start();
    // Stops accepting, closes every connection, waits for the handlers in flight.
    void stop();
    [[nodiscard]] unsigned short port() const noexcept;

    struct Impl;  // public for the connection classes in server.cpp

private:
    std::unique_ptr<Impl> impl_;
};

// What the server answers to one request given as raw bytes, without a socket (the
// fuzz target and the parser's unit tests): the parse, the limits, the routing.
Response handle_raw_request(std::string_view bytes, const HttpConfig& config, const Router& router,
                            const ApiKeyring& keys);

}  // namespace junction::http
