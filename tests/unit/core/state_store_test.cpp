// The SQLite state store, against real files in a fresh temporary folder per test.
#include <doctest/doctest.h>

#include <sqlite3.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <junction/core/state_store.hpp>

#include "temp_dir.hpp"

namespace fs = std::filesystem;
using junction::core::Clock;
using junction::core::DeadLetter;
using junction::core::RunRecord;
using junction::core::StateStore;

namespace {

using junction::test::TempDir;

DeadLetter letter(std::string pipeline, std::string key, std::string reason) {
    DeadLetter d;
    d.pipeline = std::move(pipeline);
    d.stage = "writer";
    d.plugin = "docstore";
    d.reason = std::move(reason);
    d.payload = {{"orderNo", 42}, {"summary", "pump"}, {"nested", {{"a", boost::json::array{1, 2}}}}};
    d.meta.key = std::move(key);
    d.meta.source = "orders/42.json";
    d.meta.position = "pos-" + d.meta.key;
    d.meta.attempts = 3;
    d.meta.received_at = Clock::time_point{} + std::chrono::milliseconds(1'700'000'000'123);
    d.at = Clock::time_point{} + std::chrono::milliseconds(1'700'000'100'456);
    return d;
}

}  // namespace

namespace {
std::optional<std::string> position(StateStore& store, const std::string& pipeline, const std::string& partition = "") {
    const auto all = store.positions(pipeline);
    const auto it = all.find(partition);
    if (it == all.end()) return std::nullopt;
    return it->second;
}
void commit(StateStore& store, const std::string& pipeline, const std::string& offset,
            const std::string& partition = "") {
    const junction::sdk::Committed c{partition, offset};
    store.commit_positions(pipeline, std::span(&c, 1));
}
}  // namespace

TEST_CASE("positions survive closing and reopening the store") {
    TempDir dir;
    const auto file = dir.path() / "state.db";
    {
        auto store = StateStore::open(file);
        CHECK_FALSE(position(*store, "inbound").has_value());
        commit(*store, "inbound", "a");
        commit(*store, "inbound", "b");
        commit(*store, "outbound", "x");
        store->reset_positions("outbound");
    }
    auto store = StateStore::open(file);
    CHECK(position(*store, "inbound") == std::optional<std::string>("b"));
    CHECK_FALSE(position(*store, "outbound").has_value());
}

TEST_CASE("each partition keeps its own position, committed together, dropped alone") {
    TempDir dir;
    auto store = StateStore::open(dir.path() / "state.db");
    const std::vector<junction::sdk::Committed> both = {{"a.json", "1:10"}, {"b.json", "2:20"}};
    store->commit_positions("inbound", both);
    commit(*store, "inbound", "2:25", "b.json");
    CHECK(position(*store, "inbound", "a.json") == std::optional<std::string>("1:10"));  // not lost by b's commit
    CHECK(position(*store, "inbound", "b.json") == std::optional<std::string>("2:25"));
    store->drop_position("inbound", "a.json");
    CHECK(store->positions("inbound") == junction::sdk::Positions{{"b.json", "2:25"}});
    CHECK(store->positions("outbound").empty());
}

TEST_CASE("a state store from before partitions keeps its position, as the default partition") {
    TempDir dir;
    const auto file = dir.path() / "state.db";
    StateStore::open(file);  // then taken back to version 1: one position per pipeline
    {
        sqlite3* db = nullptr;
        REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK);
        REQUIRE(sqlite3_exec(db,
                             "ALTER TABLE dead_letters DROP COLUMN attributes; "
                             "DROP TABLE pushes; DROP TABLE partition_positions; "
                             "ALTER TABLE runs DROP COLUMN released; "
                             "DROP INDEX runs_running; ALTER TABLE runs DROP COLUMN pid; "
                             "ALTER TABLE runs DROP COLUMN host; ALTER TABLE runs DROP COLUMN boot_id; "
                             "ALTER TABLE runs DROP COLUMN process_start; ALTER TABLE runs DROP COLUMN last_seen; "
                             "CREATE TABLE positions(pipeline TEXT PRIMARY KEY, "
                             "position TEXT NOT NULL, updated_at TEXT NOT NULL); "
                             "INSERT INTO positions VALUES('inbound', 'x', '2026-01-01T00:00:00.000Z'); "
                             "PRAGMA user_version=1;",
                             nullptr, nullptr, nullptr) == SQLITE_OK);
        sqlite3_close(db);
    }
    auto store = StateStore::open(file);
    CHECK(store->positions("inbound") == junction::sdk::Positions{{"", "x"}});
}

