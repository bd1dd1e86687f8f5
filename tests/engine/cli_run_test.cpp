// The engine through the `junction` binary: validate, run --once, signals, SIGKILL
// mid-run and restart, fatal isolation between pipelines in the daemon.
#include <set>

#include "engine_fixture.hpp"
#include "http_server.hpp"

using namespace junction::test;

namespace {
std::string junction_cmd(const std::string& args) {
    return sh_quote(JUNCTION_BIN) + " --plugin-dir " + sh_quote(std::string(JUNCTION_TEST_PLUGIN_DIR) + "/testkit") +
           " " + args;
}
std::string pipeline(const std::string& name, const std::string& reader, const std::string& writer,
                     const std::string& extra = "") {
    return R"({"name": ")" + name + R"(", )" + extra + R"( "reader": {"plugin": "testkit", "options": )" + reader +
           R"(}, "writer": {"plugin": "testkit", "options": )" + writer + "}}";
}
}  // namespace

TEST_CASE("validate accepts a good config and lists every problem of a bad one with its path") {
    TempDir dir;
    write_file(dir / "good.json", R"({"pipelines": [)" + pipeline("a", "{}", R"({"file": "o.ndjson"})") + "]}");
    auto ok = run(junction_cmd("validate " + sh_quote((dir / "good.json").string())));
    CHECK(ok.exit_code == 0);
    CHECK(ok.out.find("valid (1 pipeline: a [testkit -> testkit])") != std::string::npos);

    write_file(dir / "bad.json", R"({"pipelines": [)" + pipeline("a", R"({"count": "many"})", R"({"fil": "o"})") + "," +
                                     pipeline("b", "{}", R"({"file": "${NOPE_NOT_SET}"})") + "]}");
    auto bad = run(junction_cmd("validate " + sh_quote((dir / "bad.json").string())));
    CHECK(bad.exit_code == 3);
    // Every problem at once: the unset variable and the options of both pipelines.
    CHECK(bad.err.find("pipelines[1].writer.options.file: environment variable NOPE_NOT_SET is not set") !=
          std::string::npos);
    CHECK(bad.err.find("pipelines[0].writer.options.fil: unknown option") != std::string::npos);
    CHECK(bad.err.find("4 problems found") != std::string::npos);
    write_file(dir / "bad2.json",
               R"({"pipelines": [)" + pipeline("a", R"({"count": "many"})", R"({"fil": "o"})") + "]}");
    auto bad2 = run(junction_cmd("validate " + sh_quote((dir / "bad2.json").string())));
    CHECK(bad2.exit_code == 3);
    CHECK(bad2.err.find("pipelines[0].reader.options.count: expected an integer, got string") != std::string::npos);
    CHECK(bad2.err.find("pipelines[0].writer.options.fil: unknown option") != std::string::npos);
    CHECK(bad2.err.find("pipelines[0].writer.options.file: required option missing") != std::string::npos);
    CHECK(bad2.err.find("3 problems found") != std::string::npos);
}

TEST_CASE("run --once runs every pipeline; a fatal one fails the exit code but not the others") {
    TempDir dir;
    write_file(dir / "c.json", R"({"pipelines": [)" +
                                   pipeline("bad", R"({"count": 100})", R"({"file": "bad.ndjson", "fatal_at": 3})") +
                                   "," + pipeline("good", R"({"count": 100})", R"({"file": "good.ndjson"})") + "]}");
    auto r = run(junction_cmd("run --once " + sh_quote((dir / "c.json").string())));
    CHECK(r.exit_code == 1);
    CHECK(lines_of(read_file(dir / "good.ndjson")).size() == 100);
    CHECK(r.err.find("pipeline bad failed: writer testkit: testkit: bad credentials") != std::string::npos);
    CHECK(r.err.find("run finished pipeline=good outcome=ok") != std::string::npos);
    // No stack trace, no "terminate called".
    CHECK(r.err.find("terminate") == std::string::npos);

    auto runs = run(junction_cmd("runs " + sh_quote((dir / "c.json").string()) + " --json"));
    CHECK(runs.exit_code == 0);
    CHECK(lines_of(runs.out).size() == 2);
    CHECK(runs.out.find("\"outcome\":\"failed\"") != std::string::npos);
}

