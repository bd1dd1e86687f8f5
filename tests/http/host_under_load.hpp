// The `junction` binary serving HTTP on loopback while a pipeline runs continuously
// (files reader on a folder the test keeps feeding -> files writer), for the limit
// tests: raw client sockets (no HTTP library between the test and the bytes sent), and a
// watcher that proves, while the abuse goes on, that records keep arriving in the output
// and that /health answers within a second on a fresh connection.
#pragma once

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>

#include "subprocess.hpp"

namespace junction::test::http {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using steady = std::chrono::steady_clock;

inline constexpr const char* api_key = "limits-test-key-0123456789";

// One client socket on 127.0.0.1, closed with the object.
class Socket {
public:
    Socket() = default;
    explicit Socket(int fd) : fd_(fd) {}
    Socket(Socket&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
    Socket& operator=(Socket&& o) noexcept {
        if (this != &o) {
            close();
            fd_ = std::exchange(o.fd_, -1);
        }
        return *this;
    }
    ~Socket() { close(); }

    // Connects (blocking); rcvbuf > 0 shrinks the receive buffer first. Throws on failure.
    static Socket connect(int port, int rcvbuf = 0) {
        const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0) throw std::runtime_error(std::string("socket: ") + std::strerror(errno));
        Socket s(fd);
        if (rcvbuf > 0) ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
        const int one = 1;
        ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(static_cast<std::uint16_t>(port));
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0)
            throw std::runtime_error(std::string("connect: ") + std::strerror(errno));
        return s;
    }

    [[nodiscard]] int fd() const noexcept { return fd_; }
    void close() {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
    }

    // False when the peer has closed (EPIPE, ECONNRESET).
    bool send_all(std::string_view data) const {
        while (!data.empty()) {
            const auto n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return false;
            data.remove_prefix(static_cast<std::size_t>(n));
        }
        return true;
    }

    // Reads what arrives until the peer closes (true) or the timeout passes (false).
    bool read_until_closed(std::string& out, std::chrono::milliseconds timeout) const {
        const auto until = steady::now() + timeout;
        char buf[16384];
        while (true) {
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - steady::now()).count();
            if (left <= 0) return false;
            pollfd p{fd_, POLLIN, 0};
            const int r = ::poll(&p, 1, static_cast<int>(left));
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) return false;
            const auto n = ::recv(fd_, buf, sizeof buf, 0);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) return errno == ECONNRESET;
            if (n == 0) return true;
            out.append(buf, static_cast<std::size_t>(n));
        }
    }

    // Reads one response with a Content-Length body; false on a timeout or a close first.
    bool read_response(std::string& out, std::chrono::milliseconds timeout) const {
        const auto until = steady::now() + timeout;
        char buf[16384];
        while (true) {
            const auto end = out.find("\r\n\r\n");
            if (end != std::string::npos) {
                std::size_t length = 0;
                const auto cl = lower(out.substr(0, end)).find("content-length:");
                if (cl != std::string::npos) length = std::stoul(out.substr(cl + 15));
                if (out.size() >= end + 4 + length) return true;
            }
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - steady::now()).count();
            if (left <= 0) return false;
            pollfd p{fd_, POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left)) <= 0) continue;
            const auto n = ::recv(fd_, buf, sizeof buf, 0);
            if (n <= 0) return false;
            out.append(buf, static_cast<std::size_t>(n));
        }
    }

    static std::string lower(std::string s) {
        for (auto& c : s)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        return s;
    }

private:
    int fd_ = -1;
};

struct Reply {
    int status = 0;
    std::string head;  // status line and headers
    std::string body;
};

// Splits raw response bytes; status 0 when there is no status line.
inline Reply parse_reply(const std::string& raw) {
    Reply r;
    const auto end = raw.find("\r\n\r\n");
    if (raw.rfind("HTTP/1.", 0) != 0 || end == std::string::npos) return r;
    r.status = std::atoi(raw.c_str() + 9);
    r.head = raw.substr(0, end);
    r.body = raw.substr(end + 4);
    return r;
}

