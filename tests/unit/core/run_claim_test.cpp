// One run at a time per pipeline: claim_run() gives a pipeline to one run of one live
// process, across processes sharing the store; a claim of a dead process never blocks.
#include <doctest/doctest.h>

#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <string>

#include <junction/core/state_store.hpp>
#include <junction/core/time_text.hpp>

#include "state_store_helpers.hpp"
#include "temp_dir.hpp"

using junction::core::Clock;
using junction::core::RunRecord;
using junction::core::StateStore;
using junction::test::by_id;
using junction::test::dead_pid;
using junction::test::exec;
using junction::test::TempDir;

namespace {

RunRecord named(const std::string& pipeline) {
    RunRecord r;
    r.pipeline = pipeline;
    return r;
}

}  // namespace

TEST_CASE("a pipeline is claimed by one run at a time; another pipeline is not held by it") {
    TempDir dir;
    auto store = StateStore::open(dir / "state.db");
    auto first = named("p");
    REQUIRE_FALSE(store->claim_run(first).has_value());
    CHECK(first.id != 0);
    CHECK(by_id(*store, first.id).outcome == "running");
    CHECK(by_id(*store, first.id).pid == ::getpid());

    auto second = named("p");
    const auto holder = store->claim_run(second);
    REQUIRE(holder.has_value());
    CHECK(holder->run_id == first.id);
    CHECK(holder->pid == ::getpid());
    CHECK(holder->host == first.host);
    CHECK(std::chrono::abs(holder->started - first.started) < std::chrono::milliseconds(1));
    CHECK(second.id == 0);
    CHECK(store->runs("p", 0).size() == 1);  // the refused claim wrote nothing

    auto other = named("q");
    CHECK_FALSE(store->claim_run(other).has_value());

    first.outcome = "ok";
    store->finish_run(first);
    auto third = named("p");
    CHECK_FALSE(store->claim_run(third).has_value());
    CHECK(third.id != first.id);
}

TEST_CASE("a claim left by a dead process never blocks: it is marked interrupted and the pipeline claimed") {
    TempDir dir;
    auto store = StateStore::open(dir / "state.db");
    auto stale = named("p");
    REQUIRE_FALSE(store->claim_run(stale).has_value());
    const auto gone = dead_pid();
    exec(dir / "state.db", "UPDATE runs SET pid = " + std::to_string(gone) + " WHERE id = " + std::to_string(stale.id));

    auto next = named("p");
    CHECK_FALSE(store->claim_run(next).has_value());
    const auto old = by_id(*store, stale.id);
    CHECK(old.outcome == "interrupted");
    CHECK(old.error.find("process " + std::to_string(gone)) != std::string::npos);
    CHECK(by_id(*store, next.id).outcome == "running");
}

TEST_CASE("another host's claim holds while its heartbeat is fresh, not once it is stale") {
    TempDir dir;
    auto store = StateStore::open(dir / "state.db");
    auto remote = named("p");
    REQUIRE_FALSE(store->claim_run(remote).has_value());
    exec(dir / "state.db", "UPDATE runs SET host = 'other-host', pid = 1 WHERE id = " + std::to_string(remote.id));

    auto mine = named("p");
    const auto holder = store->claim_run(mine);
    REQUIRE(holder.has_value());
    CHECK(holder->host == "other-host");

    const auto old =
        junction::core::format_utc_ms(Clock::now() - StateStore::other_host_stale - std::chrono::seconds(1));
    exec(dir / "state.db", "UPDATE runs SET last_seen = '" + old + "' WHERE id = " + std::to_string(remote.id));
    CHECK_FALSE(store->claim_run(mine).has_value());
    CHECK(by_id(*store, remote.id).outcome == "running");  // another host's row is not ours to close
}

TEST_CASE("discard_run deletes a claimed run still running, never a finished one") {
    TempDir dir;
    auto store = StateStore::open(dir / "state.db");
    auto idle = named("p");
    REQUIRE_FALSE(store->claim_run(idle).has_value());
    store->discard_run(idle.id);
    CHECK(store->runs("p", 0).empty());

    auto done = named("p");
    REQUIRE_FALSE(store->claim_run(done).has_value());
    done.outcome = "ok";
    store->finish_run(done);
    store->discard_run(done.id);
    CHECK(store->runs("p", 0).size() == 1);
}

TEST_CASE("a claim held by another live process blocks until that process ends") {
    TempDir dir;
    const auto file = dir / "state.db";
    StateStore::open(file);
    int ready[2];
    REQUIRE(::pipe(ready) == 0);
    const pid_t child = ::fork();
    if (child == 0) {
        auto store = StateStore::open(file);
        auto r = named("p");
        const bool claimed = !store->claim_run(r).has_value();
        const char c = claimed ? 'y' : 'n';
        (void)!::write(ready[1], &c, 1);
        ::pause();  // holds the claim until killed
        ::_exit(0);
    }
    char c = 0;
    REQUIRE(::read(ready[0], &c, 1) == 1);
    REQUIRE(c == 'y');
    auto store = StateStore::open(file);
    auto mine = named("p");
    const auto holder = store->claim_run(mine);
    REQUIRE(holder.has_value());
    CHECK(holder->pid == child);

    ::kill(child, SIGKILL);
    ::waitpid(child, nullptr, 0);
    ::close(ready[0]);
    ::close(ready[1]);
    CHECK_FALSE(store->claim_run(mine).has_value());
    CHECK(by_id(*store, holder->run_id).outcome == "interrupted");
}
