// The push log in the state store: what a writer sent to an ingestion API, kept with its
// run, listed newest first, bounded, and a store from before it (schema 3) migrated in place.
#include <doctest/doctest.h>

#include <sqlite3.h>

#include <string>

#include <junction/core/state_store.hpp>
#include <junction/core/time_text.hpp>

#include "state_store_helpers.hpp"
#include "temp_dir.hpp"

using junction::core::Clock;
using junction::core::PushRecord;
using junction::core::RunRecord;
using junction::core::StateStore;
using junction::core::StoreLimits;
using junction::test::by_id;
using junction::test::dead_pid;
using junction::test::exec;
using junction::test::TempDir;

namespace {

PushRecord push(std::int64_t run_id, const std::string& pipeline, std::uint64_t rows, bool ok,
                const std::string& error = {}) {
    PushRecord r;
    r.run_id = run_id;
    r.pipeline = pipeline;
    r.plugin = "databox";
    r.push.provider = "databox";
    r.push.target = "contacts.v1";
    r.push.sent_at = Clock::time_point{} + std::chrono::milliseconds(1'767'225'600'123 + rows);  // 2026-01-01
    r.push.duration = std::chrono::milliseconds(42);
    r.push.rows = rows;
    r.push.columns = {"email", "id", "updated_at"};
    r.push.ok = ok;
    r.push.error = error;
    r.push.request_id = "req-" + std::to_string(rows);
    return r;
}

}  // namespace

TEST_CASE("a push is kept with its run and every field reads back as recorded") {
    TempDir dir;
    auto store = StateStore::open(dir / "state.db");
    RunRecord run;
    run.pipeline = "contacts";
    store->begin_run(run);
    auto p = push(run.id, "contacts", 100, true);
    store->record_push(p);
    CHECK(p.id > 0);
    auto f = push(run.id, "contacts", 7, false, "HTTP 503 from POST https://api.databox.com/v1/datasets/x/data");
    store->record_push(f);

    const auto all = store->pushes(std::nullopt, 0);
    REQUIRE(all.size() == 2);
    const auto& failed = all[0];  // newest first
    CHECK(failed.id == f.id);
    CHECK(failed.run_id == run.id);
    CHECK_FALSE(failed.push.ok);
    CHECK(failed.push.error == "HTTP 503 from POST https://api.databox.com/v1/datasets/x/data");
    CHECK(failed.push.rows == 7);
    const auto& ok = all[1];
    CHECK(ok.pipeline == "contacts");
    CHECK(ok.plugin == "databox");
    CHECK(ok.push.provider == "databox");
    CHECK(ok.push.target == "contacts.v1");
    CHECK(junction::core::format_utc_ms(ok.push.sent_at) == "2026-01-01T00:00:00.223Z");
    CHECK(ok.push.duration == std::chrono::milliseconds(42));
    CHECK(ok.push.rows == 100);
    CHECK(ok.push.columns == std::vector<std::string>{"email", "id", "updated_at"});
    CHECK(ok.push.ok);
    CHECK(ok.push.error.empty());
    CHECK(ok.push.request_id == "req-100");
}

TEST_CASE("pushes are listed per pipeline, newest first, up to the limit; one outside a run has none") {
    TempDir dir;
    auto store = StateStore::open(dir / "state.db");
    for (std::uint64_t i = 1; i <= 5; ++i) {
        auto p = push(0, i % 2 == 0 ? "even" : "odd", i, true);
        store->record_push(p);
    }
    const auto odd = store->pushes("odd", 0);
    REQUIRE(odd.size() == 3);
    CHECK(odd[0].push.rows == 5);
    CHECK(odd[1].push.rows == 3);
    CHECK(odd[2].push.rows == 1);
    CHECK(odd[0].run_id == 0);
    const auto two = store->pushes(std::nullopt, 2);
    REQUIRE(two.size() == 2);
    CHECK(two[0].push.rows == 5);
    CHECK(two[1].push.rows == 4);
    CHECK(store->pushes("nobody", 0).empty());
}

TEST_CASE("the push log keeps the newest max_pushes pushes and deletes older ones as new ones come") {
    TempDir dir;
    auto store = StateStore::open(dir / "state.db", StoreLimits{.max_pushes = 3});
    for (std::uint64_t i = 1; i <= 7; ++i) {
        auto p = push(0, "p", i, true);
        store->record_push(p);
    }
    const auto kept = store->pushes(std::nullopt, 0);
    REQUIRE(kept.size() == 3);
    CHECK(kept[0].push.rows == 7);
    CHECK(kept[2].push.rows == 5);
}

TEST_CASE("pushes survive reopening the store, and go with their run") {
    TempDir dir;
    const auto file = dir / "state.db";
    std::int64_t run_id = 0;
    {
        auto store = StateStore::open(file);
        RunRecord run;
        run.pipeline = "p";
        run_id = store->begin_run(run);
        auto p = push(run_id, "p", 3, true);
        store->record_push(p);
    }
    {
        auto store = StateStore::open(file);
        REQUIRE(store->pushes("p", 0).size() == 1);
        CHECK(store->pushes("p", 0)[0].run_id == run_id);
    }
    // Should a run ever be deleted (by hand, or a later retention), its pushes go with it.
    exec(file, "PRAGMA foreign_keys=ON; DELETE FROM runs WHERE id = " + std::to_string(run_id) + ";");
    CHECK(StateStore::open(file)->pushes("p", 0).empty());
}

TEST_CASE("a store from before the push log (schema 3) is migrated in place and keeps its runs") {
    TempDir dir;
    const auto file = dir / "state.db";
    StateStore::open(file);  // then taken back to version 3, with a finished run in it
    exec(file,
         "ALTER TABLE dead_letters DROP COLUMN attributes; DROP TABLE pushes; "
         "INSERT INTO runs(pipeline, started, finished, plugins, columns, outcome, read) "
         "VALUES('old', '2026-01-02T00:00:00.000Z', '2026-01-02T00:00:01.000Z', '[]', '[]', 'ok', 3); "
         "PRAGMA user_version=3;");
    auto store = StateStore::open(file);
    const auto runs = store->runs("old", 0);
    REQUIRE(runs.size() == 1);
    CHECK(runs[0].read == 3);
    CHECK(store->pushes(std::nullopt, 0).empty());
    auto p = push(runs[0].id, "old", 9, false, "boom");
    store->record_push(p);
    const auto pushes = store->pushes("old", 0);
    REQUIRE(pushes.size() == 1);
    CHECK(pushes[0].run_id == runs[0].id);
    CHECK(pushes[0].push.error == "boom");
}
