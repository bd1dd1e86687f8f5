// The HTTP client against a real server on 127.0.0.1: classification, retries and
// Retry-After, timeouts and stop, gzip, redirects, connection reuse, and that no secret
// of a request reaches a message or a log line.
#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include <junction/services/credential_store.hpp>
#include <junction/services/http_service.hpp>

#include "service_test_support.hpp"

using namespace junction;
using namespace junction::test;
using namespace std::chrono_literals;

namespace {

struct Fixture {
    explicit Fixture(services::HttpServiceOptions options = {}) : service(std::move(options)) {}

    sdk::Status get(const std::string& path, int max_attempts = 3) {
        return client.send({.url = server.url(path), .max_attempts = max_attempts}, response);
    }
    boost::json::object echoed() const { return boost::json::parse(response.body).as_object(); }

    HttpServer server;
    ManualClock clock;
    LogLines log;
    std::atomic<bool> stop{false};
    services::HttpService service;
    services::HttpClientView client{
        service, {.clock = clock, .stop = [this] { return stop.load() || clock.stopped(); }, .log = log.hook()}};
    sdk::HttpResponse response;
};

services::ConnectionConfig api_key_in_query(std::string key) {
    return {.name = "shop", .settings = services::ApiKeyConnection{.key = std::move(key), .query_param = "api_key"}};
}

}  // namespace

TEST_CASE("a 2xx is ok and hands over status, headers and body") {
    Fixture f;
    const auto status = f.get("/echo?x=1");
    REQUIRE_MESSAGE(status.is_ok(), status.message());
    CHECK(f.response.status == 200);
    REQUIRE(f.response.header("content-type") != nullptr);
    CHECK(*f.response.header("Content-Type") == "application/json");
    CHECK(f.echoed().at("query").as_string() == "x=1");
    CHECK(f.response.effective_url == f.server.url("/echo?x=1"));
}

TEST_CASE("a POST sends its method, body and headers") {
    Fixture f;
    const auto status = f.client.send({.method = "PATCH",
                                       .url = f.server.url("/echo"),
                                       .headers = {{"Content-Type", "application/json"}, {"X-Empty", ""}},
                                       .body = R"({"a":1})"},
                                      f.response);
    REQUIRE_MESSAGE(status.is_ok(), status.message());
    const auto echo = f.echoed();
    CHECK(echo.at("method").as_string() == "PATCH");
    CHECK(echo.at("body").as_string() == R"({"a":1})");
    CHECK(echo.at("headers").at("content-type").as_string() == "application/json");
    CHECK(echo.at("headers").at("x-empty").as_string() == "");
    CHECK_FALSE(echo.at("headers").as_object().contains("expect"));
}

TEST_CASE("a 4xx other than 401 is a reject naming method, URL and status, without retrying") {
    Fixture f;
    for (const std::string code : {"400", "403", "404", "422"}) {
        const std::string key = "r" + code;
        const auto status = f.get("/status/" + code + "?key=" + key);
        CHECK(status.code() == sdk::Code::reject);
        CHECK(status.message().starts_with("GET " + f.server.url("/status/" + code) + ": " + code));
        CHECK(server_hits(f.server, key) == 1);
        CHECK(f.response.status == std::stol(code));
    }
    CHECK(f.clock.sleeps().empty());
}

TEST_CASE("408, 425, 429 and 5xx are transient: retried, then retry") {
    Fixture f;
    for (const std::string code : {"408", "425", "429", "500", "502", "503", "504"}) {
        const std::string key = "t" + code;
        const auto status = f.get("/status/" + code + "?key=" + key, 2);
        CHECK(status.code() == sdk::Code::retry);
        CHECK(status.message().find(": " + code) != std::string::npos);
        CHECK(status.message().find("after 2 attempts") != std::string::npos);
        CHECK(server_hits(f.server, key) == 2);
        CHECK(f.response.status == std::stol(code));  // the last response, in every case
    }
}

