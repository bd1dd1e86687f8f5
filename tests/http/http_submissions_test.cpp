// Intake endpoints through the real binary: POST /api/v1/submissions/formulas with the
// formula example's schema, sum check and identity in substance, stored by the docstore
// intake with its outbox, relayed by a docstore reader (outbox: true) to an ndjson file.
// Covers 415, 405, 400 with every problem, 202 and the lookup, duplicates in substance,
// Idempotency-Key replay, 422 and 409, 200 concurrent identical submissions, and SIGKILL
// before and after the store's commit.
#include <doctest/doctest.h>

#include <atomic>
#include <set>
#include <thread>

#include <boost/json.hpp>

#include "http_client.hpp"
#include "junction_daemon.hpp"
#include "subprocess.hpp"
#include "temp_dir.hpp"

using namespace junction::test;
namespace json = boost::json;

namespace {

constexpr const char* key = "submissions-key-9b1e";
constexpr const char* reader_key = "submissions-read-3c7a";

const char* formula_a = R"({"name": "Chypre", "materials": [{"name": "Bergamot oil", "concentration": 15.5},
                                                             {"name": "Oakmoss", "concentration": 2}]})";
// The same in substance: another name, other order, case and spacing, 15.50 and 2.0e0.
const char* formula_a_again = R"({"name": "Chypre No. 2", "materials": [{"name": " OAKMOSS ", "concentration": 2.0e0},
                                                                       {"name": "bergamot OIL", "concentration": 15.50}]})";
const char* formula_b = R"({"name": "Chypre", "materials": [{"name": "Bergamot oil", "concentration": 15.6},
                                                             {"name": "Oakmoss", "concentration": 2}]})";

// The relay to the files writer (the default), or the example's chain: the relay to the
// embedded queue and a consumer into a docstore collection, each run only when asked
// (`junction run --once --pipeline`: their cron schedule, at midnight on January 1st,
// keeps the daemon from running them).
const char* relay_to_file = R"([{"name": "formulas-relay", "schedule": {"poll_ms": 100},
    "reader": {"plugin": "docstore", "options": {"path": "formulas.db", "collection": "formulas", "outbox": true,
                                                 "ack_set": {"published_at": "$now"}}},
    "writer": {"plugin": "files", "options": {"dir": "out", "format": "ndjson", "file": "formulas.ndjson"}}}])";
const char* relay_to_queue = R"([
  {"name": "formulas-relay", "schedule": {"cron": "0 0 1 1 *"},
   "reader": {"plugin": "docstore", "options": {"path": "formulas.db", "collection": "formulas", "outbox": true,
                                                "ack_set": {"published_at": "$now"}}},
   "writer": {"plugin": "queue", "options": {"path": "queue.db", "queue": "formulas", "dedup_id": "_id"}}},
  {"name": "formulas-to-store", "schedule": {"cron": "0 0 1 1 *"},
   "reader": {"plugin": "queue", "options": {"path": "queue.db", "queue": "formulas", "consumer": "store",
                                             "ack_wait_ms": 1000}},
   "translators": [{"plugin": "mapping", "options": {"rename": {"_id": "submission_id"}}}],
   "writer": {"plugin": "docstore", "options": {"path": "received.db", "collection": "formulas",
                                                "upsert_key": ["submission_id"]}}}])";

struct Host {
    TempDir dir;
    std::unique_ptr<JunctionDaemon> daemon;
    std::string pipelines;

    explicit Host(const std::string& extra_args = "", std::string pipelines_json = relay_to_file)
        : pipelines(std::move(pipelines_json)) {
        start(extra_args);
    }

