// A MongoDB-wire server for tests: starts tests/servers/mongo-server.mjs (in memory,
// unique indexes enforced) on 127.0.0.1 with a port the OS picks, and stops it in the
// destructor. kill() sends SIGKILL; restart() brings it back on the same port (empty).
// When the environment sets MONGO_URI, that real server is used instead: nothing is
// started, external() is true, and tests of kill/restart should skip.
// Header-only; needs `node` on PATH and scripts/install-test-servers.sh run once.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>

#include "node_server.hpp"

namespace junction::test {

class MongoServer {
public:
    MongoServer() {
        if (const char* env = std::getenv("MONGO_URI"); env != nullptr && *env != '\0') {
            uri_ = env;
            return;
        }
        if (!std::filesystem::exists(std::string(JUNCTION_SOURCE_DIR) + "/tests/servers/node_modules/bson"))
            throw std::runtime_error("tests/servers/node_modules is missing: run scripts/install-test-servers.sh");
        server_.emplace("mongo-server.mjs", "mongo");
        start(0);
    }
    MongoServer(const MongoServer&) = delete;
    MongoServer& operator=(const MongoServer&) = delete;

    // True when the tests run against the server named by MONGO_URI.
    [[nodiscard]] bool external() const noexcept { return !server_.has_value(); }
    // mongodb://127.0.0.1:<port> (or MONGO_URI as given).
    [[nodiscard]] const std::string& uri() const noexcept { return uri_; }
    [[nodiscard]] int port() const noexcept { return server_ ? server_->port() : 0; }
    [[nodiscard]] std::string host_port() const { return "127.0.0.1:" + std::to_string(port()); }

    // The server dies at once (SIGKILL), as in a crash; its data is gone.
    void kill() { own("kill").stop(SIGKILL); }
    // Starts it again on the same port, empty.
    void restart() {
        own("restart").stop(SIGTERM);
        start(server_->port());
    }
    [[nodiscard]] bool running() const noexcept { return server_ && server_->running(); }

    // The server's stdout/stderr so far, for failure messages.
    [[nodiscard]] std::string log_text() const { return server_ ? server_->log_text() : std::string(); }

private:
    NodeServer& own(const char* what) {
        if (external()) throw std::logic_error(std::string("MongoServer::") + what + " with MONGO_URI set");
        return *server_;
    }
    void start(int port) {
        server_->start(port);
        uri_ = "mongodb://" + host_port();
    }

    std::optional<NodeServer> server_;  // empty when MONGO_URI names the server
    std::string uri_;
};

}  // namespace junction::test