TEST_CASE("a transient failure that clears within the attempts is ok, after full-jitter waits") {
    Fixture f;
    const auto status = f.get("/flaky?key=f&fail=2&code=503", 3);
    REQUIRE_MESSAGE(status.is_ok(), status.message());
    CHECK(server_hits(f.server, "f") == 3);
    const auto sleeps = f.clock.sleeps();
    REQUIRE(sleeps.size() == 2);
    CHECK(sleeps[0] <= 200ms);  // initial backoff
    CHECK(sleeps[1] <= 400ms);  // doubled
    const auto lines = f.log.lines();
    REQUIRE(lines.size() == 2);
    CHECK(lines[0].find("503 Service Unavailable; retrying in") != std::string::npos);
    CHECK(lines[0].find("(attempt 2 of 3)") != std::string::npos);
}

TEST_CASE("max_attempts caps the attempts, and the service caps max_attempts") {
    services::HttpServiceOptions options;
    options.max_attempts_cap = 4;
    Fixture f(options);
    CHECK(f.get("/flaky?key=a&fail=100", 3).code() == sdk::Code::retry);
    CHECK(server_hits(f.server, "a") == 3);
    CHECK(f.get("/flaky?key=b&fail=100", 1).code() == sdk::Code::retry);
    CHECK(server_hits(f.server, "b") == 1);
    CHECK(f.get("/flaky?key=c&fail=100", 1000).code() == sdk::Code::retry);
    CHECK(server_hits(f.server, "c") == 4);
}

TEST_CASE("a 429 with Retry-After waits at least that long") {
    Fixture f;
    const auto status = f.get("/flaky?key=r&fail=1&code=429&retry_after=7", 3);
    REQUIRE_MESSAGE(status.is_ok(), status.message());
    const auto sleeps = f.clock.sleeps();
    REQUIRE(sleeps.size() == 1);
    CHECK(sleeps[0] >= 7000ms);
}

TEST_CASE("a Retry-After HTTP-date is read against the clock") {
    Fixture f;
    f.clock.advance(std::chrono::system_clock::from_time_t(1445412480) - 12s - f.clock.now());
    const auto status = f.get("/flaky?key=d&fail=1&code=503&retry_after=Wed,%2021%20Oct%202015%2007:28:00%20GMT", 2);
    REQUIRE_MESSAGE(status.is_ok(), status.message());
    const auto sleeps = f.clock.sleeps();
    REQUIRE(sleeps.size() == 1);
    CHECK(sleeps[0] == 12000ms);
}

TEST_CASE("the last attempt's retry carries the server's Retry-After") {
    Fixture f;
    const auto status = f.get("/status/429?retry_after=3", 1);
    CHECK(status.code() == sdk::Code::retry);
    CHECK(status.retry_after() == std::optional(3000ms));
}

TEST_CASE("a Retry-After beyond the cap ends the call with retry and the capped wait, without sleeping") {
    services::HttpServiceOptions options;
    options.max_retry_after = 60s;
    Fixture f(options);
    const auto status = f.get("/status/503?key=cap&retry_after=3600", 5);
    CHECK(status.code() == sdk::Code::retry);
    CHECK(status.retry_after() == std::optional<std::chrono::milliseconds>(60s));
    CHECK(status.message().find("3600 s") != std::string::npos);
    CHECK(f.clock.sleeps().empty());
    CHECK(server_hits(f.server, "cap") == 1);
}

TEST_CASE("a response slower than the request's timeout is a retry within about that time") {
    Fixture f;
    const auto start = std::chrono::steady_clock::now();
    const auto status =
        f.client.send({.url = f.server.url("/slow?ms=5000"), .timeout = 300ms, .max_attempts = 1}, f.response);
    const auto took = std::chrono::steady_clock::now() - start;
    CHECK(status.code() == sdk::Code::retry);
    INFO(status.message());
    CHECK(status.message().find("timed out") != std::string::npos);
    CHECK(took >= 250ms);
    CHECK(took < 2s);
    CHECK(f.response.status == 0);
}