    void write_config() {
        write_file(dir / "c.json", R"({
  "state": "state.db",
  "http": {"listen": "127.0.0.1:0", "port_file": "port", "workers": 4,
           "api_keys": [{"id": "client", "key_env": "T_SUBMIT_KEY", "scopes": ["operate"]},
                        {"id": "reader", "key_env": "T_READ_KEY", "scopes": ["read"]}],
           "submissions": [{
             "route": "formulas", "plugin": "docstore",
             "options": {"path": "formulas.db", "collection": "formulas"},
             "schema": {"type": "object", "required": ["name", "materials"], "additionalProperties": false,
                        "properties": {
                          "name": {"type": "string", "minLength": 1},
                          "materials": {"type": "array", "minItems": 1, "items": {
                            "type": "object", "required": ["name", "concentration"], "additionalProperties": false,
                            "properties": {"name": {"type": "string", "minLength": 1},
                                           "concentration": {"type": "number", "exclusiveMinimum": 0,
                                                             "maximum": 100}}}}}},
             "checks": [{"sum": "/materials/*/concentration", "at_most": "100"}],
             "identity": {"fields": {"materials": {"set_of": {"fields": {"name": "folded_text",
                                                                         "concentration": "decimal"}}}}},
             "idempotency_window_s": 3600},
            {"route": "strict", "plugin": "docstore", "options": {"path": "strict.db", "collection": "strict"},
             "require_idempotency_key": true}]},
  "pipelines": )" + pipelines + "}");
    }
    void start(const std::string& extra_args = "") {
        write_config();
        std::filesystem::remove(dir / "port");
        daemon = std::make_unique<JunctionDaemon>(
            dir / "c.json", std::string("T_SUBMIT_KEY=") + key + " T_READ_KEY=" + reader_key, extra_args);
    }
    [[nodiscard]] std::string url(const std::string& path) const { return daemon->url(path); }
    HttpReply post(const std::string& body, std::vector<std::string> headers = {},
                   const std::string& content_type = "application/json") const {
        headers.push_back(std::string("X-API-Key: ") + key);
        if (!content_type.empty()) headers.push_back("Content-Type: " + content_type);
        return http_call("POST", url("/api/v1/submissions/formulas"), headers, body);
    }
    HttpReply get(const std::string& path) const {
        return http_call("GET", url(path), {std::string("X-API-Key: ") + reader_key});
    }
    // The relayed submissions, one JSON object per line of the relay's file.
    [[nodiscard]] std::vector<json::object> relayed() const {
        std::vector<json::object> out;
        const auto text = std::filesystem::exists(dir / "out" / "formulas.ndjson")
                              ? read_file(dir / "out" / "formulas.ndjson")
                              : std::string();
        std::size_t start = 0;
        while (start < text.size()) {
            auto end = text.find('\n', start);
            if (end == std::string::npos) end = text.size();
            if (end > start) out.push_back(json::parse(text.substr(start, end - start)).as_object());
            start = end + 1;
        }
        return out;
    }
    [[nodiscard]] std::string log() const { return daemon->log(); }
    // `junction run --once --pipeline NAME` with more options; its exit code and stderr.
    Result run_once(const std::string& pipeline, const std::string& more = "") const {
        return run("cd " + sh_quote(dir.path().string()) + " && " + JUNCTION_BIN + " --plugin-dir " +
                   JUNCTION_PLUGIN_DIR + " run c.json --once --pipeline " + pipeline + " " + more);
    }
    [[nodiscard]] std::int64_t count(const std::string& db, const std::string& sql) const {
        const auto r = run("sqlite3 " + sh_quote((dir / db).string()) + " " + sh_quote(sql));
        REQUIRE_MESSAGE(r.exit_code == 0, r.err);
        return std::stoll(r.out);
    }
    [[nodiscard]] std::string state(const std::string& id) const {
        return std::string(body_of(get("/api/v1/submissions/formulas/" + id)).at("state").as_string());
    }
};

std::string id_of(const HttpReply& r) {
    return std::string(body_of(r).at("id").as_string());
}

}  // namespace

TEST_CASE("a formula is stored once (202 with Location), looked up, and relayed from the outbox") {
    Host h;
    const auto r = h.post(formula_a);
    REQUIRE_MESSAGE(r.status == 202, r.body, h.log());
    const auto id = id_of(r);
    CHECK(body_of(r).at("duplicate") == false);
    CHECK(r.header("location") == "/api/v1/submissions/formulas/" + id);

    REQUIRE_MESSAGE(eventually([&] { return h.relayed().size() == 1; }), h.log());
    const auto line = h.relayed().front();
    CHECK(line.at("_id").as_string() == id);
    CHECK(line.at("payload").at("name") == "Chypre");
    CHECK(line.at("identity").as_string().size() == 64);

    // The state endpoint says published once the relay's writer flushed.
    REQUIRE(eventually([&] { return body_of(h.get("/api/v1/submissions/formulas/" + id)).at("state") == "published"; }));
    const auto looked = body_of(h.get("/api/v1/submissions/formulas/" + id));
    CHECK(looked.at("route") == "formulas");
    CHECK(looked.at("payload").at("materials").as_array().size() == 2);
    CHECK(looked.at("published_at").is_string());
    CHECK(h.get("/api/v1/submissions/formulas/000000000000000000000000").status == 404);
    // Looking up needs a key with read; submitting needs operate.
    CHECK(http_call("GET", h.url("/api/v1/submissions/formulas/" + id)).status == 401);
    CHECK(http_call("POST", h.url("/api/v1/submissions/formulas"),
                    {std::string("X-API-Key: ") + reader_key, "Content-Type: application/json"}, formula_b)
              .status == 403);
}

