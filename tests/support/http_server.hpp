// A scripted HTTP server for tests: starts tests/servers/http-server.mjs (node's http
// module, no npm packages) on 127.0.0.1 with a port the OS picks, and stops it in the
// destructor. Its routes (status codes, Retry-After, gzip, redirects, slow answers,
// echo, an OAuth2 token endpoint) are listed at the top of the script.
// Header-only; needs `node` on PATH. Started the same way as MongoServer.
#pragma once

#include <string>

#include "node_server.hpp"

namespace junction::test {

class HttpServer {
public:
    // What the server's OAuth2 token endpoint accepts.
    static constexpr const char* client_id = "junction-client";
    static constexpr const char* client_secret = "client-s3cret-value";
    static constexpr const char* initial_refresh_token = "rt-initial-secret";

    HttpServer() { server_.start(0); }

    [[nodiscard]] int port() const noexcept { return server_.port(); }
    // http://127.0.0.1:<port><path>
    [[nodiscard]] std::string url(const std::string& path = "") const {
        return "http://127.0.0.1:" + std::to_string(port()) + path;
    }
    // The server's stdout/stderr so far, for failure messages.
    [[nodiscard]] std::string log_text() const { return server_.log_text(); }

private:
    NodeServer server_{"http-server.mjs", "http"};
};

}  // namespace junction::test