TEST_CASE("SIGKILL in the middle of a large run loses no record on restart") {
    TempDir dir;
    const int total = 200000;
    write_file(dir / "c.json", R"({"pipelines": [)" +
                                   pipeline("big", "{\"count\": " + std::to_string(total) + ", \"delay_ms\": 1}",
                                            R"({"file": "out.ndjson"})", R"("batch_size": 500,)") +
                                   "]}");
    {
        Background b(junction_cmd("run --once " + sh_quote((dir / "c.json").string())), dir / "o1", dir / "e1");
        REQUIRE(eventually([&] { return lines_of(read_file(dir / "out.ndjson")).size() > 20000; }));
        b.signal(SIGKILL);
        CHECK(b.wait() == 128 + SIGKILL);
    }
    const auto before = lines_of(read_file(dir / "out.ndjson")).size();
    CHECK(before < static_cast<std::size_t>(total));
    auto r = run(junction_cmd("run --once " + sh_quote((dir / "c.json").string())));
    CHECK(r.exit_code == 0);
    std::set<std::int64_t> seen;
    for (const auto& row : read_ndjson(dir / "out.ndjson"))
        seen.insert(row.at("n").as_int64());
    CHECK(seen.size() == static_cast<std::size_t>(total));
    CHECK(*seen.begin() == 0);
    CHECK(*seen.rbegin() == total - 1);
}

TEST_CASE("SIGTERM drains the work in flight, commits and exits 0") {
    TempDir dir;
    write_file(dir / "c.json", R"({"pipelines": [)" +
                                   pipeline("p", R"({"count": 100000000, "delay_ms": 5})", R"({"file": "out.ndjson"})",
                                            R"("batch_size": 100,)") +
                                   "]}");
    Background b(junction_cmd("run --once " + sh_quote((dir / "c.json").string())), dir / "o", dir / "e");
    REQUIRE(eventually([&] { return lines_of(read_file(dir / "out.ndjson")).size() > 500; }));
    b.signal(SIGTERM);
    CHECK(b.wait(std::chrono::seconds(20)) == 0);
    const auto written = lines_of(read_file(dir / "out.ndjson")).size();
    auto runs = run(junction_cmd("runs " + sh_quote((dir / "c.json").string()) + " p --json"));
    CHECK(runs.out.find("\"outcome\":\"stopped\"") != std::string::npos);
    CHECK(runs.out.find("\"written\":" + std::to_string(written)) != std::string::npos);
    CHECK(read_file(dir / "e").find("received SIGTERM") != std::string::npos);
}

TEST_CASE("in the daemon a fatal pipeline stops alone while the others keep their schedule") {
    TempDir dir;
    write_file(dir / "c.json", R"({"pipelines": [)" +
                                   pipeline("broken", R"({"count": 5})", R"({"file": "b.ndjson", "fatal_at": 0})",
                                            R"("schedule": {"interval_ms": 50},)") +
                                   "," +
                                   pipeline("ticking", R"({"count": 1})", R"({"file": "t.ndjson"})",
                                            R"("schedule": {"interval_ms": 100},)") +
                                   "]}");
    // "ticking" re-reads from its committed position each run, so it only writes once;
    // its runs are counted in the history instead.
    Background b(junction_cmd("run " + sh_quote((dir / "c.json").string())), dir / "o", dir / "e");
    auto ticking_runs = [&] {
        auto r = run(junction_cmd("runs " + sh_quote((dir / "c.json").string()) + " ticking --json --limit 100"));
        return lines_of(r.out).size();
    };
    CHECK(eventually([&] { return ticking_runs() >= 5; }));
    b.signal(SIGTERM);
    CHECK(b.wait(std::chrono::seconds(20)) == 1);  // a pipeline stopped on a fatal error: exit 1 for supervisors
    const auto err = read_file(dir / "e");
    CHECK(err.find("pipeline broken stopped after a fatal error") != std::string::npos);
    auto broken = run(junction_cmd("runs " + sh_quote((dir / "c.json").string()) + " broken --json --limit 100"));
    CHECK(lines_of(broken.out).size() == 1);
}