TEST_CASE("a stop request aborts a slow transfer within a fraction of a second") {
    Fixture f;
    std::thread stopper([&f] {
        std::this_thread::sleep_for(200ms);
        f.stop = true;
    });
    const auto start = std::chrono::steady_clock::now();
    const auto status = f.client.send({.url = f.server.url("/slow?ms=20000"), .timeout = 30s}, f.response);
    const auto took = std::chrono::steady_clock::now() - start;
    stopper.join();
    CHECK(status.code() == sdk::Code::retry);
    CHECK(status.message().find("stopped") != std::string::npos);
    CHECK(took < 700ms);
}

TEST_CASE("a stop request ends the wait before the next attempt") {
    Fixture f;
    f.clock.request_stop();  // sleep_for now returns false at once, as the host's does when stopping
    f.stop = false;          // but the first transfer is let through
    services::HttpClientView client(f.service, {.clock = f.clock});
    const auto status = client.send({.url = f.server.url("/status/503?key=s"), .max_attempts = 5}, f.response);
    CHECK(status.code() == sdk::Code::retry);
    CHECK(status.message().find("stopped before retrying") != std::string::npos);
    CHECK(server_hits(f.server, "s") == 1);
}

TEST_CASE("a refused connection is a transient transport failure") {
    Fixture f;
    const auto status = f.client.send({.url = "http://127.0.0.1:1/x", .max_attempts = 2}, f.response);
    CHECK(status.code() == sdk::Code::retry);
    CHECK(status.message().starts_with("GET http://127.0.0.1:1/x: "));
    CHECK(status.message().find("after 2 attempts") != std::string::npos);
    CHECK(f.response.status == 0);
}

TEST_CASE("a malformed URL or an unsupported scheme is fatal") {
    Fixture f;
    CHECK(f.client.send({.url = "ftp://127.0.0.1/file"}, f.response).code() == sdk::Code::fatal);
    CHECK(f.client.send({.url = "127.0.0.1/no-scheme"}, f.response).code() == sdk::Code::fatal);
    CHECK(f.client.send({.url = "http://"}, f.response).code() == sdk::Code::fatal);
    CHECK(f.client.send({.method = "GET\r\nX: y", .url = f.server.url("/echo")}, f.response).code() ==
          sdk::Code::fatal);
    CHECK(
        f.client.send({.url = f.server.url("/echo"), .headers = {{"X-Bad", "a\r\nInjected: 1"}}}, f.response).code() ==
        sdk::Code::fatal);
}

TEST_CASE("a gzip body arrives decoded") {
    Fixture f;
    const auto status = f.get("/gzip");
    REQUIRE_MESSAGE(status.is_ok(), status.message());
    const auto body = boost::json::parse(f.response.body).as_object();
    CHECK(body.at("compressed").as_bool());
    CHECK(std::string(body.at("accept_encoding").as_string()).find("gzip") != std::string::npos);
}

TEST_CASE("sequential requests to one host reuse one connection") {
    Fixture f;
    std::vector<std::int64_t> used;
    for (int i = 0; i < 6; ++i) {
        REQUIRE(f.get("/echo").is_ok());
        used.push_back(f.echoed().at("connection").as_int64());
    }
    // Errors and retries keep the connection too.
    CHECK(f.get("/status/404").code() == sdk::Code::reject);
    REQUIRE(f.get("/echo").is_ok());
    used.push_back(f.echoed().at("connection").as_int64());
    for (const auto c : used)
        CHECK(c == used.front());
}

TEST_CASE("concurrent requests from many threads all succeed") {
    Fixture f;
    std::atomic<int> ok{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 8; ++t)
        threads.emplace_back([&f, &ok] {
            for (int i = 0; i < 10; ++i) {
                sdk::HttpResponse response;
                if (f.client.send({.url = f.server.url("/echo")}, response).is_ok() && response.status == 200) ++ok;
            }
        });
    for (auto& t : threads)
        t.join();
    CHECK(ok == 80);
}

