// The host's HTTP API through the real `junction` binary (daemon mode) over loopback:
// health and readiness, keys and scopes, runs on demand (never doubled), the run history,
// dead letters (list, replay, resolve), metrics, the OpenAPI document, the access log.
#include <chrono>
#include <thread>

#include <doctest/doctest.h>

#include <boost/json.hpp>

#include "free_port.hpp"
#include "http_client.hpp"
#include "junction_daemon.hpp"
#include "subprocess.hpp"
#include "temp_dir.hpp"

using namespace junction::test;
namespace json = boost::json;

namespace {

constexpr const char* read_key = "read-key-5b1f0c9e7a2d4";
constexpr const char* operate_key = "operate-key-8c2e4a6b0d1f3";
constexpr const char* admin_key = "admin-key-3d5f7b9a1c0e2";

struct Host {
    TempDir dir;
    std::unique_ptr<JunctionDaemon> daemon;

    explicit Host(const std::string& pipelines, const std::string& http_extra = "") {
        write_file(dir / "c.json", R"({
  "state": "state.db",
  "plugin_dirs": [")" + std::string(JUNCTION_TEST_PLUGIN_DIR) + R"(/testkit"],
  "http": {"listen": "127.0.0.1:0", "port_file": "port", )" + http_extra + R"(
           "api_keys": [{"id": "reader", "key_env": "T_READ_KEY", "scopes": ["read"]},
                        {"id": "operator", "key_env": "T_OPERATE_KEY", "scopes": ["operate"]},
                        {"id": "admin", "key_file": "admin.key", "scopes": ["admin"]}]},
  "pipelines": [)" + pipelines + R"(]
})");
        write_file(dir / "admin.key", std::string(admin_key) + "\n");
        std::filesystem::permissions(dir / "admin.key", std::filesystem::perms::owner_read);
        daemon = std::make_unique<JunctionDaemon>(dir / "c.json", std::string("T_READ_KEY=") + read_key +
                                                                      " T_OPERATE_KEY=" + operate_key);
    }
    [[nodiscard]] std::string log() const { return daemon->log(); }
    [[nodiscard]] std::string url(const std::string& path) const { return daemon->url(path); }
    HttpReply get(const std::string& path, const char* key = read_key) const {
        return http_call("GET", url(path), key ? std::vector<std::string>{std::string("X-API-Key: ") + key}
                                               : std::vector<std::string>{});
    }
    HttpReply post(const std::string& path, const char* key, const std::string& body = "") const {
        return http_call("POST", url(path),
                         {std::string("Authorization: Bearer ") + key, "Content-Type: application/json"}, body);
    }
};

std::string pipeline(const std::string& name, const std::string& reader, const std::string& translator,
                     const std::string& writer, const std::string& schedule = R"({"interval_ms": 3600000})") {
    return R"({"name": ")" + name + R"(", "schedule": )" + schedule +
           R"(, "reader": {"plugin": "testkit", "options": )" + reader +
           R"(}, "translators": [{"plugin": "testkit", "options": )" + translator +
           R"(}], "writer": {"plugin": "testkit", "options": )" + writer + "}}";
}

json::object find_pipeline(const json::value& list, const std::string& name) {
    for (const auto& p : list.at("pipelines").as_array())
        if (p.at("name") == name.c_str()) return p.as_object();
    FAIL("no pipeline " << name << " in " << json::serialize(list));
    return {};
}

}  // namespace

TEST_CASE("operations: /health open, /ready names a stopped pipeline, /metrics and the status page") {
    Host h(pipeline("numbers", R"({"count": 20})", R"({"reject_every": 5})", R"({"file": "numbers.ndjson"})") + "," +
           pipeline("broken", R"({"count": 10})", R"({})", R"({"file": "broken.ndjson", "fatal_at": 3})"));
    auto r = h.get("/health", nullptr);
    CHECK(r.status == 200);
    CHECK(body_of(r).at("status") == "ok");
    // The broken pipeline stops on its fatal error: not ready, and the reason is named.
    REQUIRE_MESSAGE(eventually([&] { return h.get("/ready", nullptr).status == 503; }), h.log());
    r = h.get("/ready", nullptr);
    const auto ready = body_of(r);
    CHECK(ready.at("error").at("code") == "not_ready");
    const std::string message(ready.at("error").at("message").as_string());
    CHECK_MESSAGE(message.find("pipeline broken: stopped after a fatal error: ") == 0, message);
    CHECK(message.find("bad credentials") != std::string::npos);

    r = h.get("/metrics", nullptr);
    CHECK(r.status == 401);  // not open unless http.open says so
    r = h.get("/metrics");
    CHECK(r.status == 200);
    CHECK(r.header("content-type") == "text/plain; version=0.0.4; charset=utf-8");
    CHECK(r.body.find("# TYPE junction_http_requests_total counter") != std::string::npos);
    CHECK(r.body.find("junction_http_requests_total{code=\"401\",method=\"GET\",route=\"/metrics\"} 1") !=
          std::string::npos);
    // Rendered at most ten times a second: two scrapes in a row (within 100 ms) get the
    // same text, although each one counts in junction_http_requests_total; a scrape
    // 200 ms later counts them.
    std::string first_text;
    CHECK(eventually(
        [&] {
            first_text = h.get("/metrics").body;
            return h.get("/metrics").body == first_text;
        },
        std::chrono::seconds(10)));
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    CHECK(h.get("/metrics").body != first_text);

    r = h.get("/", nullptr);
    CHECK(r.status == 200);
    CHECK(r.header("content-type") == "text/html; charset=utf-8");
    CHECK(r.body.find("<html") != std::string::npos);
    CHECK(r.header("content-security-policy").has_value());
}