// The body is {"error": {"code": "...", "message": "..."}}.
inline bool is_json_error(const Reply& r) {
    if (Socket::lower(r.head).find("content-type: application/json") == std::string::npos) return false;
    boost::system::error_code ec;
    const auto v = boost::json::parse(r.body, ec);
    if (ec || !v.is_object()) return false;
    const auto* e = v.as_object().if_contains("error");
    if (e == nullptr || !e->is_object()) return false;
    const auto* code = e->as_object().if_contains("code");
    const auto* message = e->as_object().if_contains("message");
    return code && code->is_string() && !code->as_string().empty() && message && message->is_string() &&
           !message->as_string().empty();
}

// A raw request on a fresh connection, then everything until the server closes.
inline Reply one_shot(int port, const std::string& request, bool& closed,
                      std::chrono::milliseconds timeout = std::chrono::seconds(5)) {
    auto s = Socket::connect(port);
    s.send_all(request);
    std::string raw;
    closed = s.read_until_closed(raw, timeout);
    return parse_reply(raw);
}

inline std::string get(const std::string& target, bool with_key = true, bool close = true) {
    std::string r = "GET " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    if (with_key) r += std::string("X-API-Key: ") + api_key + "\r\n";
    if (close) r += "Connection: close\r\n";
    return r + "\r\n";
}

// A metric's value in /metrics (asked on a fresh connection); -1 when absent.
inline double metric(int port, const std::string& name) {
    bool closed = false;
    const auto r = one_shot(port, get("/metrics"), closed);
    REQUIRE(r.status == 200);
    const std::regex line("(^|\n)" + name + "(\\{[^}]*\\})? ([0-9.e+]+)");
    std::smatch m;
    if (!std::regex_search(r.body, m, line)) return -1;
    return std::stod(m[3]);
}

// Raises this process's open-file limit to its hard limit; returns the new soft limit.
inline rlim_t raise_nofile() {
    rlimit rl{};
    ::getrlimit(RLIMIT_NOFILE, &rl);
    rl.rlim_cur = rl.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &rl);
    ::getrlimit(RLIMIT_NOFILE, &rl);
    return rl.rlim_cur;
}

// The host, its pipeline, a feeder of input files and a watcher of progress and health.
class HostUnderLoad {
public:
    // `limits`: the http.limits object as JSON text.
    explicit HostUnderLoad(const std::string& limits, const std::string& http_extra = "") {
        fs::create_directories(in_);
        fs::create_directories(out_);
        const auto q = [](const fs::path& p) { return boost::json::serialize(boost::json::value(p.string())); };
        write_file(config_, R"({"state": )" + q(dir_ / "state.db") + R"(,
  "http": {"listen": "127.0.0.1:0", "port_file": "port", "limits": )" +
                                limits + http_extra + R"(,
           "api_keys": [{"id": "ops", "key_env": "JUNCTION_LIMITS_KEY", "scopes": ["operate"]}]},
  "pipelines": [{"name": "p",
    "reader": {"plugin": "files", "options": {"dir": )" +
                                q(in_) + R"(, "after": "delete"}},
    "writer": {"plugin": "files", "options": {"dir": )" +
                                q(out_) + R"(, "file_name": "{n}.json", "fsync": false}},
    "batch_size": 50, "schedule": {"poll_ms": 50}}]})");
        host_.emplace("env JUNCTION_LIMITS_KEY=" + std::string(api_key) + " " + sh_quote(JUNCTION_BIN) + " run " +
                          sh_quote(config_.string()),
                      dir_ / "stdout", dir_ / "stderr");
        const auto port_file = dir_ / "port";
        REQUIRE_MESSAGE(eventually([&] { return fs::exists(port_file) && !read_file(port_file).empty(); }, 20s),
                        read_file(dir_ / "stderr"));
        port_ = std::stoi(read_file(port_file));
        feeder_ = std::thread([this] { feed(); });
        // The pipeline runs before any abuse starts.
        REQUIRE_MESSAGE(eventually([&] { return output_count() >= 5; }, 20s), read_file(dir_ / "stderr"));
    }
    ~HostUnderLoad() {
        stop_watching();
        feeding_ = false;
        if (feeder_.joinable()) feeder_.join();
    }

    [[nodiscard]] int port() const noexcept { return port_; }
    [[nodiscard]] std::string log() const { return read_file(dir_ / "stderr"); }
    [[nodiscard]] bool alive() { return host_->wait(0ms) == -1; }
    // The host's resident set now, in MiB (from /proc; for the report, not a check).
    [[nodiscard]] double rss_mib() const {
        const auto status = read_file("/proc/" + std::to_string(host_->pid()) + "/status");
        const auto at = status.find("VmRSS:");
        return at == std::string::npos ? 0 : std::stod(status.substr(at + 6)) / 1024;
    }

