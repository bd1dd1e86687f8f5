// What SIGKILL, SIGTERM and a second SIGTERM leave behind, through the real binary: the
// run history says what happened (interrupted, stopped), the drain ends within its bound
// (README "Run modes"), even during a retry backoff, and nothing is lost.
#include <set>

#include "engine_fixture.hpp"

using namespace junction::test;

namespace {

std::string junction_cmd(const std::string& args) {
    return sh_quote(JUNCTION_BIN) + " --plugin-dir " + sh_quote(std::string(JUNCTION_TEST_PLUGIN_DIR) + "/testkit") +
           " " + args;
}

// One pipeline "p": testkit reader and writer with the given options.
void write_config(const TempDir& dir, const std::string& reader, const std::string& writer,
                  const std::string& extra = "") {
    write_file(dir / "c.json", R"({"state": "state.db", "pipelines": [{"name": "p", )" + extra +
                                   R"( "reader": {"plugin": "testkit", "options": )" + reader +
                                   R"(}, "writer": {"plugin": "testkit", "options": )" + writer + "}}]}");
}

// The newest run of "p", as `junction runs --json` (another process) shows it.
boost::json::object last_run(const TempDir& dir) {
    auto r = run(junction_cmd("runs " + sh_quote((dir / "c.json").string()) + " p --json --limit 1"));
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    const auto lines = lines_of(r.out);
    REQUIRE(lines.size() == 1);
    return boost::json::parse(lines[0]).as_object();
}

std::size_t lines_in(const std::filesystem::path& p) {
    return lines_of(read_file(p)).size();
}

}  // namespace

TEST_CASE("a run SIGKILLed mid-run shows as interrupted in junction runs, finished when last seen") {
    TempDir dir;
    write_config(dir, R"({"count": 100000000, "delay_ms": 5})", R"({"file": "out.ndjson"})", R"("batch_size": 100,)");
    Background b(junction_cmd("run --once " + sh_quote((dir / "c.json").string())), dir / "o", dir / "e");
    REQUIRE(eventually([&] { return lines_in(dir / "out.ndjson") > 500; }));
    b.signal(SIGKILL);
    REQUIRE(b.wait() == 128 + SIGKILL);

    const auto row = last_run(dir);
    CHECK(row.at("outcome").as_string() == "interrupted");
    REQUIRE(row.at("last_seen").is_string());
    CHECK(row.at("finished") == row.at("last_seen"));
    CHECK(row.at("pid").as_int64() == b.pid());
    CHECK(std::string(row.at("error").as_string()).find("ended without finishing the run") != std::string::npos);
    // The counts are those of the last commit: no more than what reached the file.
    CHECK(row.at("written").as_int64() > 0);
    CHECK(row.at("written").as_int64() <= static_cast<std::int64_t>(lines_in(dir / "out.ndjson")));

    auto text = run(junction_cmd("runs " + sh_quote((dir / "c.json").string())));
    CHECK(text.out.find("LAST SEEN") != std::string::npos);
    CHECK(text.out.find("interrupted") != std::string::npos);
}

