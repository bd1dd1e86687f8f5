// 10,000 idle keep-alive connections to the real `junction` binary (issue 11, "Load and
// limits"): the host still answers a new connection within a second and its pipeline
// goes on; past http.limits.max_connections a new connection is closed at once while
// the host stays up; junction_http_open_connections in /metrics follows it all.
// Needs an open-file limit (hard) of more than 10,100: the test raises its soft limit to
// the hard one and is skipped, saying so, when that is not enough.
#include <doctest/doctest.h>

#include <regex>

#include "host_under_load.hpp"

using namespace junction::test;
using namespace junction::test::http;

namespace {

constexpr std::size_t idle_connections = 10000;
constexpr std::size_t max_connections = 10010;

// Opens `count` connections, each sending GET /health (keep-alive) and reading its
// answer, `batch` at a time so that the listen backlog never overflows.
std::vector<Socket> open_idle(int port, std::size_t count, std::size_t batch = 500) {
    std::vector<Socket> out;
    out.reserve(count);
    const std::string request = get("/health", false, false);
    while (out.size() < count) {
        const auto first = out.size();
        const auto n = std::min(batch, count - first);
        for (std::size_t i = 0; i < n; ++i) {
            out.push_back(Socket::connect(port));
            REQUIRE(out.back().send_all(request));
        }
        for (std::size_t i = first; i < first + n; ++i) {
            std::string raw;
            REQUIRE(out[i].read_response(raw, 10s));
            REQUIRE(parse_reply(raw).status == 200);
        }
    }
    return out;
}

// True when the server closes a new connection without answering its request.
bool refused(int port) {
    auto s = Socket::connect(port);
    s.send_all(get("/health", false, false));
    std::string raw;
    return s.read_until_closed(raw, 3s) && raw.empty();
}

}  // namespace

TEST_CASE("10,000 idle keep-alive connections: the host serves new ones promptly and refuses past the limit") {
    const auto nofile = raise_nofile();
    MESSAGE("open-file limit of the test (hard limit): " << nofile);
    if (nofile < max_connections + 200) {
        MESSAGE("skipped: 10,000 connections need an open-file hard limit above " << max_connections + 200
                                                                                  << " (ulimit -Hn)");
        return;
    }
    HostUnderLoad host(R"({"max_connections": )" + std::to_string(max_connections) +
                       R"(, "idle_timeout_ms": 120000, "header_timeout_ms": 10000})");
    host.start_watching();

    const auto opened_at = steady::now();
    auto idle = open_idle(host.port(), idle_connections);
    MESSAGE(idle.size() << " keep-alive connections opened and used in "
                        << std::chrono::duration<double>(steady::now() - opened_at).count() << " s");
    std::this_thread::sleep_for(2s);  // the watcher checks /health and the pipeline with all of them open
    MESSAGE("host RSS with " << idle.size() << " idle connections: " << host.rss_mib() << " MiB");
    const auto health = host.health_ms();
    REQUIRE(health.has_value());
    CHECK(*health < 1000);
    // Those, plus the /metrics request itself (and possibly a watcher's /health).
    const auto open_now = metric(host.port(), "junction_http_open_connections");
    CHECK(open_now >= idle_connections + 1);
    CHECK(open_now <= idle_connections + 2);
    host.stop_watching_and_check();

    // Up to the limit, then refusals: closed at once, nothing answered, the host up.
    std::this_thread::sleep_for(300ms);  // the watcher's last connection is gone
    const auto more = open_idle(host.port(), max_connections - idle_connections, 10);
    for (int i = 0; i < 3; ++i)
        CHECK(refused(host.port()));
    CHECK(host.alive());
    CHECK(host.log().find("refusing new ones") != std::string::npos);

    // Room again after some close; the refusals were counted.
    for (std::size_t i = 0; i < 20; ++i)
        idle[i].close();
    CHECK(eventually([&] { return host.health_ms().has_value(); }, 5s));
    // (/metrics is rendered at most ten times a second.)
    CHECK(eventually([&] { return metric(host.port(), "junction_http_connections_refused_total") >= 3; }, 5s));

    // All closed: the gauge comes back down to the one asking.
    idle.clear();
    CHECK(eventually(
        [&] {
            return metric(host.port(), "junction_http_open_connections") <= 1 + (max_connections - idle_connections);
        },
        10s));
    host.stop_and_check();
}
