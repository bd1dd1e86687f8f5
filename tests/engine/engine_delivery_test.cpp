// SDK 2 delivery semantics: positions per partition, acknowledgement of what was
// committed, records released back to a queue and max_deliveries, leases kept alive,
// retry budgets by time (the engine's metrics: engine_metrics_test.cpp).
#include <set>

#include "engine_fixture.hpp"

using namespace junction;
using namespace junction::test;

namespace {

// A queue (testqueue reader, which redelivers) into the testkit writer.
std::string queue_pipeline(const std::string& reader, const std::string& writer, const std::string& extra = "") {
    return R"({ "pipelines": [ { "name": "q", )" + extra + R"(
        "reader": {"plugin": "testqueue", "options": )" +
           reader + R"(},
        "writer": {"plugin": "testkit", "options": )" +
           writer + R"(} } ] })";
}

}  // namespace

TEST_CASE("each partition's last position is committed, and what was committed is what acknowledge() was told") {
    EngineFixture f(one_pipeline(R"({"count": 30, "partitions": 3})", "{}", R"({"file": "out.ndjson"})",
                                 R"("batch_size": 4,)"));
    auto s = f.run("p");
    CHECK(s.outcome == core::RunOutcome::ok);
    CHECK(s.written == 30);
    CHECK(f.store->positions("p") == sdk::Positions{{"p0", "28"}, {"p1", "29"}, {"p2", "30"}});
    CHECK(f.kv("p", "commit_mismatches") == "0");
}

TEST_CASE("a partition's position is not lost when another partition commits later") {
    EngineFixture f(one_pipeline(R"({"count": 30, "partitions": 3})", "{}", R"({"file": "out.ndjson"})",
                                 R"("batch_size": 4,)"));
    // Committed by an earlier run: p0 up to n=20 (position 21), p1 and p2 not at all.
    const sdk::Committed p0{"p0", "21"};
    f.store->commit_positions("p", std::span(&p0, 1));
    auto s = f.run("p");
    CHECK(s.outcome == core::RunOutcome::ok);
    const auto got = numbers(f.output("out.ndjson"));
    CHECK(got.count(0) == 0);   // p0's records up to 20 are not read again
    CHECK(got.count(18) == 0);
    CHECK(got.count(24) == 1);  // p0 after its position
    CHECK(got.count(1) == 1);   // p1 and p2 from the start
    CHECK(got.count(2) == 1);
    CHECK(got.size() == 30 - 7);  // 0, 3, ..., 18 skipped
    CHECK(f.position("p", "p0") == "28");
}

TEST_CASE("a record the writer wants retried later makes the group a retry when the reader cannot redeliver") {
    EngineFixture f(one_pipeline(R"({"count": 20})", "{}", R"({"file": "out.ndjson", "release_every": 7})",
                                 R"("retry": {"max_attempts": 5, "initial_backoff_ms": 1, "max_backoff_ms": 2},)"));
    auto s = f.run("p");
    CHECK(s.outcome == core::RunOutcome::ok);
    CHECK(s.written == 20);
    CHECK(s.released == 0);
    const auto got = numbers(f.output("out.ndjson"));
    for (std::int64_t n = 0; n < 20; ++n)
        CHECK(got.count(n) >= 1);  // written, some twice (a retry sends the group again)
}

TEST_CASE("a queue gets released records back, and they are written on a later delivery") {
    EngineFixture f(queue_pipeline(R"({"count": 30})", R"({"file": "out.ndjson", "release_every": 3})"));
    auto s = f.run("q");
    CHECK(s.outcome == core::RunOutcome::ok);
    CHECK(s.written == 30);
    CHECK(s.released == 10);
    CHECK(f.kv("q", "released", "testqueue") == "10");
    CHECK(f.kv("q", "written", "testqueue") == "30");
    CHECK(f.kv("q", "left", "testqueue") == "0");
    CHECK(numbers(f.output("out.ndjson")).size() == 30);  // each once: released ones were not written
    CHECK(f.store->dead_letters("q", false, 100).empty());
}

TEST_CASE("a message that keeps failing goes to the dead letters after max_deliveries, and the pipeline goes on") {
    EngineFixture f(queue_pipeline(R"({"count": 5})", R"({"file": "out.ndjson", "fail_first": 1000000})",
                                   R"("max_deliveries": 3, "batch_size": 5,
                                      "retry": {"max_attempts": 1, "initial_backoff_ms": 1, "max_backoff_ms": 1},)"));
    auto s = f.run("q");
    CHECK(s.outcome == core::RunOutcome::ok);
    CHECK(s.written == 0);
    CHECK(s.invalid == 5);
    CHECK(s.released == 10);  // two deliveries each given back, the third dead-lettered
    const auto dl = f.store->dead_letters("q", false, 100);
    REQUIRE(dl.size() == 5);
    CHECK(dl[0].reason.find("not written after 3 deliveries: ") == 0);
    CHECK(dl[0].meta.attempts == 3);
    CHECK(f.kv("q", "rejected", "testqueue") == "5");
    CHECK(f.kv("q", "left", "testqueue") == "0");
}

TEST_CASE("leases of records in flight are kept alive while the writer is slow") {
    EngineFixture f(queue_pipeline(R"({"count": 4, "lease_ms": 20})", R"({"file": "out.ndjson", "delay_ms": 200})",
                                   R"("batch_size": 2,)"));
    auto s = f.run("q");
    CHECK(s.outcome == core::RunOutcome::ok);
    CHECK(s.written == 4);
    CHECK(std::stoi(f.kv("q", "keep_alives", "testqueue")) >= 3);
}

TEST_CASE("attempts answered with a Retry-After count against the time budget only") {
    EngineFixture f(one_pipeline(R"({"count": 10})", "{}",
                                 R"({"file": "out.ndjson", "fail_first": 4, "retry_after_ms": 5})",
                                 R"("retry": {"max_attempts": 2, "initial_backoff_ms": 1, "max_backoff_ms": 2,
                                              "max_elapsed_ms": 10000},)"));
    auto s = f.run("p");
    CHECK(s.outcome == core::RunOutcome::ok);  // four 429-like answers, yet max_attempts is 2
    CHECK(s.written == 10);
}

TEST_CASE("a retry gives up when its time budget is spent, saying how long it tried") {
    EngineFixture f(one_pipeline(R"({"count": 10})", "{}", R"({"file": "out.ndjson", "fail_first": 1000000})",
                                 R"("retry": {"max_attempts": 1000, "initial_backoff_ms": 20, "max_backoff_ms": 20,
                                              "max_elapsed_ms": 150},)"));
    const auto t0 = std::chrono::steady_clock::now();
    auto s = f.run("p");
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));
    CHECK(s.outcome == core::RunOutcome::failed);
    CHECK(s.error.find("gave up after ") != std::string::npos);
    CHECK(s.error.find(" attempts in ") != std::string::npos);
}

TEST_CASE("a Retry-After longer than max_retry_after is capped") {
    EngineFixture f(one_pipeline(R"({"count": 5})", "{}",
                                 R"({"file": "out.ndjson", "fail_first": 1, "retry_after_ms": 600000})",
                                 R"("retry": {"max_retry_after_ms": 50},)"));
    const auto t0 = std::chrono::steady_clock::now();
    auto s = f.run("p");
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(5));
    CHECK(s.outcome == core::RunOutcome::ok);
}