TEST_CASE("SIGTERM drains within the bound, the run says stopped, and the next run writes the rest once") {
    TempDir dir;
    const int total = 200000;
    // A slow writer (20 ms a batch of 500): the reader is always queue_depth batches ahead.
    write_config(dir, "{\"count\": " + std::to_string(total) + "}", R"({"file": "out.ndjson", "delay_ms": 20})",
                 R"("batch_size": 500, "queue_depth": 4,)");
    Background b(junction_cmd("run --once " + sh_quote((dir / "c.json").string())), dir / "o", dir / "e");
    REQUIRE(eventually([&] { return lines_in(dir / "out.ndjson") > 20000; }));
    const auto signalled = std::chrono::steady_clock::now();
    b.signal(SIGTERM);
    const int rc = b.wait(std::chrono::seconds(30));
    const auto took = std::chrono::steady_clock::now() - signalled;
    REQUIRE(rc == 0);
    // The bound: the batches in flight (max(queue_depth, workers + 1) = 4 here, 20 ms each),
    // one flush and one commit; 3 s leaves room for a loaded machine.
    CHECK(took < std::chrono::seconds(3));
    const auto first = lines_in(dir / "out.ndjson");
    CHECK(first < static_cast<std::size_t>(total));

    const auto row = last_run(dir);
    CHECK(row.at("outcome").as_string() == "stopped");
    CHECK(row.at("written").as_int64() == static_cast<std::int64_t>(first));
    CHECK(row.at("failed").as_int64() == 0);  // everything read was written: a drain, not a cut

    auto again = run(junction_cmd("run --once " + sh_quote((dir / "c.json").string())));
    REQUIRE_MESSAGE(again.exit_code == 0, again.err);
    std::multiset<std::int64_t> seen;
    for (const auto& r : read_ndjson(dir / "out.ndjson"))
        seen.insert(r.at("n").as_int64());
    CHECK(seen.size() == static_cast<std::size_t>(total));  // no duplicate: the drain committed all it wrote
    CHECK(std::set<std::int64_t>(seen.begin(), seen.end()).size() == static_cast<std::size_t>(total));
    CHECK(last_run(dir).at("outcome").as_string() == "ok");
}

TEST_CASE("a second SIGTERM exits at once and the run says interrupted") {
    TempDir dir;
    // 2 s a batch: draining the four batches in flight would take 8 s.
    write_config(dir, R"({"count": 100000})", R"({"file": "out.ndjson", "delay_ms": 2000})", R"("batch_size": 10,)");
    Background b(junction_cmd("run --once " + sh_quote((dir / "c.json").string())), dir / "o", dir / "e");
    REQUIRE(eventually([&] { return lines_in(dir / "out.ndjson") >= 10; }));
    b.signal(SIGTERM);
    REQUIRE(eventually([&] { return read_file(dir / "e").find("received SIGTERM") != std::string::npos; }));
    const auto signalled = std::chrono::steady_clock::now();
    b.signal(SIGTERM);
    const int rc = b.wait(std::chrono::seconds(10));
    CHECK(rc == 130);
    CHECK(std::chrono::steady_clock::now() - signalled < std::chrono::seconds(2));
    CHECK(read_file(dir / "e").find("second signal: exiting at once") != std::string::npos);

    const auto row = last_run(dir);
    CHECK(row.at("outcome").as_string() == "interrupted");
    CHECK(std::string(row.at("error").as_string()).find("second SIGINT/SIGTERM") != std::string::npos);
    CHECK(row.at("finished").is_string());
}

TEST_CASE("a writer's retry backoff does not hold up the drain") {
    TempDir dir;
    // Every write fails with a retry the writer asks to wait 60 s for.
    write_config(dir, R"({"count": 1000})",
                 R"({"file": "out.ndjson", "fail_first": 1000000, "retry_after_ms": 60000})",
                 R"("batch_size": 10, "retry": {"max_attempts": 100, "max_retry_after_ms": 60000},)");
    Background b(junction_cmd("run --once " + sh_quote((dir / "c.json").string())), dir / "o", dir / "e");
    REQUIRE(eventually([&] { return read_file(dir / "e").find("will retry") != std::string::npos; }));
    const auto signalled = std::chrono::steady_clock::now();
    b.signal(SIGTERM);
    const int rc = b.wait(std::chrono::seconds(30));
    CHECK(rc == 0);
    CHECK(std::chrono::steady_clock::now() - signalled < std::chrono::seconds(2));
    const auto row = last_run(dir);
    CHECK(row.at("outcome").as_string() == "stopped");
    CHECK(row.at("written").as_int64() == 0);
    // Nothing was committed: the next run (without the outage) writes all of it.
    write_config(dir, R"({"count": 1000})", R"({"file": "out.ndjson"})", R"("batch_size": 10,)");
    auto again = run(junction_cmd("run --once " + sh_quote((dir / "c.json").string())));
    REQUIRE_MESSAGE(again.exit_code == 0, again.err);
    CHECK(lines_in(dir / "out.ndjson") == 1000);
}