TEST_CASE("dead-letters lists rejected records and --replay sends them through again") {
    TempDir dir;
    auto config = [&](int reject_every) {
        write_file(dir / "c.json", R"({"pipelines": [{"name": "p",
            "reader": {"plugin": "testkit", "options": {"count": 20}},
            "translators": [{"plugin": "testkit", "options": {"reject_every": )" +
                                       std::to_string(reject_every) + R"(}}],
            "writer": {"plugin": "testkit", "options": {"file": "out.ndjson"}}}]})");
    };
    const auto cfg = sh_quote((dir / "c.json").string());
    config(5);
    CHECK(run(junction_cmd("run --once " + cfg)).exit_code == 0);
    auto listed = run(junction_cmd("dead-letters " + cfg + " p"));
    CHECK(listed.exit_code == 0);
    CHECK(lines_of(listed.out).size() == 4);
    CHECK(listed.out.find("translator testkit testkit key=5: n=15 is divisible by 5") != std::string::npos);
    // --resolve marks one as dealt with; it leaves the open list
    auto first_id = listed.out.substr(1, listed.out.find(' ') - 1);
    CHECK(run(junction_cmd("dead-letters " + cfg + " p --resolve --id " + first_id)).out == "resolved 1 dead letter\n");
    CHECK(lines_of(run(junction_cmd("dead-letters " + cfg + " p")).out).size() == 3);
    auto as_json = run(junction_cmd("dead-letters " + cfg + " p --json"));
    CHECK(as_json.out.find("\"payload\":{\"n\":0,") != std::string::npos);

    config(0);  // the cause is fixed
    auto replay = run(junction_cmd("dead-letters " + cfg + " p --replay"));
    CHECK(replay.exit_code == 0);
    CHECK(replay.out.find("replayed 3: written 3, rejected again 0, failed 0") != std::string::npos);
    CHECK(lines_of(read_file(dir / "out.ndjson")).size() == 19);  // the resolved one stays out
    CHECK(run(junction_cmd("dead-letters " + cfg + " p")).out.find("(no dead letters)") != std::string::npos);
    CHECK(lines_of(run(junction_cmd("dead-letters " + cfg + " p --all")).out).size() == 4);
}

TEST_CASE("runs and dead-letters work where the pipeline's plugins are not installed; replay says which is missing") {
    TempDir dir;
    write_file(dir / "c.json", R"({"pipelines": [{"name": "p",
        "reader": {"plugin": "testkit", "options": {"count": 10}},
        "translators": [{"plugin": "testkit", "options": {"reject_every": 5}}],
        "writer": {"plugin": "testkit", "options": {"file": "out.ndjson"}}}]})");
    const auto cfg = sh_quote((dir / "c.json").string());
    REQUIRE(run(junction_cmd("run --once " + cfg)).exit_code == 0);
    // An operator's machine: the state store and the config, no testkit plugin.
    const auto bare = sh_quote(JUNCTION_BIN) + " --plugin-dir " + sh_quote((dir / "no-plugins").string()) + " ";
    auto runs = run(bare + "runs " + cfg + " --json");
    CHECK_MESSAGE(runs.exit_code == 0, runs.err);
    CHECK(lines_of(runs.out).size() == 1);
    auto letters = run(bare + "dead-letters " + cfg + " p");
    CHECK_MESSAGE(letters.exit_code == 0, letters.err);
    CHECK(lines_of(letters.out).size() == 2);
    CHECK(run(bare + "dead-letters " + cfg + " nope").exit_code == 2);
    auto replay = run(bare + "dead-letters " + cfg + " p --replay");
    CHECK(replay.exit_code != 0);
    CHECK(replay.err.find("no plugin named \"testkit\" is loaded") != std::string::npos);
}

