// A NATS server with JetStream for tests, as child processes on 127.0.0.1: one node (the
// OS picks its port, read back from the ports file) or a cluster of N nodes whose client
// and route ports are free loopback ports, with their data in a temporary folder. Nodes
// can be killed, paused (SIGSTOP) and restarted on the same ports with their data; all
// are stopped in the destructor and never outlive the test (PR_SET_PDEATHSIG).
// Header-only; needs Debian's nats-server (scripts/setup.sh installs it).
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
#include <regex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "free_port.hpp"
#include "temp_dir.hpp"

namespace junction::test {

inline std::string nats_server_binary() {
    for (const char* p : {"/usr/sbin/nats-server", "/usr/bin/nats-server", "/usr/local/bin/nats-server"})
        if (std::filesystem::exists(p)) return p;
    throw std::runtime_error("nats-server is not installed: run scripts/setup.sh");
}

class NatsServer {
public:
    // `extra`: more nats-server arguments for every node (e.g. {"--auth", "token"}).
    explicit NatsServer(int nodes = 1, std::vector<std::string> extra = {})
        : nodes_(static_cast<std::size_t>(nodes)), extra_(std::move(extra)) {
        for (std::size_t i = 0; i < nodes_.size(); ++i) {
            auto& n = nodes_[i];
            n.dir = tmp_.path() / ("n" + std::to_string(i + 1));
            std::filesystem::create_directories(n.dir);
            if (nodes > 1) {
                n.client_port = free_loopback_port();
                n.cluster_port = free_loopback_port();
            }
        }
        for (std::size_t i = 0; i < nodes_.size(); ++i)
            start(i);
        if (nodes > 1) wait_for_cluster();
    }
    ~NatsServer() {
        for (std::size_t i = 0; i < nodes_.size(); ++i)
            stop(i, SIGKILL);
    }
    NatsServer(const NatsServer&) = delete;
    NatsServer& operator=(const NatsServer&) = delete;

    [[nodiscard]] std::size_t size() const noexcept { return nodes_.size(); }
    // nats://127.0.0.1:<port> of each node.
    [[nodiscard]] std::vector<std::string> urls() const {
        std::vector<std::string> out;
        for (const auto& n : nodes_)
            out.push_back("nats://127.0.0.1:" + std::to_string(n.client_port));
        return out;
    }
    [[nodiscard]] std::string url(std::size_t node = 0) const { return urls().at(node); }
    [[nodiscard]] int port(std::size_t node = 0) const { return nodes_.at(node).client_port; }

    void kill(std::size_t node) { stop(node, SIGKILL); }
    void pause(std::size_t node) const { ::kill(nodes_.at(node).pid, SIGSTOP); }
    void resume(std::size_t node) const { ::kill(nodes_.at(node).pid, SIGCONT); }
    // Starts a stopped node again, on its ports, with its data.
    void restart(std::size_t node) {
        stop(node, SIGTERM);
        start(node);
    }
    [[nodiscard]] bool running(std::size_t node) const { return nodes_.at(node).pid > 0; }
    [[nodiscard]] std::string log_text(std::size_t node = 0) const {
        std::ifstream in(nodes_.at(node).dir / "server.log");
        return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    }

private:
    struct Node {
        std::filesystem::path dir;
        int client_port = 0;
        int cluster_port = 0;
        pid_t pid = -1;
    };

    void start(std::size_t i) {
        auto& n = nodes_[i];
        const bool cluster = nodes_.size() > 1;
        std::vector<std::string> args{nats_server_binary(), "-a",  "127.0.0.1",
                                      "-p",                 cluster ? std::to_string(n.client_port) : (n.client_port > 0 ? std::to_string(n.client_port) : "-1"),
                                      "-js",                "-sd", (n.dir / "data").string(),
                                      "--server_name",      "n" + std::to_string(i + 1),
                                      "--ports_file_dir",   n.dir.string()};
        if (cluster) {
            std::string routes;
            for (std::size_t j = 0; j < nodes_.size(); ++j)
                if (j != i)
                    routes += (routes.empty() ? "" : ",") + std::string("nats://127.0.0.1:") +
                              std::to_string(nodes_[j].cluster_port);
            args.insert(args.end(), {"--cluster_name", "junction-test", "--cluster",
                                     "nats://127.0.0.1:" + std::to_string(n.cluster_port), "--routes", routes});
        }
        args.insert(args.end(), extra_.begin(), extra_.end());
        for (const auto& e : std::filesystem::directory_iterator(n.dir))
            if (e.path().extension() == ".ports") std::filesystem::remove(e.path());
        const auto log = (n.dir / "server.log").string();
        const pid_t pid = ::fork();
        if (pid < 0) throw std::runtime_error("fork failed");
        if (pid == 0) {
#ifdef __linux__
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
            const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
            if (fd >= 0) {
                ::dup2(fd, 1);
                ::dup2(fd, 2);
                ::close(fd);
            }
            std::vector<char*> argv;
            for (auto& a : args)
                argv.push_back(a.data());
            argv.push_back(nullptr);
            ::execv(argv[0], argv.data());
            ::_exit(127);
        }
        n.pid = pid;
        // Ready when its ports file names the client port.
        const std::regex port_re(R"(nats://127\.0\.0\.1:(\d+))");
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        for (;;) {
            for (const auto& e : std::filesystem::directory_iterator(n.dir)) {
                if (e.path().extension() != ".ports") continue;
                std::ifstream in(e.path());
                const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
                std::smatch m;
                if (std::regex_search(text, m, port_re)) {
                    n.client_port = std::stoi(m[1].str());
                    return;
                }
            }
            int status = 0;
            if (::waitpid(n.pid, &status, WNOHANG) == n.pid) {
                n.pid = -1;
                throw std::runtime_error("nats-server exited at start: " + log_text(i));
            }
            if (std::chrono::steady_clock::now() > deadline) {
                stop(i, SIGKILL);
                throw std::runtime_error("nats-server did not start within 20 s: " + log_text(i));
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }

    // A cluster takes JetStream requests once it elected a metadata leader.
    void wait_for_cluster() const {
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        while (std::chrono::steady_clock::now() < deadline) {
            for (std::size_t i = 0; i < nodes_.size(); ++i)
                if (log_text(i).find("metadata leader") != std::string::npos) return;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        throw std::runtime_error("the nats cluster elected no JetStream leader within 30 s: " + log_text(0));
    }

    void stop(std::size_t i, int signal) noexcept {
        auto& n = nodes_[i];
        if (n.pid <= 0) return;
        ::kill(n.pid, SIGCONT);  // a paused node cannot handle SIGTERM
        ::kill(n.pid, signal);
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        int status = 0;
        while (::waitpid(n.pid, &status, WNOHANG) == 0) {
            if (std::chrono::steady_clock::now() > deadline) {
                ::kill(n.pid, SIGKILL);
                ::waitpid(n.pid, &status, 0);
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        n.pid = -1;
    }

    TempDir tmp_;
    std::vector<Node> nodes_;
    std::vector<std::string> extra_;
};

}  // namespace junction::test
