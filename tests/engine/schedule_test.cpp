// Schedules through the `junction` binary: cron expressions refused at validate, the
// daemon's next cron time and its missed slots, and one run at a time per pipeline
// between the daemon and `run --once` in another process (the run history's start and
// finish times never overlap, and no record is written twice).
#include <sqlite3.h>

#include <set>

#include <boost/json/parse.hpp>
#include <junction/core/cron.hpp>
#include <junction/core/time_text.hpp>

#include "engine_fixture.hpp"

using namespace junction::test;
using junction::core::CronExpression;
using junction::core::format_utc_ms;

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

struct Run {
    std::string outcome, started, finished;
    std::int64_t pid = 0, read = 0;
};

// The run history, oldest first.
std::vector<Run> history(const std::filesystem::path& config) {
    const auto r = run(junction_cmd("runs " + sh_quote(config.string()) + " --limit 0 --json"));
    REQUIRE(r.exit_code == 0);
    std::vector<Run> out;
    for (const auto& line : lines_of(r.out)) {
        const auto o = boost::json::parse(line).as_object();
        Run x;
        x.outcome = std::string(o.at("outcome").as_string());
        x.started = std::string(o.at("started").as_string());
        x.finished = o.at("finished").is_string() ? std::string(o.at("finished").as_string()) : "";
        x.pid = o.at("pid").as_int64();
        x.read = o.at("read").as_int64();
        out.insert(out.begin(), x);
    }
    return out;
}

// Each run finished before the next began (ISO 8601 UTC text sorts as time).
void check_no_overlap(const std::vector<Run>& runs) {
    for (std::size_t i = 1; i < runs.size(); ++i) {
        CAPTURE(i);
        REQUIRE_FALSE(runs[i - 1].finished.empty());
        CHECK(runs[i - 1].finished <= runs[i].started);
    }
}

void check_each_once(const std::filesystem::path& out, std::int64_t count) {
    std::multiset<std::int64_t> seen;
    for (const auto& row : read_ndjson(out))
        seen.insert(row.at("n").as_int64());
    CHECK(seen.size() == static_cast<std::size_t>(count));
    CHECK(std::set<std::int64_t>(seen.begin(), seen.end()).size() == seen.size());
}

bool has(const std::filesystem::path& file, const std::string& text) {
    return read_file(file).find(text) != std::string::npos;
}

// A pipeline of 20 records written one a batch, 100 ms each: a run of about 2 s.
const std::string slow_reader = R"({"count": 20})";
const std::string slow_writer = R"({"file": "out.ndjson", "delay_ms": 100})";

}  // namespace

TEST_CASE("validate refuses a bad cron schedule with its config path and a precise reason") {
    TempDir dir;
    const auto p = [](int i, const std::string& schedule) {
        return pipeline("p" + std::to_string(i), "{}", R"({"file": "o.ndjson"})", R"("schedule": )" + schedule + ",");
    };
    write_file(dir / "c.json", R"({"pipelines": [)" + p(0, R"({"cron": "61 * * * *"})") + "," +
                                   p(1, R"({"cron": "0 0 30 2 *"})") + "," + p(2, R"({"cron": "*/5 * * *"})") + "," +
                                   p(3, R"({"cron": "0 * * * *", "interval_ms": 1000})") + "," +
                                   p(4, R"({"cron": ["0 * * * *"]})") + "," + p(5, R"({"cron": "0 9 * * mon-fri"})") +
                                   "]}");
    const auto r = run(junction_cmd("validate " + sh_quote((dir / "c.json").string())));
    CHECK(r.exit_code == 3);
    CHECK(r.err.find("pipelines[0].schedule.cron: minute field \"61\": must be 0-59\n") != std::string::npos);
    CHECK(r.err.find("pipelines[1].schedule.cron: day-of-month \"30\" never falls in month \"2\": the expression "
                     "would never fire\n") != std::string::npos);
    CHECK(r.err.find("pipelines[2].schedule.cron: expected 5 fields (minute hour day-of-month month day-of-week), "
                     "got 4\n") != std::string::npos);
    CHECK(r.err.find("pipelines[3].schedule: give one of interval_ms, poll_ms or cron, not several\n") !=
          std::string::npos);
    CHECK(r.err.find("pipelines[4].schedule.cron: expected a string like \"*/15 * * * *\"") != std::string::npos);
    CHECK(r.err.find("pipelines[5]") == std::string::npos);
    CHECK(r.err.find("5 problems found") != std::string::npos);
}

