// A scripted HTTP server for tests: starts tests/servers/http-server.mjs (node's http
// module, no npm packages) on 127.0.0.1 with a port the OS picks, and stops it in the
// destructor. Its routes (status codes, Retry-After, gzip, redirects, slow answers,
// echo, an OAuth2 token endpoint) are listed at the top of the script.
// Header-only; needs `node` on PATH. Started the same way as MongoServer.
#pragma once

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <chrono>
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

class HttpServer {
public:
    // What the server's OAuth2 token endpoint accepts.
    static constexpr const char* client_id = "junction-client";
    static constexpr const char* client_secret = "client-s3cret-value";
    static constexpr const char* initial_refresh_token = "rt-initial-secret";

    HttpServer() {
        std::random_device rd;
        dir_ = std::filesystem::temp_directory_path() /
               ("junction-http-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
        std::filesystem::create_directories(dir_);
        start();
    }
    ~HttpServer() {
        stop();
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    [[nodiscard]] int port() const noexcept { return port_; }
    // http://127.0.0.1:<port><path>
    [[nodiscard]] std::string url(const std::string& path = "") const {
        return "http://127.0.0.1:" + std::to_string(port_) + path;
    }

    // The server's stdout/stderr so far, for failure messages.
    [[nodiscard]] std::string log_text() const {
        std::ifstream in(dir_ / "server.log");
        return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    }

private:
    void start() {
        const std::string script = std::string(JUNCTION_SOURCE_DIR) + "/tests/servers/http-server.mjs";
        const auto port_file = dir_ / "port";
        const std::string log = (dir_ / "server.log").string();
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
            ::execlp("node", "node", script.c_str(), "--port", "0", "--port-file", port_file_arg.c_str(),
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
                    return;
                }
            }
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                throw std::runtime_error("http test server exited at start: " + log_text());
            }
            if (std::chrono::steady_clock::now() > deadline) {
                stop();
                throw std::runtime_error("http test server did not start within 20 s: " + log_text());
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }

    void stop() noexcept {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGTERM);
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
        int status = 0;
        while (::waitpid(pid_, &status, WNOHANG) == 0) {
            if (std::chrono::steady_clock::now() > deadline) {
                ::kill(pid_, SIGKILL);
                ::waitpid(pid_, &status, 0);
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        pid_ = -1;
    }

    std::filesystem::path dir_;
    int port_ = 0;
    pid_t pid_ = -1;
};

}  // namespace junction::test
