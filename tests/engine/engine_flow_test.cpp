// The engine's normal flow, ordering, backpressure and resume.
#include "engine_fixture.hpp"

using namespace junction;
using namespace junction::test;

TEST_CASE("records flow reader -> translator -> writer and the last position is committed") {
    EngineFixture f(one_pipeline(R"({"count": 1234})", "{}", R"({"file": "out.ndjson"})", R"("batch_size": 100,)"));
    auto s = f.run("p");
    CHECK(s.outcome == core::RunOutcome::ok);
    CHECK(s.read == 1234);
    CHECK(s.written == 1234);
    CHECK(s.invalid == 0);
    CHECK(s.failed == 0);
    auto out = f.output("out.ndjson");
    REQUIRE(out.size() == 1234);
    CHECK(out.front().at("checked").as_bool());
    CHECK(f.position("p") == "1234");
    auto runs = f.store->runs(std::string_view("p"), 10);
    REQUIRE(runs.size() == 1);
    CHECK(runs[0].outcome == "ok");
    CHECK(runs[0].written == 1234);
    CHECK(runs[0].plugins == std::vector<std::string>{"testkit", "testkit", "testkit"});
    CHECK(std::find(runs[0].columns.begin(), runs[0].columns.end(), "checked") != runs[0].columns.end());
}

TEST_CASE("a second run resumes after the committed position") {
    EngineFixture f(one_pipeline(R"({"count": 300})", "{}", R"({"file": "out.ndjson"})", R"("batch_size": 64,)"));
    const sdk::Committed at250{"", "250"};
    f.store->commit_positions("p", std::span(&at250, 1));
    auto s = f.run("p");
    CHECK(s.read == 50);
    auto out = f.output("out.ndjson");
    REQUIRE(out.size() == 50);
    CHECK(out.front().at("n").as_int64() == 250);
    CHECK(out.back().at("n").as_int64() == 299);
}

TEST_CASE("order is preserved with four parallel translator workers") {
    EngineFixture f(one_pipeline(R"({"count": 4000})", R"({"jitter_us": 300})", R"({"file": "out.ndjson"})",
                                 R"("batch_size": 50, "workers": 4, "queue_depth": 8,)"));
    CHECK(f.pipeline("p").effective_workers() == 4);
    auto s = f.run("p");
    CHECK(s.written == 4000);
    auto out = f.output("out.ndjson");
    REQUIRE(out.size() == 4000);
    bool in_order = true;
    for (std::size_t i = 0; i < out.size(); ++i)
        if (out[i].at("n").as_int64() != static_cast<std::int64_t>(i)) in_order = false;
    CHECK(in_order);
}

TEST_CASE("a slow writer bounds the records in flight whatever the input size") {
    // queue_depth 2 and batch 50: at most (2 + 1) batches are between the reader and its acknowledgement.
    auto in_flight = [](int count) {
        EngineFixture f(one_pipeline("{\"count\": " + std::to_string(count) + "}", "{}",
                                     R"({"file": "out.ndjson", "delay_ms": 1})",
                                     R"("batch_size": 50, "queue_depth": 2,)"));
        auto s = f.run("p");
        REQUIRE(s.written == static_cast<std::uint64_t>(count));
        return std::stoull(f.kv("p", "max_in_flight"));
    };
    const auto small = in_flight(1000);
    const auto large = in_flight(10000);
    CHECK(small <= 150);
    CHECK(large <= 150);
    CHECK(large > 0);
}

TEST_CASE("a stop request drains the work in flight and commits it") {
    EngineFixture f(one_pipeline(R"({"count": 1000000, "delay_ms": 2})", "{}", R"({"file": "out.ndjson"})",
                                 R"("batch_size": 100,)"));
    std::stop_source stop;
    std::jthread stopper([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        stop.request_stop();
    });
    auto s = f.run("p", stop.get_token());
    CHECK(s.outcome == core::RunOutcome::stopped);
    CHECK(s.read > 0);
    CHECK(s.read < 1000000);
    CHECK(s.written == s.read);
    CHECK(f.output("out.ndjson").size() == s.read);
    CHECK(f.position("p") == std::to_string(s.read));
}
