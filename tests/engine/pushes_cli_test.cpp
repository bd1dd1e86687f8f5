// The push log through the `junction` binary: a writer's pushes (testkit's push_provider)
// logged one line each, kept in the run history with their run, listed by
// `runs --pushes` as text and JSON, failures with their (scrubbed) error.
#include <boost/json/parse.hpp>

#include "engine_fixture.hpp"

using namespace junction::test;

namespace {

std::string junction_cmd(const std::string& args) {
    return sh_quote(JUNCTION_BIN) + " --plugin-dir " + sh_quote(std::string(JUNCTION_TEST_PLUGIN_DIR) + "/testkit") +
           " " + args;
}

// 25 records in batches of 10: three pushes, the first of which fails once (a simulated
// outage, retried): four pushes in all.
void write_config(const TempDir& dir) {
    write_file(dir / "c.json", R"({"state": "state.db", "pipelines": [{"name": "contacts", "batch_size": 10,
        "retry": {"initial_backoff_ms": 1, "max_backoff_ms": 5},
        "reader": {"plugin": "testkit", "options": {"count": 25}},
        "writer": {"plugin": "testkit", "options": {"file": "out.ndjson", "push_provider": "fakebox",
                   "fail_first": 1, "token": "tok-s3cret-value"}}}]})");
}

}  // namespace

TEST_CASE("each push is logged in one line and listed by runs --pushes, newest first, failures with their error") {
    TempDir dir;
    write_config(dir);
    const auto cfg = sh_quote((dir / "c.json").string());
    auto r = run(junction_cmd("run --once " + cfg));
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    // One line per push: a warning for the failed one, info for the others; no secret.
    std::size_t ok_lines = 0, failed_lines = 0;
    for (const auto& line : lines_of(r.err)) {
        if (line.find("push provider=fakebox target=numbers") == std::string::npos) continue;
        if (line.find(" ok") != std::string::npos) ++ok_lines;
        if (line.find("failed: testkit: simulated outage 1 (token ***)") != std::string::npos) ++failed_lines;
    }
    CHECK(ok_lines == 3);
    CHECK(failed_lines == 1);
    CHECK(r.err.find("s3cret") == std::string::npos);

    auto text = run(junction_cmd("runs " + cfg + " --pushes"));
    REQUIRE_MESSAGE(text.exit_code == 0, text.err);
    const auto lines = lines_of(text.out);
    REQUIRE(lines.size() == 5);  // a header and four pushes
    CHECK(lines[0].find("SENT AT") == 0);
    const auto rows_at = lines[0].find("ROWS");  // every column starts where its header does
    for (std::size_t i = 1; i < lines.size(); ++i)
        CHECK(lines[i].substr(rows_at - 2, 2) == "  ");
    CHECK(lines[1].find("contacts") != std::string::npos);
    CHECK(lines[1].find("fakebox") != std::string::npos);
    CHECK(lines[1].find(" 5 ") != std::string::npos);  // the last batch: 5 rows, listed first
    CHECK(lines[1].find("ok      3 (key, n, text)") != std::string::npos);
    CHECK(lines[4].find("failed  3 (key, n, text)  error: testkit: simulated outage 1 (token ***)") !=
          std::string::npos);
    CHECK(text.out.find("s3cret") == std::string::npos);

    auto limited = run(junction_cmd("runs " + cfg + " contacts --pushes --limit 1"));
    CHECK(lines_of(limited.out).size() == 2);
    CHECK(run(junction_cmd("runs " + cfg + " nope --pushes")).exit_code == 2);
}