TEST_CASE("a duplicate in substance gets 200 with the original id and is neither stored nor relayed again") {
    Host h;
    const auto first = h.post(formula_a);
    REQUIRE_MESSAGE(first.status == 202, first.body);
    const auto again = h.post(formula_a_again);
    REQUIRE_MESSAGE(again.status == 200, again.body);
    CHECK(body_of(again).at("duplicate") == true);
    CHECK(id_of(again) == id_of(first));
    CHECK(again.header("location") == first.header("location"));
    // Same name, other materials: another formula.
    const auto other = h.post(formula_b);
    REQUIRE_MESSAGE(other.status == 202, other.body);
    CHECK(id_of(other) != id_of(first));

    REQUIRE_MESSAGE(eventually([&] { return h.relayed().size() == 2; }), h.log());
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // several polls of the relay
    const auto lines = h.relayed();
    REQUIRE(lines.size() == 2);
    CHECK(lines[0].at("_id").as_string() == id_of(first));  // in the order they were stored
    CHECK(lines[1].at("_id").as_string() == id_of(other));
    // Counted by result, under the name the README gives.
    const auto metrics = h.get("/metrics").body;
    CHECK(metrics.find("junction_submissions_total{result=\"stored\",route=\"formulas\"} 2") != std::string::npos);
    CHECK(metrics.find("junction_submissions_total{result=\"duplicate\",route=\"formulas\"} 1") != std::string::npos);
    CHECK(metrics.find("junction_junction_") == std::string::npos);
}

TEST_CASE("bad submissions: 415, 405, and 400 with every problem at its JSON Pointer") {
    Host h;
    CHECK(h.post(formula_a, {}, "text/plain").status == 415);
    CHECK(h.post(formula_a, {}, "").status == 415);
    CHECK(h.post(formula_a, {}, "Application/JSON; charset=utf-8").status == 202);
    const auto put = http_call("PUT", h.url("/api/v1/submissions/formulas"),
                               {std::string("X-API-Key: ") + key, "Content-Type: application/json"}, formula_a);
    CHECK(put.status == 405);
    CHECK(put.header("allow").value_or("").find("POST") != std::string::npos);
    CHECK(h.post(formula_a, {}, "application/json").status == 200);  // the duplicate of the first

    const auto not_json = h.post(R"({"name": "x", "materials": [)");
    REQUIRE(not_json.status == 400);
    CHECK(body_of(not_json).at("error").at("code") == "invalid");

    const auto bad = h.post(R"({"name": "", "extra": 1, "materials": [{"name": "A", "concentration": 0},
                                                                   {"name": "B", "concentration": "5"},
                                                                   {"concentration": 100.000000000000001}]})");
    REQUIRE(bad.status == 400);
    std::set<std::string> paths;
    const auto bad_body = body_of(bad);
    for (const auto& p : bad_body.at("error").at("problems").as_array())
        paths.insert(std::string(p.at("path").as_string()));
    CHECK(paths == std::set<std::string>{"/name", "/extra", "/materials/0/concentration",
                                         "/materials/1/concentration", "/materials/2/name", "/materials/2/concentration"});

    // The sum check, exactly: 33.3 + 33.3 + 33.4 is 100 (accepted); 50 + 50.01 is not.
    const auto exact = h.post(R"({"name": "T", "materials": [{"name": "a", "concentration": 33.3},
        {"name": "b", "concentration": 33.3}, {"name": "c", "concentration": 33.4}]})");
    CHECK_MESSAGE(exact.status == 202, exact.body);
    const auto over = h.post(R"({"name": "T", "materials": [{"name": "a", "concentration": 50},
        {"name": "b", "concentration": 50.01}]})");
    REQUIRE(over.status == 400);
    const auto problems = body_of(over).at("error").at("problems").as_array();
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].at("path") == "/materials");
    CHECK(std::string(problems[0].at("message").as_string()).find("100.01") != std::string::npos);

    // Nothing invalid was stored: two formulas relayed.
    REQUIRE(eventually([&] { return h.relayed().size() == 2; }));
}