TEST_CASE("the daemon waits for a cron pipeline's next time and logs it") {
    TempDir dir;
    write_file(dir / "c.json", R"({"pipelines": [)" +
                                   pipeline("tick", R"({"count": 3})", R"({"file": "out.ndjson"})",
                                            R"("schedule": {"cron": "*/5 * * * *"},)") +
                                   "]}");
    std::string error;
    const auto cron = CronExpression::parse("*/5 * * * *", error);
    REQUIRE(cron);
    const auto before = format_utc_ms(*cron->next_after(std::chrono::system_clock::now()));
    Background daemon(junction_cmd("run " + sh_quote((dir / "c.json").string())), dir / "o", dir / "e");
    REQUIRE(eventually([&] { return has(dir / "e", "next run of tick at "); }));
    const auto after = format_utc_ms(*cron->next_after(std::chrono::system_clock::now()));
    const auto log = read_file(dir / "e");
    CAPTURE(log);
    CHECK((log.find("next run of tick at " + before) != std::string::npos ||
           log.find("next run of tick at " + after) != std::string::npos));
    // A pipeline never run before waits for its first time: nothing ran.
    CHECK(history(dir / "c.json").empty());
    daemon.signal(SIGTERM);
    CHECK(daemon.wait() == 0);
}

TEST_CASE("cron slots missed while junction was down are run once, with one line") {
    TempDir dir;
    const auto config = dir / "c.json";
    write_file(config, R"({"pipelines": [)" +
                           pipeline("tick", R"({"count": 3})", R"({"file": "out.ndjson"})",
                                    R"("schedule": {"cron": "*/5 * * * *"},)") +
                           "]}");
    REQUIRE(run(junction_cmd("run --once " + sh_quote(config.string()))).exit_code == 0);
    // The last run began three hours ago: 36 slots have passed since.
    const auto then = std::chrono::system_clock::now() - std::chrono::hours(3);
    {
        sqlite3* db = nullptr;
        REQUIRE(sqlite3_open((dir / "c.state.db").c_str(), &db) == SQLITE_OK);
        const auto sql = "UPDATE runs SET started = '" + format_utc_ms(then) + "'";
        const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr);
        sqlite3_close(db);
        REQUIRE(rc == SQLITE_OK);
    }
    std::string error;
    const auto cron = CronExpression::parse("*/5 * * * *", error);
    const auto missed = junction::core::count_fires(*cron, then, std::chrono::system_clock::now(), 1000);

    Background daemon(junction_cmd("run " + sh_quote(config.string())), dir / "o", dir / "e");
    REQUIRE(eventually([&] { return has(dir / "e", "next run of tick at "); }));
    const auto log = read_file(dir / "e");
    CAPTURE(log);
    const bool counted =
        log.find("skipped " + std::to_string(missed - 1) +
                 " scheduled runs of pipeline tick (junction was not "
                 "running); running it once now") != std::string::npos ||
        log.find("skipped " + std::to_string(missed) + " scheduled runs of pipeline tick (junction was not running)") !=
            std::string::npos;  // a slot passed between the count and the start
    CHECK(counted);
    const auto runs = history(config);
    CHECK(runs.size() == 2);  // the one before, and one catch-up run: not one per slot
    daemon.signal(SIGTERM);
    CHECK(daemon.wait() == 0);
    check_each_once(dir / "out.ndjson", 3);
}

TEST_CASE("an interval run that overran several intervals is followed by one run, with one line") {
    TempDir dir;
    write_file(dir / "c.json", R"({"pipelines": [)" +
                                   pipeline("slow", R"({"count": 6})", R"({"file": "out.ndjson", "delay_ms": 100})",
                                            R"("batch_size": 1, "schedule": {"interval_ms": 100},)") +
                                   "]}");
    Background daemon(junction_cmd("run " + sh_quote((dir / "c.json").string())), dir / "o", dir / "e");
    REQUIRE(eventually([&] { return has(dir / "e", "scheduled runs of pipeline slow"); }));
    daemon.signal(SIGTERM);
    CHECK(daemon.wait() == 0);
    const auto log = read_file(dir / "e");
    CAPTURE(log);
    // About 600 ms of run: 5 or more slots passed, one of them is the next run.
    const auto at = log.find("skipped ");
    REQUIRE(at != std::string::npos);
    CHECK(std::stoi(log.substr(at + 8)) >= 4);
    CHECK(log.find("scheduled runs of pipeline slow (the previous run was still going); running it once now") !=
          std::string::npos);
    check_each_once(dir / "out.ndjson", 6);
}

TEST_CASE("run --once of a pipeline the daemon is running waits for it, then runs: no overlap, nothing doubled") {
    TempDir dir;
    const auto config = dir / "c.json";
    write_file(config, R"({"pipelines": [)" +
                           pipeline("slow", slow_reader, slow_writer,
                                    R"("batch_size": 1, "schedule": {"interval_ms": 600000},)") +
                           "]}");
    Background daemon(junction_cmd("run " + sh_quote(config.string())), dir / "o", dir / "e");
    REQUIRE(eventually([&] { return !read_file(dir / "out.ndjson").empty(); }));
    const auto once = run(junction_cmd("run --once --pipeline slow " + sh_quote(config.string())));
    CAPTURE(once.err);
    CHECK(once.exit_code == 0);
    CHECK(once.err.find("pipeline slow is running in process " + std::to_string(daemon.pid())) != std::string::npos);
    CHECK(once.err.find(": waiting for it to finish") != std::string::npos);
    const auto runs = history(config);
    REQUIRE(runs.size() == 2);
    CHECK(runs[0].pid == daemon.pid());
    CHECK(runs[0].outcome == "ok");
    CHECK(runs[0].read == 20);
    CHECK(runs[1].pid != daemon.pid());
    CHECK(runs[1].outcome == "ok");
    CHECK(runs[1].read == 0);  // everything was committed by the daemon's run
    check_no_overlap(runs);
    check_each_once(dir / "out.ndjson", 20);
    daemon.signal(SIGTERM);
    CHECK(daemon.wait() == 0);
}

