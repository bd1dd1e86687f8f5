// `junction run CONFIG` (the daemon) in the background for HTTP tests: started with the
// given environment, waited for until it writes its http.port_file ("port" beside the
// config), and stopped with SIGTERM when the test ends. Uses doctest's REQUIRE.
#pragma once

#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "http_client.hpp"
#include "subprocess.hpp"

namespace junction::test {

class JunctionDaemon {
public:
    // `env`: "NAME=value ..." put before the command; the config's folder holds "port".
    // `run_args`: more options of `junction run` (e.g. "--test-fault kill_after_submit").
    JunctionDaemon(const std::filesystem::path& config, const std::string& env, const std::string& run_args = "")
        : dir_(config.parent_path()) {
        process_ = std::make_unique<Background>("env " + env + " " + JUNCTION_BIN + " --plugin-dir " +
                                                    JUNCTION_PLUGIN_DIR + " run " + sh_quote(config.string()) +
                                                    (run_args.empty() ? "" : " " + run_args),
                                                dir_ / "out.log", dir_ / "err.log");
        REQUIRE_MESSAGE(eventually([&] { return std::filesystem::exists(dir_ / "port"); }), log());
        port_ = std::stoi(read_file(dir_ / "port"));
    }
    ~JunctionDaemon() { stop(); }
    JunctionDaemon(const JunctionDaemon&) = delete;
    JunctionDaemon& operator=(const JunctionDaemon&) = delete;

    // SIGTERM, then its exit code (-1 when it did not end within 20 s).
    int stop() {
        if (!process_) return exit_code_;
        process_->signal(SIGTERM);
        exit_code_ = process_->wait(std::chrono::seconds(20));
        process_.reset();
        return exit_code_;
    }
    // SIGKILL (a crash), SIGSTOP (a pause) or SIGCONT; after SIGKILL, stop() reaps it.
    void signal(int sig) const {
        if (process_) process_->signal(sig);
    }
    [[nodiscard]] int port() const noexcept { return port_; }
    [[nodiscard]] std::string log() const { return read_file(dir_ / "err.log"); }
    [[nodiscard]] std::string url(const std::string& path, const std::string& scheme = "http") const {
        return scheme + "://127.0.0.1:" + std::to_string(port_) + path;
    }

private:
    std::filesystem::path dir_;
    std::unique_ptr<Background> process_;
    int port_ = 0;
    int exit_code_ = -1;
};

// The reply's body as JSON; fails the test (showing the body) when it is not JSON.
inline boost::json::value body_of(const HttpReply& r) {
    boost::system::error_code ec;
    auto v = boost::json::parse(r.body, ec);
    if (ec) FAIL("not JSON: " << r.body);
    return v;
}

}  // namespace junction::test
