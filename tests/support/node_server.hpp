// One of the project's node test servers (tests/servers/*.mjs) as a child process on
// 127.0.0.1: started with --port N (0: the OS picks) and --port-file, its output kept in
// a log file, stopped (SIGTERM, then SIGKILL) in the destructor, never outliving the test
// (PR_SET_PDEATHSIG). Header-only; needs `node` on PATH.
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

class NodeServer {
public:
    // `script` is a file in tests/servers; `name` names it in temp folders and errors.
    NodeServer(std::string script, std::string name) : script_(std::move(script)), name_(std::move(name)) {
        std::random_device rd;
        dir_ = std::filesystem::temp_directory_path() /
               ("junction-" + name_ + "-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
        std::filesystem::create_directories(dir_);
    }
    ~NodeServer() {
        stop(SIGTERM);
        std::error_code ec;
        std::filesystem::remove_all(dir_, ec);
    }
    NodeServer(const NodeServer&) = delete;
    NodeServer& operator=(const NodeServer&) = delete;

    // Starts it on `port` (0: any free one) and waits until it listens.
    void start(int port) {
        const std::string script = std::string(JUNCTION_SOURCE_DIR) + "/tests/servers/" + script_;
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
                    return;
                }
            }
            int status = 0;
            if (::waitpid(pid_, &status, WNOHANG) == pid_) {
                pid_ = -1;
                throw std::runtime_error(name_ + " test server exited at start: " + log_text());
            }
            if (std::chrono::steady_clock::now() > deadline) {
                stop(SIGKILL);
                throw std::runtime_error(name_ + " test server did not start within 20 s: " + log_text());
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }

    // Sends `signal` and reaps it (SIGKILL after 5 s).
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
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        pid_ = -1;
    }

    [[nodiscard]] int port() const noexcept { return port_; }
    [[nodiscard]] bool running() const noexcept { return pid_ > 0; }
    // The server's stdout/stderr so far, for failure messages.
    [[nodiscard]] std::string log_text() const {
        std::ifstream in(dir_ / "server.log");
        return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    }

private:
    std::string script_, name_;
    std::filesystem::path dir_;
    int port_ = 0;
    pid_t pid_ = -1;
};

}  // namespace junction::test
