// A MongoDB-wire server for tests: starts tests/servers/mongo-server.mjs (in memory,
// unique indexes enforced) on 127.0.0.1 with a port the OS picks, and stops it in the
// destructor. kill() sends SIGKILL; restart() brings it back on the same port (empty).
// When the environment sets MONGO_URI, that real server is used instead: nothing is
// started, external() is true, and tests of kill/restart should skip.
// Header-only; needs `node` on PATH and scripts/install-test-servers.sh run once.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>

#ifndef JUNCTION_SOURCE_DIR
#error "JUNCTION_SOURCE_DIR must name the source tree (junction_add_test defines it)"
#endif

namespace junction::test {

class MongoServer {
public:
    MongoServer() {
        if (const char* env = std::getenv("MONGO_URI"); env != nullptr && *env != '\0') {
            uri_ = env;
            return;
        }
        std::random_device rd;
        dir_ = std::filesystem::temp_directory_path() /
               ("junction-mongo-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
        std::filesystem::create_directories(dir_);
        start(0);
    }
    ~MongoServer() {
        stop(SIGTERM);
        if (!dir_.empty()) {
            std::error_code ec;
            std::filesystem::remove_all(dir_, ec);
        }
    }
    MongoServer(const MongoServer&) = delete;
    MongoServer& operator=(const MongoServer&) = delete;

    // True when the tests run against the server named by MONGO_URI.
    [[nodiscard]] bool external() const noexcept { return dir_.empty(); }
    // mongodb://127.0.0.1:<port> (or MONGO_URI as given).
    [[nodiscard]] const std::string& uri() const noexcept { return uri_; }
    [[nodiscard]] int port() const noexcept { return port_; }
    [[nodiscard]] std::string host_port() const { return "127.0.0.1:" + std::to_string(port_); }

    // The server dies at once (SIGKILL), as in a crash; its data is gone.
    void kill() {
        require_own("kill");
        stop(SIGKILL);
    }
    // Starts it again on the same port, empty.
    void restart() {
        require_own("restart");
        stop(SIGTERM);
        start(port_);
    }
    [[nodiscard]] bool running() const noexcept { return pid_ > 0; }

    // The server's stdout/stderr so far, for failure messages.
    [[nodiscard]] std::string log_text() const {
        std::ifstream in(dir_ / "server.log");
        return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    }

private:
    void require_own(const char* what) const {
        if (external()) throw std::logic_error(std::string("MongoServer::") + what + " with MONGO_URI set");
    }

    void start(int port) {
        const std::string script = std::string(JUNCTION_SOURCE_DIR) + "/tests/servers/mongo-server.mjs";
        if (!std::filesystem::exists(std::string(JUNCTION_SOURCE_DIR) + "/tests/servers/node_modules/bson"))
            throw std::runtime_error("tests/servers/node_modules is missing: run scripts/install-test-servers.sh");
        const auto port_file = dir_ / "port";
        std::filesystem::remove(port_file);
        const std::string log = (dir_ / "server.log").string();
        const std::string port_arg = std::to_string(port);
        const std::string port_file_arg = port_file.string();
        const pid_t pid = ::fork();
        if (pid < 0) throw std::runtime_error("fork failed");
        if (pid == 0) {
#ifdef __linux__
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);  // a crashed test leaves no server behind
#endif
            const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
            if (fd >= 0) {
                ::dup2(fd, 1);
                ::dup2(fd, 2);
                ::close(fd);
            }
            ::execlp("node", "node", script.c_str(), "--port", port_arg.c_str(), "--port-file", port_file_arg.c_str(),
                     static_cast<char*>(nullptr));
            ::_exit(127);
        }
        pid_ = pid;
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        for (;;) {
            if (std::filesystem::exists(port_file)) {
                std::ifstream in(port_file);
                int p = 0;
                if (in >> p && p > 0) {
                    port_ = p;
                    break;
                }
            }
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                throw std::runtime_error("mongo test server exited at start: " + log_text());
            }
            if (std::chrono::steady_clock::now() > deadline) {
                stop(SIGKILL);
                throw std::runtime_error("mongo test server did not start within 20 s: " + log_text());
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        uri_ = "mongodb://" + host_port();
    }

    void stop(int signal) noexcept {
        if (pid_ <= 0) return;
        ::kill(pid_, signal);
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        int status = 0;
        while (::waitpid(pid_, &status, WNOHANG) == 0) {
            if (std::chrono::steady_clock::now() > deadline) {
                ::kill(pid_, SIGKILL);
                ::waitpid(pid_, &status, 0);
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        pid_ = -1;
    }

    std::filesystem::path dir_;
    std::string uri_;
    int port_ = 0;
    pid_t pid_ = -1;
};

}  // namespace junction::test