    [[nodiscard]] std::size_t output_count() const {
        std::size_t n = 0;
        std::error_code ec;
        for (fs::directory_iterator it(out_, ec), end; !ec && it != end; it.increment(ec))
            if (it->path().extension() == ".json") ++n;
        return n;
    }

    // Milliseconds for GET /health on a fresh connection; nullopt when it failed.
    [[nodiscard]] std::optional<double> health_ms() const {
        const auto start = steady::now();
        try {
            auto s = Socket::connect(port_);
            s.send_all(get("/health", false));
            std::string raw;
            s.read_until_closed(raw, 5s);
            if (parse_reply(raw).status != 200) return std::nullopt;
        } catch (const std::exception&) {
            return std::nullopt;
        }
        return std::chrono::duration<double, std::milli>(steady::now() - start).count();
    }

    // From now until stop_watching(): every 200 ms, /health on a fresh connection and
    // the output folder's count.
    void start_watching() {
        watching_ = true;
        watcher_ = std::thread([this] {
            auto last_count = output_count();
            auto last_progress = steady::now();
            while (watching_) {
                const auto h = health_ms();
                const auto n = output_count();
                const auto now = steady::now();
                std::lock_guard lock(mutex_);
                ++health_checks_;
                if (!h)
                    ++health_failures_;
                else
                    worst_health_ms_ = std::max(worst_health_ms_, *h);
                if (n > last_count) {
                    last_count = n;
                    last_progress = now;
                }
                worst_stall_ms_ =
                    std::max(worst_stall_ms_, std::chrono::duration<double, std::milli>(now - last_progress).count());
                std::this_thread::sleep_for(200ms);
            }
        });
        watch_start_count_ = output_count();
    }

    // Stops the watcher and checks what it saw: the pipeline never stalled for 2 s,
    // /health never failed nor took a second, and the host is still running.
    void stop_watching_and_check() {
        stop_watching();
        std::lock_guard lock(mutex_);
        MESSAGE("health checks: " << health_checks_ << ", slowest " << worst_health_ms_
                                  << " ms; longest pipeline pause " << worst_stall_ms_ << " ms; records written "
                                  << output_count() - watch_start_count_);
        CHECK(health_checks_ >= 3);
        CHECK(health_failures_ == 0);
        CHECK(worst_health_ms_ < 1000);
        CHECK(worst_stall_ms_ < 2000);
        CHECK(output_count() > watch_start_count_);
        CHECK_MESSAGE(alive(), log());
    }

    // SIGTERM: the host must stop cleanly (exit 0) and have written every file fed.
    void stop_and_check() {
        stop_watching();
        feeding_ = false;
        if (feeder_.joinable()) feeder_.join();
        CHECK(eventually([&] { return output_count() == fed_; }, 20s));
        host_->signal(SIGTERM);
        const int code = host_->wait(30s);
        CHECK_MESSAGE(code == 0, log());
    }

private:
    void stop_watching() {
        watching_ = false;
        if (watcher_.joinable()) watcher_.join();
    }

    // One input file every 20 ms, written aside and renamed in (the reader skips *.tmp).
    void feed() {
        while (feeding_) {
            const auto n = fed_ + 1;
            const auto name = std::to_string(n) + ".json";
            write_file(in_ / (name + ".tmp"),
                       R"({"n": )" + std::to_string(n) + R"(, "text": "record )" + std::to_string(n) + "\"}");
            fs::rename(in_ / (name + ".tmp"), in_ / name);
            fed_ = n;
            std::this_thread::sleep_for(20ms);
        }
    }

    TempDir dir_;
    fs::path in_ = dir_ / "in";
    fs::path out_ = dir_ / "out";
    fs::path config_ = dir_ / "junction.json";
    std::optional<Background> host_;
    int port_ = 0;

    std::atomic<bool> feeding_{true};
    std::atomic<std::size_t> fed_{0};
    std::thread feeder_;

    std::atomic<bool> watching_{false};
    std::thread watcher_;
    std::mutex mutex_;
    std::size_t watch_start_count_ = 0;
    int health_checks_ = 0, health_failures_ = 0;
    double worst_health_ms_ = 0, worst_stall_ms_ = 0;
};

}  // namespace junction::test::http