TEST_CASE("a real Prometheus scrapes /metrics with a bearer key and reads the series") {
    Host h(pipeline("numbers", R"({"count": 20})", R"({"reject_every": 5})", R"({"file": "numbers.ndjson"})"));
    REQUIRE(run("command -v prometheus").exit_code == 0);  // Debian's prometheus (scripts/setup.sh)
    write_file(h.dir / "scrape.key", std::string(read_key) + "\n");
    const int prom_port = free_loopback_port();
    write_file(h.dir / "prometheus.yml", R"(global: {scrape_interval: 1s, scrape_timeout: 1s}
scrape_configs:
  - job_name: junction
    authorization: {type: Bearer, credentials_file: )" + (h.dir / "scrape.key").string() + R"(}
    static_configs: [{targets: ["127.0.0.1:)" + std::to_string(h.daemon->port()) + R"("]}]
)");
    Background prometheus("prometheus --config.file=" + sh_quote((h.dir / "prometheus.yml").string()) +
                              " --storage.tsdb.path=" + sh_quote((h.dir / "tsdb").string()) +
                              " --web.listen-address=127.0.0.1:" + std::to_string(prom_port),
                          h.dir / "prometheus.out", h.dir / "prometheus.err");
    // Prometheus' query API: the value of the first series an expression gives, or "".
    auto query = [&](const std::string& expr) -> std::string {
        const auto r = http_call("GET", "http://127.0.0.1:" + std::to_string(prom_port) +
                                            "/api/v1/query?query=" + url_encode(expr), {});
        if (r.status != 200) return "";
        const auto v = json::parse(r.body);
        const auto& result = v.at("data").at("result").as_array();
        return result.empty() ? "" : std::string(result[0].at("value").as_array()[1].as_string());
    };
    // The target is up: Prometheus fetched /metrics with the key and parsed every line.
    CHECK_MESSAGE(eventually([&] { return query(R"(up{job="junction"})") == "1"; }, std::chrono::seconds(30)),
                  read_file(h.dir / "prometheus.err"));
    // The pipeline's figures as Prometheus stored them: 20 read, 4 rejected.
    CHECK(eventually([&] {
        return query(R"(junction_records_total{pipeline="numbers",stage="reader",outcome="read"})") == "20";
    }));
    CHECK(query(R"(sum(junction_records_total{pipeline="numbers",outcome="rejected"}))") == "4");
    CHECK(query(R"(junction_build_info{job="junction"})") == "1");
    prometheus.signal(SIGTERM);
    CHECK(prometheus.wait(std::chrono::seconds(20)) == 0);
}