TEST_CASE("runs --pushes --json: one object per line with the push's run, and it works without the plugins") {
    TempDir dir;
    write_config(dir);
    const auto cfg = sh_quote((dir / "c.json").string());
    REQUIRE(run(junction_cmd("run --once " + cfg)).exit_code == 0);
    const auto runs = lines_of(run(junction_cmd("runs " + cfg + " --json")).out);
    REQUIRE(runs.size() == 1);
    const auto run_id = boost::json::parse(runs[0]).as_object().at("id").as_int64();

    // An operator's machine: the state store and the config, no testkit plugin.
    const auto bare = sh_quote(JUNCTION_BIN) + " --plugin-dir " + sh_quote((dir / "no-plugins").string()) + " ";
    auto listed = run(bare + "runs " + cfg + " --pushes --json");
    REQUIRE_MESSAGE(listed.exit_code == 0, listed.err);
    const auto lines = lines_of(listed.out);
    REQUIRE(lines.size() == 4);
    std::uint64_t rows_ok = 0;
    std::int64_t last_id = 0;
    for (const auto& line : lines) {
        const auto o = boost::json::parse(line).as_object();
        CHECK(o.at("run_id").as_int64() == run_id);
        CHECK(o.at("pipeline").as_string() == "contacts");
        CHECK(o.at("plugin").as_string() == "testkit");
        CHECK(o.at("provider").as_string() == "fakebox");
        CHECK(o.at("target").as_string() == "numbers");
        CHECK(o.at("columns").as_array().size() == 3);
        CHECK(o.at("sent_at").as_string().size() == 24);
        CHECK(o.at("request_id").as_string().starts_with("req-"));
        if (last_id != 0) CHECK(o.at("id").as_int64() < last_id);  // newest first
        last_id = o.at("id").as_int64();
        if (o.at("ok").as_bool()) {
            rows_ok += o.at("rows").to_number<std::uint64_t>();
            CHECK(o.at("error").as_string().empty());
        } else {
            CHECK(o.at("error").as_string() == "testkit: simulated outage 1 (token ***)");
        }
    }
    CHECK(rows_ok == 25);
    CHECK(run("grep -c s3cret " + sh_quote((dir / "state.db").string())).out == "0\n");
}

TEST_CASE("runs --pushes says so when nothing was pushed") {
    TempDir dir;
    write_file(dir / "c.json", R"({"state": "state.db", "pipelines": [{"name": "p",
        "reader": {"plugin": "testkit", "options": {"count": 3}},
        "writer": {"plugin": "testkit", "options": {"file": "out.ndjson"}}}]})");
    const auto cfg = sh_quote((dir / "c.json").string());
    REQUIRE(run(junction_cmd("run --once " + cfg)).exit_code == 0);
    auto listed = run(junction_cmd("runs " + cfg + " --pushes"));
    CHECK(listed.out.find("(no pushes recorded yet)") != std::string::npos);
    CHECK(run(junction_cmd("runs " + cfg + " --pushes --json")).out.empty());
}

TEST_CASE("runs and dead-letters need no secret: an unset ${VAR} in connections or plugin options is not an error "
          "there, but it still is where it names the state file") {
    TempDir dir;
    write_file(dir / "c.json", R"({"state": "state.db",
        "connections": {"crm": {"type": "bearer", "token": "${JUNCTION_TEST_UNSET_TOKEN}"}},
        "pipelines": [{"name": "p",
        "reader": {"plugin": "testkit", "options": {"count": 3}},
        "writer": {"plugin": "testkit", "options": {"file": "${JUNCTION_TEST_UNSET_OUT:-out.ndjson}"}}}]})");
    const auto cfg = sh_quote((dir / "c.json").string());
    const std::string env = "env -u JUNCTION_TEST_UNSET_TOKEN -u JUNCTION_TEST_UNSET_STATE ";
    // A run needs the token: refused, naming the variable.
    auto r = run(env + junction_cmd("run --once " + cfg));
    CHECK(r.exit_code == 3);
    CHECK(r.err.find("connections.crm.token: environment variable JUNCTION_TEST_UNSET_TOKEN is not set") !=
          std::string::npos);
    // Reading the history does not.
    r = run(env + junction_cmd("runs " + cfg));
    CHECK_MESSAGE(r.exit_code == 0, r.err);
    r = run(env + junction_cmd("runs " + cfg + " --pushes"));
    CHECK_MESSAGE(r.exit_code == 0, r.err);
    r = run(env + junction_cmd("dead-letters " + cfg + " p"));
    CHECK_MESSAGE(r.exit_code == 0, r.err);
    // The state file's own variable still matters: without it the history cannot be found.
    write_file(dir / "c2.json", R"({"state": "${JUNCTION_TEST_UNSET_STATE}",
        "pipelines": [{"name": "p", "reader": {"plugin": "testkit"}, "writer": {"plugin": "testkit"}}]})");
    r = run(env + junction_cmd("runs " + sh_quote((dir / "c2.json").string())));
    CHECK(r.exit_code == 3);
    CHECK(r.err.find("state: environment variable JUNCTION_TEST_UNSET_STATE is not set") != std::string::npos);
}
