// A connection's client-side rate limit, with the real HTTP client against a real server
// on 127.0.0.1 and real time: the rate and the requests in flight are shared by every
// client on the connection, a stop ends a wait at once, and a server's 429 with
// Retry-After pauses the other clients on the same connection. Behaviour checks with
// generous bounds, not benchmarks.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include <junction/services/connection_config.hpp>
#include <junction/services/credential_store.hpp>
#include <junction/services/http_service.hpp>
#include <junction/services/rate_budget.hpp>

#include "service_test_support.hpp"

using namespace junction;
using namespace junction::test;
using namespace std::chrono_literals;

namespace {

// Real time, whose sleeps end when its stop source is asked (as the host's RunClock).
class RealClock final : public sdk::Clock {
public:
    std::chrono::system_clock::time_point now() const noexcept override { return std::chrono::system_clock::now(); }
    std::chrono::steady_clock::time_point monotonic() const noexcept override {
        return std::chrono::steady_clock::now();
    }
    bool sleep_for(std::chrono::milliseconds d) noexcept override {
        std::mutex m;
        std::condition_variable_any cv;
        std::unique_lock lock(m);
        cv.wait_for(lock, stop_.get_token(), d, [] { return false; });
        return !stop_.stop_requested();
    }
    void request_stop() { stop_.request_stop(); }
    [[nodiscard]] bool stopped() const { return stop_.stop_requested(); }

private:
    std::stop_source stop_;
};

services::ConnectionConfig open_api(std::string name, services::RateLimit limit = {}) {
    return {.name = std::move(name), .settings = services::NoneConnection{}, .rate_limit = limit};
}

// One host process: the HTTP service, the credentials and the budgets of its connections,
// and any number of clients (one a component) on them.
struct Host {
    explicit Host(std::vector<services::ConnectionConfig> connections)
        : budgets(connections), credentials(std::move(connections), http, clock) {}

    struct Client {
        RealClock clock;
        LogLines log;
        std::unique_ptr<services::HttpClientView> view;
    };
    std::unique_ptr<Client> client() {
        auto c = std::make_unique<Client>();
        auto* raw = c.get();
        c->view = std::make_unique<services::HttpClientView>(
            http, services::HttpCallContext{.clock = raw->clock,
                                            .credentials = &credentials,
                                            .stop = [raw] { return raw->clock.stopped(); },
                                            .log = raw->log.hook(),
                                            .budgets = &budgets});
        return c;
    }

