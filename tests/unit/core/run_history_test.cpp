// The run history's truth about runs that never finished: who runs a run, its heartbeat,
// and what opening the store makes of a `running` row whose process is gone.
#include <doctest/doctest.h>

#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>
#include <thread>

#include <junction/core/state_store.hpp>
#include <junction/core/time_text.hpp>

#include "state_store_helpers.hpp"
#include "temp_dir.hpp"

using junction::core::Clock;
using junction::core::RunBeat;
using junction::core::RunRecord;
using junction::core::StateStore;
using junction::test::by_id;
using junction::test::dead_pid;
using junction::test::exec;
using junction::test::TempDir;

namespace {

std::int64_t begin(StateStore& store, const std::string& pipeline) {
    RunRecord r;
    r.pipeline = pipeline;
    return store.begin_run(r);
}

}  // namespace

TEST_CASE("a run records who runs it, and heartbeats and commits move its last_seen and counts") {
    TempDir dir;
    auto store = StateStore::open(dir / "state.db");
    RunRecord r;
    r.pipeline = "p";
    store->begin_run(r);
    CHECK(r.pid == ::getpid());
    CHECK_FALSE(r.host.empty());
    auto row = by_id(*store, r.id);
    CHECK(row.pid == ::getpid());
    CHECK(row.host == r.host);
    REQUIRE(row.last_seen.has_value());
    const auto first_seen = *row.last_seen;

    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    store->heartbeat_run(RunBeat{.run_id = r.id, .read = 7, .written = 5, .invalid = 1, .released = 1});
    row = by_id(*store, r.id);
    CHECK(row.outcome == "running");
    CHECK(*row.last_seen > first_seen);
    CHECK(row.read == 7);
    CHECK(row.written == 5);
    CHECK(row.invalid == 1);
    CHECK(row.released == 1);

    const junction::sdk::Committed c{"", "42"};
    store->commit_positions("p", std::span(&c, 1), {}, RunBeat{.run_id = r.id, .read = 9, .written = 9});
    row = by_id(*store, r.id);
    CHECK(row.written == 9);
    CHECK(store->positions("p").at("") == "42");

    r.outcome = "ok";
    r.read = r.written = 10;
    r.finished = Clock::now();
    store->finish_run(r);
    store->heartbeat_run(RunBeat{.run_id = r.id, .read = 1});  // late: changes nothing
    row = by_id(*store, r.id);
    CHECK(row.outcome == "ok");
    CHECK(row.read == 10);
    REQUIRE(row.last_seen.has_value());
    CHECK(std::chrono::abs(*row.last_seen - *r.finished) < std::chrono::milliseconds(1));
}

TEST_CASE("opening the store marks interrupted the running rows whose process of this host is gone, and only those") {
    TempDir dir;
    const auto file = dir / "state.db";
    std::int64_t alive = 0, dead = 0, reused = 0, rebooted = 0, elsewhere = 0;
    {
        auto store = StateStore::open(file);
        alive = begin(*store, "alive");
        dead = begin(*store, "dead");
        reused = begin(*store, "reused");
        rebooted = begin(*store, "rebooted");
        elsewhere = begin(*store, "elsewhere");
    }
    const auto seen = "2026-03-01T10:00:00.250Z";
    exec(file, "UPDATE runs SET last_seen = '" + std::string(seen) + "'; " +
                   "UPDATE runs SET pid = " + std::to_string(dead_pid()) + " WHERE id = " + std::to_string(dead) +
                   "; UPDATE runs SET process_start = process_start - 1 WHERE id = " + std::to_string(reused) +
                   "; UPDATE runs SET boot_id = 'another-boot' WHERE id = " + std::to_string(rebooted) +
                   "; UPDATE runs SET host = 'other-host', pid = " + std::to_string(dead_pid()) +
                   " WHERE id = " + std::to_string(elsewhere));

    auto store = StateStore::open(file);  // as `junction runs` or the next `junction run` does
    CHECK(by_id(*store, alive).outcome == "running");
    CHECK_FALSE(by_id(*store, alive).finished.has_value());
    CHECK(by_id(*store, elsewhere).outcome == "running");  // another host's process cannot be checked
    for (const auto id : {dead, reused, rebooted}) {
        CAPTURE(id);
        const auto r = by_id(*store, id);
        CHECK(r.outcome == "interrupted");
        REQUIRE(r.finished.has_value());
        CHECK(junction::core::format_utc_ms(*r.finished) == seen);  // finished when last seen
        CHECK(r.error.find("ended without finishing the run") != std::string::npos);
        CHECK(r.error.find("process " + std::to_string(r.pid)) != std::string::npos);
    }
}

TEST_CASE("interrupt_own_runs marks this process's running rows, not finished ones nor another process's") {
    TempDir dir;
    auto store = StateStore::open(dir / "state.db");
    const auto mine = begin(*store, "mine");
    RunRecord done;
    done.pipeline = "done";
    store->begin_run(done);
    done.outcome = "ok";
    store->finish_run(done);
    const auto other = begin(*store, "other");
    exec(dir / "state.db", "UPDATE runs SET pid = 1 WHERE id = " + std::to_string(other));

    store->interrupt_own_runs("second SIGTERM: exited at once");
    CHECK(by_id(*store, mine).outcome == "interrupted");
    CHECK(by_id(*store, mine).error == "second SIGTERM: exited at once");
    CHECK(by_id(*store, mine).finished.has_value());
    CHECK(by_id(*store, done.id).outcome == "ok");
    CHECK(by_id(*store, other).outcome == "running");  // PID 1 is alive
}

TEST_CASE("a store from before run owners were recorded: its running rows become interrupted when migrated") {
    TempDir dir;
    const auto file = dir / "state.db";
    StateStore::open(file);  // then taken back to version 2, with a row left running and one finished
    exec(file,
         "ALTER TABLE dead_letters DROP COLUMN attributes; DROP TABLE pushes; DROP INDEX runs_running; ALTER TABLE runs DROP COLUMN pid; ALTER TABLE runs DROP COLUMN "
         "host; "
         "ALTER TABLE runs DROP COLUMN boot_id; ALTER TABLE runs DROP COLUMN process_start; "
         "ALTER TABLE runs DROP COLUMN last_seen; "
         "INSERT INTO runs(pipeline, started, plugins, columns, outcome) "
         "VALUES('old', '2026-01-01T00:00:00.000Z', '[]', '[]', 'running'); "
         "INSERT INTO runs(pipeline, started, finished, plugins, columns, outcome, read) "
         "VALUES('old', '2026-01-02T00:00:00.000Z', '2026-01-02T00:00:01.000Z', '[]', '[]', 'ok', 3); "
         "PRAGMA user_version=2;");
    auto store = StateStore::open(file);
    const auto runs = store->runs("old", 0);
    REQUIRE(runs.size() == 2);
    CHECK(runs[0].outcome == "ok");
    CHECK(runs[0].read == 3);
    CHECK(runs[1].outcome == "interrupted");
    REQUIRE(runs[1].finished.has_value());
    CHECK(junction::core::format_utc_ms(*runs[1].finished) == "2026-01-01T00:00:00.000Z");
    // And the new columns work on the migrated file.
    RunRecord r;
    r.pipeline = "old";
    store->begin_run(r);
    CHECK(by_id(*store, r.id).pid == ::getpid());
}