TEST_CASE("the schema version is recorded so later releases can migrate") {
    TempDir dir;
    const auto file = dir.path() / "state.db";
    StateStore::open(file);
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &stmt, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
    CHECK(sqlite3_column_int(stmt, 0) == 5);
    sqlite3_finalize(stmt);
    REQUIRE(sqlite3_prepare_v2(db, "PRAGMA journal_mode", -1, &stmt, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_step(stmt) == SQLITE_ROW);
    CHECK(std::string(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0))) == "wal");
    sqlite3_finalize(stmt);
    // A file from a newer release is refused rather than misread.
    REQUIRE(sqlite3_exec(db, "PRAGMA user_version=99", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
    CHECK_THROWS_WITH_AS(StateStore::open(file), doctest::Contains("schema version 99 is newer"), std::runtime_error);
}

TEST_CASE("kv values are scoped: one scope never sees another's keys") {
    TempDir dir;
    auto store = StateStore::open(dir.path() / "state.db");
    store->kv_put("p1/hubspot/reader", "cursor", "100");
    store->kv_put("p2/hubspot/reader", "cursor", "200");
    store->kv_put("p1/hubspot/reader", "cursor", "101");
    CHECK(store->kv_get("p1/hubspot/reader", "cursor") == std::optional<std::string>("101"));
    CHECK(store->kv_get("p2/hubspot/reader", "cursor") == std::optional<std::string>("200"));
    CHECK_FALSE(store->kv_get("p3/hubspot/reader", "cursor").has_value());
    store->kv_erase("p1/hubspot/reader", "cursor");
    CHECK_FALSE(store->kv_get("p1/hubspot/reader", "cursor").has_value());
    CHECK(store->kv_get("p2/hubspot/reader", "cursor") == std::optional<std::string>("200"));
}

TEST_CASE("dead letters round-trip payload and meta, newest first") {
    TempDir dir;
    const auto file = dir.path() / "state.db";
    std::vector<DeadLetter> letters = {letter("inbound", "1", "bad date"), letter("inbound", "2", "no orderNo"),
                                       letter("other", "3", "x")};
    letters[1].meta.error = "unparsable JSON at line 3";
    letters[1].meta.attributes = {{"queue", {{"seq", 7}, {"deliveries", boost::json::array{"a", "b"}}}}};
    {
        auto store = StateStore::open(file);
        store->add_dead_letters(letters);
    }
    CHECK(letters[0].id > 0);
    CHECK(letters[1].id > letters[0].id);

    auto store = StateStore::open(file);
    auto got = store->dead_letters("inbound", false, 0);
    REQUIRE(got.size() == 2);
    CHECK(got[0].id == letters[1].id);  // newest first
    CHECK(got[1].id == letters[0].id);
    const auto& d = got[0];
    CHECK(d.pipeline == "inbound");
    CHECK(d.stage == "writer");
    CHECK(d.plugin == "docstore");
    CHECK(d.reason == "no orderNo");
    CHECK(d.payload == letters[1].payload);
    CHECK(d.meta.key == "2");
    CHECK(d.meta.source == "orders/42.json");
    CHECK(d.meta.position == "pos-2");
    CHECK(d.meta.attempts == 3);
    CHECK(d.meta.error == "unparsable JSON at line 3");
    CHECK(d.meta.attributes == letters[1].meta.attributes);
    CHECK(got[1].meta.attributes.empty());
    CHECK(d.meta.received_at == letters[1].meta.received_at);
    CHECK(d.at == letters[1].at);
    CHECK_FALSE(d.replayed);
    CHECK(store->dead_letters("inbound", false, 1).size() == 1);
}

TEST_CASE("replayed dead letters are hidden unless asked for") {
    TempDir dir;
    auto store = StateStore::open(dir.path() / "state.db");
    std::vector<DeadLetter> letters = {letter("p", "1", "r"), letter("p", "2", "r"), letter("p", "3", "r")};
    store->add_dead_letters(letters);
    store->mark_replayed({letters[0].id, letters[2].id});
    auto open = store->dead_letters("p", false, 0);
    REQUIRE(open.size() == 1);
    CHECK(open[0].meta.key == "2");
    auto all = store->dead_letters("p", true, 0);
    REQUIRE(all.size() == 3);
    CHECK(all[0].replayed);
    CHECK_FALSE(all[1].replayed);
}

TEST_CASE("runs begin, finish and are listed newest first, by pipeline") {
    TempDir dir;
    auto store = StateStore::open(dir.path() / "state.db");
    RunRecord a;
    a.pipeline = "github-to-databox";
    a.plugins = {"github", "databox"};
    store->begin_run(a);
    RunRecord b;
    b.pipeline = "inbound";
    store->begin_run(b);
    CHECK(a.id > 0);
    CHECK(b.id > a.id);

    a.read = 10;
    a.written = 8;
    a.invalid = 1;
    a.failed = 1;
    a.columns = {"sha", "author"};
    a.outcome = "failed";
    a.error = "databox: 401 unauthorized";
    a.finished = Clock::now();
    store->finish_run(a);

    auto all = store->runs(std::nullopt, 0);
    REQUIRE(all.size() == 2);
    CHECK(all[0].id == b.id);
    CHECK(all[0].outcome == "running");
    CHECK_FALSE(all[0].finished.has_value());

    auto mine = store->runs("github-to-databox", 10);
    REQUIRE(mine.size() == 1);
    const auto& r = mine[0];
    CHECK(r.plugins == std::vector<std::string>{"github", "databox"});
    CHECK(r.columns == std::vector<std::string>{"sha", "author"});
    CHECK(r.read == 10);
    CHECK(r.written == 8);
    CHECK(r.invalid == 1);
    CHECK(r.failed == 1);
    CHECK(r.outcome == "failed");
    CHECK(r.error == "databox: 401 unauthorized");
    REQUIRE(r.finished.has_value());
    CHECK(std::chrono::abs(*r.finished - *a.finished) < std::chrono::milliseconds(1));
    CHECK(std::chrono::abs(r.started - a.started) < std::chrono::milliseconds(1));
    CHECK(store->runs(std::nullopt, 1).size() == 1);
}

TEST_CASE("a corrupt state file is refused with one line naming the file and the reason") {
    TempDir dir;
    const auto file = dir.path() / "state.db";
    {
        std::ofstream out(file, std::ios::binary);
        for (int i = 0; i < 512; ++i)
            out << "this is not a database ";
    }
    try {
        StateStore::open(file);
        FAIL("a corrupt file was opened");
    } catch (const std::runtime_error& e) {
        const std::string msg = e.what();
        CHECK(msg == "cannot open state store " + file.string() + ": file is not a database");
        CHECK(msg.find('\n') == std::string::npos);
    }
}

TEST_CASE("an unwritable path is refused with one line naming it") {
    TempDir dir;
    const auto file = dir.path() / "missing-folder" / "state.db";
    try {
        StateStore::open(file);
        FAIL("an unwritable path was opened");
    } catch (const std::runtime_error& e) {
        const std::string msg = e.what();
        CHECK(msg.find("cannot open state store " + file.string() + ": ") == 0);
        CHECK(msg.find("unable to open") != std::string::npos);
        CHECK(msg.find('\n') == std::string::npos);
    }
}

TEST_CASE("four threads sharing one store lose nothing") {
    TempDir dir;
    auto store = StateStore::open(dir.path() / "state.db");
    constexpr int per_thread = 50;
    std::atomic<int> errors{0};
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
        threads.emplace_back([&, t] {
            try {
                const std::string p = "p" + std::to_string(t);
                for (int i = 0; i < per_thread; ++i) {
                    commit(*store, p, std::to_string(i));
                    store->kv_put(p, "k" + std::to_string(i), std::to_string(i));
                    std::vector<DeadLetter> ls = {letter(p, std::to_string(i), "r")};
                    store->add_dead_letters(ls);
                    RunRecord r;
                    r.pipeline = p;
                    store->begin_run(r);
                    r.outcome = "ok";
                    store->finish_run(r);
                    if (position(*store, p) != std::optional<std::string>(std::to_string(i))) ++errors;
                }
            } catch (...) {
                ++errors;
            }
        });
    }
    for (auto& th : threads)
        th.join();
    CHECK(errors == 0);
    for (int t = 0; t < 4; ++t) {
        const std::string p = "p" + std::to_string(t);
        CHECK(position(*store, p) == std::optional<std::string>(std::to_string(per_thread - 1)));
        CHECK(store->dead_letters(p, true, 0).size() == per_thread);
        CHECK(store->runs(p, 0).size() == per_thread);
        CHECK(store->kv_get(p, "k7") == std::optional<std::string>("7"));
    }
}