    HttpServer server;
    RealClock clock;
    services::HttpService http;
    services::ConnectionBudgets budgets;
    services::CredentialStore credentials;
};

sdk::Status get(Host::Client& c, const std::string& url, const std::string& connection, int max_attempts = 3) {
    sdk::HttpResponse response;
    return c.view->send({.url = url, .connection = connection, .max_attempts = max_attempts}, response);
}

double seconds_since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

TEST_CASE("N requests through two clients on one connection take at least (N - burst) / rps seconds") {
    Host host({open_api("api", {.requests_per_second = 20, .burst = 4})});
    auto a = host.client(), b = host.client();
    constexpr int per_client = 12;  // N = 24: at least (24 - 4) / 20 = 1 s
    const auto url = host.server.url("/echo?key=rate");
    const auto started = std::chrono::steady_clock::now();
    std::atomic<int> ok{0};
    {
        auto send_all = [&](Host::Client& c) {
            for (int i = 0; i < per_client; ++i)
                if (get(c, url, "api").is_ok()) ++ok;
        };
        std::jthread ta([&] { send_all(*a); }), tb([&] { send_all(*b); });
    }
    const auto took = seconds_since(started);
    CHECK(ok == 2 * per_client);
    CHECK(server_hits(host.server, "rate") == 2 * per_client);
    CHECK(took >= 0.95);
    CHECK(took < 20.0);
    // The wait is logged at debug, about once a second, never once per request.
    const auto waits = a->log.lines().size() + b->log.lines().size();
    CHECK(waits >= 1);
    CHECK(static_cast<double>(waits) <= took + 2.0);  // 20 requests waited
    CHECK((a->log.all() + b->log.all()).find("connection api: waiting") != std::string::npos);
}

TEST_CASE("the requests in flight on one connection never exceed max_concurrent, across clients") {
    Host host({open_api("api", {.max_concurrent = 2}), open_api("other")});
    std::vector<std::unique_ptr<Host::Client>> clients;
    for (int i = 0; i < 4; ++i)
        clients.push_back(host.client());
    const auto url = host.server.url("/slow?ms=150&key=conc");
    std::atomic<int> ok{0};
    {
        std::vector<std::jthread> threads;
        for (auto& c : clients)
            threads.emplace_back([&, raw = c.get()] {
                for (int i = 0; i < 2; ++i)
                    if (get(*raw, url, "api").is_ok()) ++ok;
            });
    }
    CHECK(ok == 8);
    const auto stats = server_json(host.server, "/concurrency/conc").as_object();
    CHECK(stats.at("max").as_int64() == 2);  // reached, never passed
    CHECK(stats.at("in_flight").as_int64() == 0);

    // Another connection has a budget of its own: four at once there.
    {
        std::vector<std::jthread> threads;
        for (auto& c : clients)
            threads.emplace_back(
                [&, raw = c.get()] { CHECK(get(*raw, host.server.url("/slow?ms=300&key=free"), "other").is_ok()); });
    }
    CHECK(server_json(host.server, "/concurrency/free").as_object().at("max").as_int64() == 4);
}

TEST_CASE("a stop request ends a wait for the budget promptly, with retry and nothing sent") {
    Host host({open_api("api", {.requests_per_second = 0.2, .burst = 1})});
    auto c = host.client();
    const auto url = host.server.url("/echo?key=stop");
    REQUIRE(get(*c, url, "api").is_ok());  // the one token; the next comes in 5 s
    const auto started = std::chrono::steady_clock::now();
    std::jthread stopper([&] {
        std::this_thread::sleep_for(200ms);
        c->clock.request_stop();
    });
    const auto st = get(*c, url, "api");
    const auto took = seconds_since(started);
    CHECK(st.code() == sdk::Code::retry);
    CHECK(st.message().find("stopped while waiting for the rate limit of connection api") != std::string::npos);
    CHECK(took < 2.0);
    CHECK(server_hits(host.server, "stop") == 1);
}

TEST_CASE("a 429 with Retry-After pauses every client on the connection, not the others") {
    Host host({open_api("api"), open_api("other")});
    auto a = host.client(), b = host.client(), c = host.client();
    // a is told to wait 2 s and gives up at once (one attempt): the connection stays paused.
    const auto t0 = std::chrono::steady_clock::now();
    const auto refused = get(*a, host.server.url("/status/429?retry_after=2&key=a"), "api", 1);
    CHECK(refused.code() == sdk::Code::retry);
    // Another connection is not held up.
    REQUIRE(get(*c, host.server.url("/echo?key=c"), "other").is_ok());
    CHECK(seconds_since(t0) < 1.0);
    // b, on the same connection, waits out the rest of the pause before it sends anything.
    REQUIRE(get(*b, host.server.url("/echo?key=b"), "api").is_ok());
    const auto took = seconds_since(t0);
    CHECK(took >= 1.7);
    CHECK(took < 10.0);
    CHECK(server_hits(host.server, "b") == 1);
    CHECK(b->log.all().find("paused, as the server asked (Retry-After)") != std::string::npos);
}

TEST_CASE("a pause longer than a call waits ends the call with retry and the capped wait, without sending") {
    HttpServer server;
    RealClock clock;
    services::HttpService http({.max_retry_after = 1000ms});
    std::vector<services::ConnectionConfig> connections{open_api("api")};
    services::ConnectionBudgets budgets(connections);
    services::CredentialStore credentials(connections, http, clock);
    services::HttpClientView client(http, {.clock = clock, .credentials = &credentials, .budgets = &budgets});
    sdk::HttpResponse response;
    budgets.find("api")->pause_until(std::chrono::steady_clock::now() + 30s);
    const auto started = std::chrono::steady_clock::now();
    const auto st = client.send({.url = server.url("/echo?key=long"), .connection = "api"}, response);
    CHECK(st.code() == sdk::Code::retry);
    REQUIRE(st.retry_after().has_value());
    CHECK(*st.retry_after() == 1000ms);
    CHECK(st.message().find("connection api is paused for") != std::string::npos);
    CHECK(seconds_since(started) < 1.0);
    CHECK(server_hits(server, "long") == 0);
}

TEST_CASE("a connection of type none attaches nothing, and a 401 on it is fatal, naming it") {
    Host host({open_api("api")});
    auto c = host.client();
    sdk::HttpResponse response;
    REQUIRE(c->view->send({.url = host.server.url("/echo"), .connection = "api"}, response).is_ok());
    const auto headers = boost::json::parse(response.body).at("headers").as_object();
    CHECK_FALSE(headers.contains("authorization"));
    CHECK_FALSE(headers.contains("x-api-key"));
    const auto st = get(*c, host.server.url("/status/401"), "api");
    CHECK(st.code() == sdk::Code::fatal);
    CHECK(st.message().find("connection api is of type none") != std::string::npos);
}