TEST_CASE("a plugin reaches an OAuth2-protected API through the context, and no secret reaches a log line") {
    HttpServer server;
    TempDir dir;
    write_file(dir / "c.json", R"({"state": "state.db",
        "connections": {"api": {"type": "oauth2", "token_url": ")" + server.url("/oauth/engine/token") + R"(",
                                "client_id": "junction-client", "client_secret": "client-s3cret-value"}},
        "pipelines": [{"name": "p",
            "reader": {"plugin": "testkit", "options": {"count": 1, "connection": "api",
                       "fetch": ")" + server.url("/oauth/engine/resource") + R"("}},
            "writer": {"plugin": "testkit", "options": {"file": "out.ndjson"}}}]})");
    for (const char* format : {"text", "json"}) {
        auto r = run(junction_cmd(std::string("--log-level trace --log-format ") + format + " run --once " +
                                  sh_quote((dir / "c.json").string())));
        CHECK_MESSAGE(r.exit_code == 0, r.err);
        CHECK(r.err.find("s3cret") == std::string::npos);
        CHECK(r.out.find("s3cret") == std::string::npos);
    }
    auto store = junction::core::StateStore::open(dir / "state.db");
    const auto fetched = store->kv_get("p/testkit/reader", "fetched");
    REQUIRE(fetched.has_value());
    CHECK(fetched->find("\"ok\":true") != std::string::npos);
    CHECK(run("grep -c s3cret " + sh_quote((dir / "state.db").string())).out == "0\n");
}

TEST_CASE("a connection's bad client secret stops the pipeline with one fatal line naming the connection") {
    HttpServer server;
    TempDir dir;
    write_file(dir / "c.json", R"({"connections": {"api": {"type": "oauth2",
            "token_url": ")" + server.url("/oauth/engine/token") + R"(",
            "client_id": "junction-client", "client_secret": "wrong-s3cret"}},
        "pipelines": [{"name": "p",
            "reader": {"plugin": "testkit", "options": {"count": 1, "connection": "api",
                       "fetch": ")" + server.url("/oauth/engine/resource") + R"("}},
            "writer": {"plugin": "testkit", "options": {"file": "out.ndjson"}}}]})");
    auto r = run(junction_cmd("run --once " + sh_quote((dir / "c.json").string())));
    CHECK(r.exit_code == 1);
    CHECK(r.err.find("s3cret") == std::string::npos);
    CHECK(r.err.find("invalid_client") != std::string::npos);
    CHECK(r.err.find("api") != std::string::npos);
}

TEST_CASE("a connection's rate limit is one budget for every pipeline that names it; validate refuses a bad one") {
    HttpServer server;
    TempDir dir;
    // Three pipelines, each fetching once through connection "open" (type none): with one
    // request a second and a burst of 1, the third waits about 2 s behind the first two.
    std::string pipelines;
    for (int i = 0; i < 3; ++i)
        pipelines += std::string(i == 0 ? "" : ",") +
                     pipeline("p" + std::to_string(i),
                              R"({"count": 1, "connection": "open", "fetch": ")" + server.url("/echo?key=shared") +
                                  R"("})",
                              R"({"file": "out.ndjson"})");
    write_file(dir / "c.json",
               R"({"state": "state.db",
                   "connections": {"open": {"type": "none", "rate_limit": {"requests_per_second": 1, "burst": 1}}},
                   "pipelines": [)" + pipelines + "]}");
    const auto started = std::chrono::steady_clock::now();
    auto r = run(junction_cmd("--log-level debug run --once " + sh_quote((dir / "c.json").string())));
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
    CHECK_MESSAGE(r.exit_code == 0, r.err);
    auto store = junction::core::StateStore::open(dir / "state.db");
    for (int i = 0; i < 3; ++i)
        CHECK(store->kv_get("p" + std::to_string(i) + "/testkit/reader", "fetched").has_value());
    CHECK(took.count() >= 1.9);
    CHECK(r.err.find("connection open: waiting") != std::string::npos);

    write_file(dir / "bad.json", R"({"connections": {"github": {"type": "bearer", "token": "t",
                   "rate_limit": {"requests_per_second": 0}}},
                   "pipelines": [)" + pipeline("p", R"({"count": 1})", R"({"file": "out.ndjson"})") + "]}");
    auto bad = run(junction_cmd("validate " + sh_quote((dir / "bad.json").string())));
    CHECK(bad.exit_code == 3);
    CHECK(bad.err.find("bad.json: connections.github.rate_limit.requests_per_second: must be > 0, got 0") !=
          std::string::npos);
}