TEST_CASE("run --once gives up after --wait-ms with one line and exit code 1; the daemon's run goes on") {
    TempDir dir;
    const auto config = dir / "c.json";
    write_file(config, R"({"pipelines": [)" +
                           pipeline("slow", slow_reader, slow_writer,
                                    R"("batch_size": 1, "schedule": {"interval_ms": 600000},)") +
                           "]}");
    Background daemon(junction_cmd("run " + sh_quote(config.string())), dir / "o", dir / "e");
    REQUIRE(eventually([&] { return !read_file(dir / "out.ndjson").empty(); }));
    const auto once = run(junction_cmd("run --once --pipeline slow --wait-ms 300 " + sh_quote(config.string())));
    CAPTURE(once.err);
    CHECK(once.exit_code == 1);
    CHECK(once.err.find("pipeline slow is still running in process " + std::to_string(daemon.pid())) !=
          std::string::npos);
    CHECK(once.err.find("(--wait-ms): not run") != std::string::npos);
    REQUIRE(eventually([&] { return history(config).front().outcome == "ok"; }));
    CHECK(history(config).size() == 1);
    check_each_once(dir / "out.ndjson", 20);
    daemon.signal(SIGTERM);
    CHECK(daemon.wait() == 0);

    const auto bad = run(junction_cmd("run --pipeline slow --wait-ms 300 " + sh_quote(config.string())));
    CHECK(bad.exit_code == 2);
    CHECK(bad.err.find("--wait-ms takes a number of milliseconds of 0 or more, with --once") != std::string::npos);
}

TEST_CASE("the daemon skips its slot while an on-demand run holds the pipeline, then runs on schedule") {
    TempDir dir;
    const auto config = dir / "c.json";
    // 40 records, about 4 s: time enough for the daemon to start on a loaded CI machine.
    write_file(config, R"({"pipelines": [)" +
                           pipeline("slow", R"({"count": 40})", slow_writer,
                                    R"("batch_size": 1, "schedule": {"interval_ms": 300},)") +
                           "]}");
    Background once(junction_cmd("run --once --pipeline slow " + sh_quote(config.string())), dir / "o1", dir / "e1");
    REQUIRE(eventually([&] { return !read_file(dir / "out.ndjson").empty(); }));
    Background daemon(junction_cmd("run " + sh_quote(config.string())), dir / "o", dir / "e");
    REQUIRE(eventually([&] { return has(dir / "e", "skipping this scheduled run"); }));
    CHECK(has(dir / "e", "pipeline slow is running in process " + std::to_string(once.pid())));
    CHECK(once.wait() == 0);
    // Once the on-demand run is over, the daemon's next slot runs.
    REQUIRE(eventually([&] {
        const auto runs = history(config);
        return runs.size() >= 2 && runs.back().pid == daemon.pid() && runs.back().outcome == "ok";
    }));
    daemon.signal(SIGTERM);
    CHECK(daemon.wait() == 0);
    const auto runs = history(config);
    CHECK(runs.front().pid == once.pid());
    CHECK(runs.front().read == 40);
    check_no_overlap(runs);
    check_each_once(dir / "out.ndjson", 40);
}

TEST_CASE("continuous polling claims each poll but keeps no history rows for polls that read nothing") {
    TempDir dir;
    const auto config = dir / "c.json";
    write_file(config,
               R"({"pipelines": [)" +
                   pipeline("poll", R"({"count": 5})", R"({"file": "out.ndjson"})", R"("schedule": {"poll_ms": 20},)") +
                   "]}");
    Background daemon(junction_cmd("run " + sh_quote(config.string())), dir / "o", dir / "e");
    REQUIRE(eventually([&] { return read_ndjson(dir / "out.ndjson").size() == 5; }));
    std::this_thread::sleep_for(std::chrono::milliseconds(500));  // some twenty idle polls
    // An on-demand run gets its turn between two polls.
    const auto once = run(junction_cmd("run --once --pipeline poll --wait-ms 10000 " + sh_quote(config.string())));
    CHECK(once.exit_code == 0);
    daemon.signal(SIGTERM);
    CHECK(daemon.wait() == 0);
    const auto runs = history(config);
    CAPTURE(read_file(dir / "e"));
    // The poll that read the five, and the on-demand run (a --once run is always recorded).
    REQUIRE(runs.size() == 2);
    CHECK(runs[0].read == 5);
    CHECK(runs[1].pid != daemon.pid());
    check_each_once(dir / "out.ndjson", 5);
}