TEST_CASE("pipelines: state and history; a run on demand answers its id and is never doubled") {
    Host h(pipeline("numbers", R"({"count": 20})", R"({"reject_every": 5})", R"({"file": "numbers.ndjson"})") + "," +
           pipeline("slow", R"({"count": 100000, "delay_ms": 100})", R"({})", R"({"file": "slow.ndjson"})",
                    R"({"interval_ms": 3600000})"));
    // The run's history row is written as it ends, a moment before the supervisor sets the
    // pipeline back to `scheduled`: wait for both (a CI run under ASan saw the moment between).
    REQUIRE_MESSAGE(eventually([&] {
                        auto p = find_pipeline(body_of(h.get("/api/v1/pipelines")), "numbers");
                        return p.at("last_run").is_object() && p.at("state") == "scheduled";
                    }),
                    h.log());
    auto numbers = find_pipeline(body_of(h.get("/api/v1/pipelines")), "numbers");
    CHECK(numbers.at("state") == "scheduled");
    CHECK(numbers.at("schedule").at("mode") == "interval");
    CHECK(numbers.at("last_run").at("outcome") == "ok");
    CHECK(numbers.at("last_run").at("written") == 16);
    CHECK(numbers.at("dead_letters") == 4);  // n = 0, 5, 10, 15
    CHECK(numbers.at("next_run").is_string());
    CHECK(numbers.at("reader") == "testkit");

    // slow runs for a long time: a second run is refused with the one in progress
    REQUIRE(eventually([&] { return find_pipeline(body_of(h.get("/api/v1/pipelines")), "slow").at("state") == "running"; }));
    auto r = h.post("/api/v1/pipelines/slow/runs", operate_key);
    CHECK(r.status == 409);
    CHECK(body_of(r).at("error").at("code") == "run_in_progress");
    const auto running_id = body_of(r).at("run_id").as_int64();
    CHECK(running_id > 0);
    CHECK(r.header("location") == "/api/v1/runs/" + std::to_string(running_id));

    // numbers is idle: it runs now, once
    r = h.post("/api/v1/pipelines/numbers/runs", read_key);
    CHECK(r.status == 403);
    r = h.post("/api/v1/pipelines/numbers/runs", operate_key);
    REQUIRE_MESSAGE(r.status == 202, r.body);
    const auto id = body_of(r).at("run_id").as_int64();
    CHECK(r.header("location") == "/api/v1/runs/" + std::to_string(id));
    REQUIRE(eventually([&] {
        auto run = h.get("/api/v1/runs/" + std::to_string(id));
        return run.status == 200 && body_of(run).at("outcome") == "ok";
    }));
    const auto run = body_of(h.get("/api/v1/runs/" + std::to_string(id)));
    CHECK(run.at("pipeline") == "numbers");
    CHECK(run.at("read") == 0);  // everything was committed by the first run

    const auto runs = body_of(h.get("/api/v1/runs?pipeline=numbers&limit=10"));
    CHECK(runs.at("runs").as_array().size() == 2);
    CHECK(runs.at("runs").at(0).at("id") == id);
    CHECK(h.get("/api/v1/runs?limit=0").status == 400);
    CHECK(h.get("/api/v1/runs/abc").status == 400);
    CHECK(h.get("/api/v1/runs/99999").status == 404);
    CHECK(h.post("/api/v1/pipelines/nope/runs", operate_key).status == 404);
}

TEST_CASE("dead letters: listed with payloads, replayed (operate), resolved (admin)") {
    Host h(pipeline("numbers", R"({"count": 20})", R"({"reject_every": 5})", R"({"file": "numbers.ndjson"})"));
    REQUIRE_MESSAGE(eventually([&] {
                        const auto p = find_pipeline(body_of(h.get("/api/v1/pipelines")), "numbers");
                        return p.at("state") == "scheduled" && p.at("last_run").is_object();
                    }),
                    h.log());
    CHECK(body_of(h.get("/api/v1/dead-letters/numbers")).at("open") == 4);
    const auto list = body_of(h.get("/api/v1/dead-letters/numbers?limit=10"));
    const auto& letters = list.at("dead_letters").as_array();
    REQUIRE(letters.size() == 4);
    CHECK(letters.at(0).at("stage") == "translator");
    CHECK(letters.at(0).at("payload").at("n") == 15);
    const auto first = letters.at(0).at("id").as_int64();
    const auto second = letters.at(1).at("id").as_int64();

    // Replaying through the same translator rejects it again: it stays open, once.
    auto r = h.post("/api/v1/dead-letters/numbers/replay", operate_key, R"({"ids": [)" + std::to_string(first) + "]}");
    REQUIRE_MESSAGE(r.status == 200, r.body);
    CHECK(body_of(r).at("replayed") == 1);
    CHECK(body_of(r).at("rejected_again") == 1);
    CHECK(body_of(h.get("/api/v1/dead-letters/numbers")).at("open") == 4);
    CHECK(h.post("/api/v1/dead-letters/numbers/replay", operate_key, "{not json").status == 400);

    r = h.post("/api/v1/dead-letters/numbers/resolve", operate_key, R"({"ids": [1]})");
    CHECK(r.status == 403);
    r = h.post("/api/v1/dead-letters/numbers/resolve", admin_key, R"({"ids": [)" + std::to_string(second) + "]}");
    REQUIRE_MESSAGE(r.status == 200, r.body);
    CHECK(body_of(r).at("resolved") == 1);
    CHECK(body_of(h.get("/api/v1/dead-letters/numbers")).at("open") == 3);
    CHECK(h.post("/api/v1/dead-letters/numbers/resolve", admin_key, R"({"ids": []})").status == 400);
    CHECK(h.get("/api/v1/dead-letters/nope").status == 404);
}