TEST_CASE("Idempotency-Key: the first answer replayed, 422 for another body, 400 for a bad key") {
    Host h;
    const auto first = h.post(formula_a, {"Idempotency-Key: \"order-1\""});
    REQUIRE_MESSAGE(first.status == 202, first.body);
    const auto replay = h.post(formula_a, {"Idempotency-Key: order-1"});  // bare and quoted are the same key
    CHECK(replay.status == 202);
    CHECK(replay.body == first.body);
    CHECK(replay.header("idempotent-replayed") == "true");
    CHECK(replay.header("location") == first.header("location"));
    // The same body in other words (key order, spacing, 15.50) is the same request.
    const auto reworded = h.post(R"({"materials": [{"concentration": 15.50, "name": "Bergamot oil"},
        {"name": "Oakmoss", "concentration": 2}], "name": "Chypre"})",
                                 {"Idempotency-Key: order-1"});
    CHECK(reworded.status == 202);
    CHECK(reworded.body == first.body);

    const auto reused = h.post(formula_b, {"Idempotency-Key: order-1"});
    CHECK(reused.status == 422);
    CHECK(body_of(reused).at("error").at("code") == "idempotency_key_reused");

    // A key first used for a duplicate replays the 200.
    const auto dup = h.post(formula_a_again, {"Idempotency-Key: order-2"});
    REQUIRE(dup.status == 200);
    const auto dup_replay = h.post(formula_a_again, {"Idempotency-Key: order-2"});
    CHECK(dup_replay.status == 200);
    CHECK(dup_replay.body == dup.body);

    CHECK(h.post(formula_b, {"Idempotency-Key: " + std::string(256, 'k')}).status == 400);
    CHECK(h.post(formula_b, {"Idempotency-Key: \"\""}).status == 400);
    // A route that requires the key refuses a request without one.
    const auto strict_url = h.url("/api/v1/submissions/strict");
    const std::vector<std::string> strict_headers{std::string("X-API-Key: ") + key, "Content-Type: application/json"};
    const auto no_key = http_call("POST", strict_url, strict_headers, formula_a);
    CHECK(no_key.status == 400);
    CHECK(body_of(no_key).at("error").at("code") == "idempotency_key_required");
    auto with_key = strict_headers;
    with_key.push_back("Idempotency-Key: s-1");
    CHECK(http_call("POST", strict_url, with_key, formula_a).status == 202);
    REQUIRE(eventually([&] { return h.relayed().size() == 1; }));

    // Keys survive a restart (they are in the store, not in memory).
    h.daemon->stop();
    h.start();
    const auto after_restart = h.post(formula_a, {"Idempotency-Key: order-1"});
    CHECK(after_restart.status == 202);
    CHECK(after_restart.body == first.body);
    CHECK(h.post(formula_b, {"Idempotency-Key: order-1"}).status == 422);
}

TEST_CASE("Idempotency-Key: 409 while the first request with the key is in flight") {
    Host h("--test-fault slow_submit");
    std::atomic<long> first_status{0};
    std::thread first([&] { first_status = h.post(formula_a, {"Idempotency-Key: slow-1"}).status; });
    std::this_thread::sleep_for(std::chrono::milliseconds(400));  // the first holds the key for 1.5 s
    const auto second = h.post(formula_a, {"Idempotency-Key: slow-1"});
    first.join();
    CHECK(first_status == 202);
    CHECK(second.status == 409);
    CHECK(second.header("retry-after") == "1");
    CHECK(body_of(second).at("error").at("code") == "in_flight");
    // Once it is done, the key replays.
    CHECK(h.post(formula_a, {"Idempotency-Key: slow-1"}).status == 202);
}

TEST_CASE("200 identical submissions at once over 50 connections: one stored, one relayed, one id for all") {
    Host h;
    std::vector<std::string> ids(200);
    std::vector<long> statuses(200, 0);
    std::vector<std::thread> clients;
    for (int c = 0; c < 50; ++c)
        clients.emplace_back([&, c] {
            for (int i = c; i < 200; i += 50) {
                const auto r = h.post(i % 2 ? formula_a : formula_a_again);
                statuses[static_cast<std::size_t>(i)] = r.status;
                if (r.status == 200 || r.status == 202) ids[static_cast<std::size_t>(i)] = id_of(r);
            }
        });
    for (auto& t : clients)
        t.join();
    CHECK(std::count(statuses.begin(), statuses.end(), 202) == 1);
    CHECK(std::count(statuses.begin(), statuses.end(), 200) == 199);
    CHECK(std::set<std::string>(ids.begin(), ids.end()).size() == 1);
    REQUIRE_MESSAGE(eventually([&] { return h.relayed().size() == 1; }), h.log());
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    CHECK(h.relayed().size() == 1);
    CHECK(h.relayed().front().at("_id").as_string() == ids.front());
}

