// Failure handling by category: retry with backoff and its cap, rejects to the
// dead-letter store and their replay, fatal errors.
#include "engine_fixture.hpp"

using namespace junction;
using namespace junction::test;

TEST_CASE("invalid records go to the dead-letter store with their reason and the batch goes on") {
    EngineFixture f(one_pipeline(R"({"count": 100})", R"({"reject_every": 10})", R"({"file": "out.ndjson"})"));
    auto s = f.run("p");
    CHECK(s.outcome == core::RunOutcome::ok);
    CHECK(s.written == 90);
    CHECK(s.invalid == 10);
    CHECK(f.output("out.ndjson").size() == 90);
    auto dl = f.store->dead_letters("p", false, 100);
    REQUIRE(dl.size() == 10);
    for (const auto& d : dl) {
        CHECK(d.stage == "translator");
        CHECK(d.plugin == "testkit");
        CHECK(d.reason.find("is divisible by 10") != std::string::npos);
        CHECK(d.payload.at("n").as_int64() % 10 == 0);
    }
    CHECK(f.kv("p", "acked_rejected") == "10");
    CHECK(f.position("p") == "100");
}

TEST_CASE("unreadable input from the reader is dead-lettered untranslated") {
    EngineFixture f(one_pipeline(R"({"count": 50, "error_every": 25})", "{}", R"({"file": "out.ndjson"})"));
    auto s = f.run("p");
    CHECK(s.invalid == 2);
    CHECK(s.written == 48);
    auto dl = f.store->dead_letters("p", false, 10);
    REQUIRE(dl.size() == 2);
    CHECK(dl[0].stage == "reader");
    CHECK(dl[0].reason.find("unreadable input") != std::string::npos);
}

TEST_CASE("writer rejections are dead-lettered and the others written") {
    EngineFixture f(one_pipeline(R"({"count": 40})", "{}", R"({"file": "out.ndjson", "reject_every": 4})"));
    auto s = f.run("p");
    CHECK(s.written == 30);
    CHECK(s.invalid == 10);
    auto dl = f.store->dead_letters("p", false, 100);
    REQUIRE(dl.size() == 10);
    CHECK(dl[0].stage == "writer");
    CHECK(dl[0].reason.find("writer refuses") != std::string::npos);
}

TEST_CASE("a retryable writer error is retried with backoff, honouring retry-after") {
    EngineFixture f(one_pipeline(R"({"count": 10})", "{}",
                                 R"({"file": "out.ndjson", "fail_first": 2, "retry_after_ms": 150})",
                                 R"("retry": {"max_attempts": 5, "initial_backoff_ms": 1, "max_backoff_ms": 5},)"));
    const auto t0 = std::chrono::steady_clock::now();
    auto s = f.run("p");
    const auto took = std::chrono::steady_clock::now() - t0;
    CHECK(s.outcome == core::RunOutcome::ok);
    CHECK(s.written == 10);
    CHECK(took >= std::chrono::milliseconds(300));  // two waits of at least the retry-after
    CHECK(f.output("out.ndjson").size() == 10);
}

TEST_CASE("the retry cap fails the run and commits nothing of the failed batch") {
    EngineFixture f(one_pipeline(R"({"count": 10})", "{}", R"({"file": "out.ndjson", "fail_first": 100})",
                                 R"("retry": {"max_attempts": 3, "initial_backoff_ms": 1, "max_backoff_ms": 2},)"));
    auto s = f.run("p");
    CHECK(s.outcome == core::RunOutcome::failed);
    CHECK_FALSE(s.fatal);
    CHECK(s.error.find("gave up after 3 attempts") != std::string::npos);
    CHECK(s.error.find("simulated outage") != std::string::npos);
    CHECK(s.failed == 10);
    CHECK(f.store->positions("p").empty());
    auto runs = f.store->runs(std::string_view("p"), 1);
    REQUIRE(runs.size() == 1);
    CHECK(runs[0].outcome == "failed");
    CHECK(runs[0].error == s.error);
}

TEST_CASE("a writer that cannot open is retried, then the run fails with one error") {
    EngineFixture f(one_pipeline(R"({"count": 10})", "{}", R"({"file": "out.ndjson", "fail_open": true})",
                                 R"("retry": {"max_attempts": 2, "initial_backoff_ms": 1, "max_backoff_ms": 2},)"));
    auto s = f.run("p");
    CHECK(s.outcome == core::RunOutcome::failed);
    CHECK(s.error.find("could not open") != std::string::npos);
    CHECK(s.read == 0);
}

TEST_CASE("a fatal error stops the pipeline at once, keeping what was committed before it") {
    EngineFixture f(one_pipeline(R"({"count": 1000})", "{}", R"({"file": "out.ndjson", "fatal_at": 555})",
                                 R"("batch_size": 100,)"));
    auto s = f.run("p");
    CHECK(s.outcome == core::RunOutcome::failed);
    CHECK(s.fatal);
    CHECK(s.error.find("bad credentials") != std::string::npos);
    // Batches that piled up behind a flush are committed together, so the last commit
    // before the failing batch (500..599) is a batch boundary at or before 500.
    const auto committed = std::stoll("0" + f.position("p"));
    CHECK(committed <= 500);
    CHECK(committed % 100 == 0);
    CHECK(s.written == static_cast<std::uint64_t>(committed));
}

TEST_CASE("dead letters are replayed through the translators and writer, then marked replayed") {
    TempDir shared;
    std::string out;
    {
        EngineFixture f(one_pipeline(R"({"count": 30})", R"({"reject_every": 10})", R"({"file": "out.ndjson"})"));
        f.run("p");
        REQUIRE(f.store->dead_letters("p", false, 100).size() == 3);
        // Fix the cause (the translator no longer rejects) and replay with the new config.
        write_file(f.dir / "config.json",
                   one_pipeline(R"({"count": 30})", R"({"reject_every": 0})", R"({"file": "out.ndjson"})"));
        std::vector<core::ConfigError> errors;
        auto config = core::load_config(f.dir / "config.json", errors);
        auto pipes = core::resolve_pipelines(config, f.registry, errors);
        REQUIRE(errors.empty());
        auto s = core::replay_dead_letters(pipes[0], *f.store, core::RunOptions{.base_dir = config.base_dir}, {}, {});
        CHECK(s.read == 3);
        CHECK(s.written == 3);
        CHECK(f.store->dead_letters("p", false, 100).empty());
        CHECK(f.store->dead_letters("p", true, 100).size() == 3);
        auto rows = f.output("out.ndjson");
        CHECK(rows.size() == 30);
        CHECK(rows.back().at("checked").as_bool());
    }
}