TEST_CASE("redirects are followed and effective_url names where the request ended") {
    Fixture f;
    const auto target = f.server.url("/echo?page=2");
    const auto status = f.get("/redirect?code=301&to=" + std::string("/echo%3Fpage%3D2"));
    REQUIRE_MESSAGE(status.is_ok(), status.message());
    CHECK(f.response.effective_url == target);
    CHECK(f.echoed().at("query").as_string() == "page=2");
}

TEST_CASE("a 303 after a POST continues as a GET without the body") {
    Fixture f;
    const auto status = f.client.send(
        {.method = "POST", .url = f.server.url("/redirect?code=303&to=/echo"), .body = "a=1"}, f.response);
    REQUIRE_MESSAGE(status.is_ok(), status.message());
    CHECK(f.echoed().at("method").as_string() == "GET");
    CHECK(f.echoed().at("body").as_string() == "");
}

TEST_CASE("a redirect loop is refused after max_redirects") {
    services::HttpServiceOptions options;
    options.max_redirects = 3;
    Fixture f(options);
    const auto status = f.get("/loop?key=loop");
    CHECK(status.code() == sdk::Code::reject);
    CHECK(status.message().find("more than 3 redirects") != std::string::npos);
    CHECK(server_hits(f.server, "loop") == 4);  // the request and its 3 redirects
}

TEST_CASE("a response larger than the service's cap is rejected") {
    services::HttpServiceOptions options;
    options.max_response_bytes = 1000;
    Fixture f(options);
    CHECK(f.get("/big?bytes=900").is_ok());
    const auto status = f.get("/big?bytes=5000");
    CHECK(status.code() == sdk::Code::reject);
    INFO(status.message());
    CHECK(status.message().find("larger than 1000 bytes") != std::string::npos);
}

TEST_CASE("a 401 without a connection is fatal") {
    Fixture f;
    const auto status = f.get("/status/401");
    CHECK(status.code() == sdk::Code::fatal);
    CHECK(status.message().find("401 Unauthorized") != std::string::npos);
}

TEST_CASE("a connection's key is attached as its header or query parameter") {
    Fixture f;
    services::CredentialStore credentials(
        {{.name = "hdr", .settings = services::ApiKeyConnection{.key = "k-123", .prefix = "Token"}},
         api_key_in_query("q 456&x"),
         {.name = "basic", .settings = services::BasicConnection{.username = "user", .password = "pass"}}},
        f.service, f.clock);
    services::HttpClientView client(f.service, {.clock = f.clock, .credentials = &credentials});

    REQUIRE(client.send({.url = f.server.url("/echo"), .connection = "hdr"}, f.response).is_ok());
    CHECK(f.echoed().at("headers").at("x-api-key").as_string() == "Token k-123");
    REQUIRE(client.send({.url = f.server.url("/echo?a=1"), .connection = "shop"}, f.response).is_ok());
    CHECK(f.echoed().at("query").as_string() == "a=1&api_key=q%20456%26x");
    CHECK(f.response.effective_url == f.server.url("/echo?a=1"));  // the key is not handed back
    REQUIRE(client.send({.url = f.server.url("/echo"), .connection = "basic"}, f.response).is_ok());
    CHECK(f.echoed().at("headers").at("authorization").as_string() == "Basic dXNlcjpwYXNz");
    const auto unknown = client.send({.url = f.server.url("/echo"), .connection = "nope"}, f.response);
    CHECK(unknown.code() == sdk::Code::fatal);
    CHECK(unknown.message().find("no connection named nope") != std::string::npos);
}