TEST_CASE("the OpenAPI document describes every route; the access log names the key id, never the key") {
    Host h(pipeline("numbers", R"({"count": 5})", R"({})", R"({"file": "numbers.ndjson"})"));
    auto r = h.get("/api/v1/openapi.json");
    REQUIRE(r.status == 200);
    const auto doc = body_of(r);
    CHECK(doc.at("openapi") == "3.1.0");
    const auto& paths = doc.at("paths").as_object();
    for (const char* p : {"/health", "/ready", "/metrics", "/", "/api/v1/pipelines", "/api/v1/pipelines/{name}",
                          "/api/v1/pipelines/{name}/runs", "/api/v1/runs", "/api/v1/runs/{id}",
                          "/api/v1/dead-letters/{pipeline}", "/api/v1/dead-letters/{pipeline}/replay",
                          "/api/v1/dead-letters/{pipeline}/resolve", "/api/v1/openapi.json"})
        CHECK_MESSAGE(paths.contains(p), p);
    CHECK(paths.at("/api/v1/pipelines/{name}/runs").at("post").at("x-junction-scope") == "operate");
    CHECK(paths.at("/api/v1/pipelines/{name}/runs").at("post").at("parameters").at(0).at("name") == "name");

    CHECK(h.get("/api/v1/pipelines", "wrong-key-0000000000000").status == 401);
    const auto log = h.log();
    CHECK(log.find("request method=GET path=/api/v1/openapi.json status=200") != std::string::npos);
    CHECK(log.find("key=reader") != std::string::npos);
    CHECK(log.find(read_key) == std::string::npos);
    CHECK(log.find("wrong-key-0000000000000") == std::string::npos);
}

TEST_CASE("a missing key variable or a key file others can read stops the host with one line") {
    TempDir dir;
    write_file(dir / "c.json", R"({"state": "s.db", "plugin_dirs": [")" + std::string(JUNCTION_TEST_PLUGIN_DIR) +
                                   R"(/testkit"],
      "http": {"listen": "127.0.0.1:0", "api_keys": [{"id": "ops", "key_env": "T_UNSET_KEY_VAR", "scopes": ["read"]}]},
      "pipelines": [{"name": "n", "reader": {"plugin": "testkit", "options": {}},
                     "writer": {"plugin": "testkit", "options": {"file": "o.ndjson"}}}]})");
    // The daemon (run --once does not serve, so it needs no key)
    auto r = run(std::string("timeout 20 ") + JUNCTION_BIN + " run " + sh_quote((dir / "c.json").string()));
    CHECK(r.exit_code == 3);
    CHECK_MESSAGE(r.err.find("http.api_keys[0].key_env: the environment variable T_UNSET_KEY_VAR is not set") !=
                      std::string::npos,
                  r.err);
    CHECK(lines_of(r.err).size() == 1);
}

TEST_CASE("with http.tls the API is served over HTTPS only, with the configured certificate") {
    TempDir dir;
    // A self-signed certificate for 127.0.0.1 (the openssl command line, from setup.sh).
    const auto gen = run("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -addext "
                         "subjectAltName=IP:127.0.0.1 -keyout " +
                         sh_quote((dir / "key.pem").string()) + " -out " + sh_quote((dir / "cert.pem").string()));
    REQUIRE_MESSAGE(gen.exit_code == 0, gen.err);
    write_file(dir / "c.json", R"({"state": "s.db", "plugin_dirs": [")" + std::string(JUNCTION_TEST_PLUGIN_DIR) +
                                   R"(/testkit"],
      "http": {"listen": "127.0.0.1:0", "port_file": "port", "tls": {"cert_file": "cert.pem", "key_file": "key.pem"},
               "api_keys": [{"id": "reader", "key_env": "T_READ_KEY", "scopes": ["read"]}]},
      "pipelines": [{"name": "n", "schedule": {"interval_ms": 3600000}, "reader": {"plugin": "testkit", "options": {"count": 3}},
                     "writer": {"plugin": "testkit", "options": {"file": "o.ndjson"}}}]})");
    JunctionDaemon host(dir / "c.json", std::string("T_READ_KEY=") + read_key);
    const std::string port = std::to_string(host.port());
    const auto ok = http_call("GET", "https://127.0.0.1:" + port + "/api/v1/pipelines",
                              {std::string("X-API-Key: ") + read_key}, "", 10000, (dir / "cert.pem").string());
    CHECK_MESSAGE(ok.status == 200, ok.error);
    CHECK(ok.body.find("\"name\":\"n\"") != std::string::npos);
    // Plain HTTP to the TLS port gets no HTTP answer; an untrusted certificate is refused.
    CHECK(http_call("GET", "http://127.0.0.1:" + port + "/health", {}, "", 3000).status == 0);
    CHECK(http_call("GET", "https://127.0.0.1:" + port + "/health", {}, "", 3000).status == 0);
    CHECK(host.log().find("http: serving on https://127.0.0.1:" + port) != std::string::npos);
    CHECK(host.stop() == 0);
}