TEST_CASE("SIGKILL before the store's commit: no answer, nothing stored; a retry is stored once") {
    Host h("--test-fault kill_before_submit");
    const auto lost = h.post(formula_a, {"Idempotency-Key: crash-1"});
    CHECK(lost.status == 0);  // the connection died with the process
    h.daemon->stop();
    h.start();
    const auto retry = h.post(formula_a, {"Idempotency-Key: crash-1"});
    REQUIRE_MESSAGE(retry.status == 202, retry.body);  // stored now, not a replay
    CHECK_FALSE(retry.header("idempotent-replayed").has_value());
    REQUIRE(eventually([&] { return h.relayed().size() == 1; }));
}

TEST_CASE("SIGKILL after the commit, before the answer: the retry with its key gets the id; relayed once") {
    Host h("--test-fault kill_after_submit");
    const auto lost = h.post(formula_a, {"Idempotency-Key: crash-2"});
    CHECK(lost.status == 0);
    h.daemon->stop();
    h.start();
    const auto retry = h.post(formula_a, {"Idempotency-Key: crash-2"});
    REQUIRE_MESSAGE(retry.status == 202, retry.body);
    CHECK(retry.header("idempotent-replayed") == "true");
    // Without a key, the duplicate check gives the same id.
    const auto again = h.post(formula_a_again);
    CHECK(again.status == 200);
    CHECK(id_of(again) == id_of(retry));
    REQUIRE_MESSAGE(eventually([&] { return h.relayed().size() == 1; }), h.log());
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    CHECK(h.relayed().size() == 1);
    CHECK(h.relayed().front().at("_id").as_string() == id_of(retry));
}

TEST_CASE("SIGKILL in the relay after publishing, before marking, and in the consumer before its ack: each once") {
    Host h("", relay_to_queue);
    std::vector<std::string> ids;
    for (const auto* body : {formula_a, formula_b}) {
        const auto r = h.post(body);
        REQUIRE_MESSAGE(r.status == 202, r.body);
        ids.push_back(id_of(r));
    }
    CHECK(h.state(ids[0]) == "pending");
    h.daemon->stop();

    // The relay publishes both, commits, and dies before marking them (exit_before_ack).
    auto r = h.run_once("formulas-relay", "--test-fault exit_before_ack");
    CHECK_MESSAGE(r.exit_code == 86, r.err);
    CHECK(h.count("queue.db", "SELECT count(*) FROM messages") == 2);
    CHECK(h.count("formulas.db", "SELECT count(*) FROM formulas__outbox") == 2);  // not marked
    // Run again: it publishes both again, the queue drops them (the same deduplication id),
    // and it marks them.
    r = h.run_once("formulas-relay");
    CHECK_MESSAGE(r.exit_code == 0, r.err);
    CHECK(h.count("queue.db", "SELECT count(*) FROM messages") == 2);
    CHECK(h.count("formulas.db", "SELECT count(*) FROM formulas__outbox") == 0);

    // The consumer writes both, commits, and dies before acknowledging them.
    r = h.run_once("formulas-to-store", "--test-fault exit_before_ack");
    CHECK_MESSAGE(r.exit_code == 86, r.err);
    CHECK(h.count("received.db", "SELECT count(*) FROM formulas") == 2);
    CHECK(h.count("queue.db", "SELECT count(*) FROM deliveries WHERE consumer = 'store'") == 2);
    // Still leased for ack_wait_ms (1 s): nothing now; then both again, upserted in place.
    r = h.run_once("formulas-to-store");
    CHECK_MESSAGE(r.exit_code == 0, r.err);
    CHECK(h.count("queue.db", "SELECT count(*) FROM deliveries WHERE consumer = 'store'") == 2);
    std::this_thread::sleep_for(std::chrono::milliseconds(1200));
    r = h.run_once("formulas-to-store");
    CHECK_MESSAGE(r.exit_code == 0, r.err);
    CHECK(h.count("queue.db", "SELECT count(*) FROM deliveries WHERE consumer = 'store'") == 0);
    CHECK(h.count("received.db", "SELECT count(*) FROM formulas") == 2);
    CHECK(h.count("received.db", "SELECT count(DISTINCT json_extract(doc, '$.submission_id')) FROM formulas") == 2);

    // The state endpoint tells the truth: both published.
    h.start();
    CHECK(h.state(ids[0]) == "published");
    CHECK(h.state(ids[1]) == "published");
}