TEST_CASE("credentials follow a redirect within their origin only") {
    Fixture f;
    services::CredentialStore credentials({{.name = "hdr", .settings = services::ApiKeyConnection{.key = "k-123"}}},
                                          f.service, f.clock);
    services::HttpClientView client(f.service, {.clock = f.clock, .credentials = &credentials});

    REQUIRE(client.send({.url = f.server.url("/redirect?to=/echo"), .connection = "hdr"}, f.response).is_ok());
    CHECK(f.echoed().at("headers").at("x-api-key").as_string() == "k-123");

    const auto elsewhere = "http://localhost:" + std::to_string(f.server.port()) + "/echo";
    REQUIRE(client.send({.url = f.server.url("/redirect?to=" + elsewhere), .connection = "hdr"}, f.response).is_ok());
    CHECK(f.response.effective_url == elsewhere);
    CHECK_FALSE(f.echoed().at("headers").as_object().contains("x-api-key"));
}

TEST_CASE("no secret of a request reaches a message or a log line") {
    Fixture f;
    const std::string key = "QUERYKEY-9f8e7d";
    const std::string bearer = "HEADERTOKEN-1a2b3c";
    services::CredentialStore credentials({api_key_in_query(key)}, f.service, f.clock);
    services::HttpClientView client(f.service, {.clock = f.clock, .credentials = &credentials, .log = f.log.hook()});
    std::vector<std::string> messages;
    for (const std::string path : {"/status/500", "/status/404", "/status/401", "/status/429?retry_after=1"}) {
        const auto status = client.send({.url = f.server.url(path + (path.find('?') == std::string::npos ? "?" : "&") +
                                                             "token=" + bearer + "&page=2"),
                                         .headers = {{"Authorization", "Bearer " + bearer}},
                                         .body = "password=" + bearer,
                                         .connection = "shop",
                                         .max_attempts = 2},
                                        f.response);
        CHECK_FALSE(status.is_ok());
        messages.push_back(status.message());
    }
    // A transport failure too: curl's own words.
    messages.push_back(client
                           .send({.url = "http://127.0.0.1:1/x?api_key=" + key,
                                  .headers = {{"Authorization", "Bearer " + bearer}},
                                  .connection = "shop",
                                  .max_attempts = 2},
                                 f.response)
                           .message());
    const auto logged = f.log.all();
    CHECK(logged.find("retrying") != std::string::npos);  // something was logged
    for (const auto& text : messages) {
        INFO(text);
        const bool names_the_url =
            text.find(f.server.url("/status/")) != std::string::npos || text.find("127.0.0.1:1/x") != std::string::npos;
        CHECK(names_the_url);
        CHECK(text.find(key) == std::string::npos);
        CHECK(text.find("QUERYKEY") == std::string::npos);
        CHECK(text.find("HEADERTOKEN") == std::string::npos);
        CHECK(text.find("page=2") == std::string::npos);
    }
    CHECK(logged.find("QUERYKEY") == std::string::npos);
    CHECK(logged.find("HEADERTOKEN") == std::string::npos);
    CHECK(logged.find("page=2") == std::string::npos);
}

TEST_CASE("a POST whose answer may have been lost is not resent within the call; one refused unprocessed is") {
    Fixture f;
    auto post = [&](const std::string& path, std::vector<sdk::HttpHeader> headers = {}) {
        return f.client.send(
            {.method = "POST", .url = f.server.url(path), .headers = std::move(headers), .body = "{}", .max_attempts = 3},
            f.response);  // NOLINT
    };
    const auto lost = post("/flaky?key=p502&fail=1&code=502");
    CHECK(lost.code() == sdk::Code::retry);
    CHECK(lost.message().find("not resent within the call") != std::string::npos);
    CHECK(server_hits(f.server, "p502") == 1);

    CHECK(post("/flaky?key=p503&fail=1&code=503").is_ok());  // refused before processing
    CHECK(server_hits(f.server, "p503") == 2);
    CHECK(post("/flaky?key=p429&fail=1&code=429").is_ok());
    CHECK(server_hits(f.server, "p429") == 2);

    CHECK(post("/flaky?key=pkey&fail=1&code=502", {{"Idempotency-Key", "k-1"}}).is_ok());  // safe to resend
    CHECK(server_hits(f.server, "pkey") == 2);
}
