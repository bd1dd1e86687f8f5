// The engine's series (README "Metrics"): records per stage and outcome, batch latencies,
// run outcomes, the last success and whether a run is in progress, checked against the
// run's summary and the dead-letter store, and the whole exposition through promtool.
#include <chrono>
#include <map>
#include <thread>

#include <junction/core/metrics.hpp>

#include "engine_fixture.hpp"
#include "promtool.hpp"

using namespace junction;
using namespace junction::test;

namespace {

double records(core::MetricRegistry& m, const std::string& pipeline, const std::string& stage,
               const std::string& outcome) {
    const auto v = m.value("records_total", {{"pipeline", pipeline}, {"stage", stage}, {"outcome", outcome}});
    const std::string series = "junction_records_total{stage=" + stage + ",outcome=" + outcome + "}";
    REQUIRE_MESSAGE(v.has_value(), series);
    return *v;
}

double batches(core::MetricRegistry& m, const std::string& pipeline, const std::string& stage) {
    return m.value("batch_duration_seconds", {{"pipeline", pipeline}, {"stage", stage}}).value_or(-1);
}

double runs(core::MetricRegistry& m, const std::string& pipeline, const std::string& outcome) {
    return m.value("runs_total", {{"pipeline", pipeline}, {"outcome", outcome}}).value_or(-1);
}

double unix_now() {
    return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

}  // namespace

TEST_CASE("a run's records per stage and outcome are its summary and its dead letters, and promtool accepts them") {
    // 40 records in batches of 8: the reader flags n % 7, the translator refuses n % 10,
    // the writer refuses n % 13 (each only what reached it).
    EngineFixture f(one_pipeline(R"({"count": 40, "error_every": 7})", R"({"reject_every": 10})",
                                 R"({"file": "out.ndjson", "reject_every": 13})", R"("batch_size": 8,)"));
    std::map<std::string, double> expected_rejects;
    for (int n = 0; n < 40; ++n)
        ++expected_rejects[n % 7 == 0 ? "reader" : n % 10 == 0 ? "translator" : n % 13 == 0 ? "writer" : "none"];
    const double t0 = unix_now();
    auto s = f.run("p");
    const double t1 = unix_now();
    REQUIRE(s.outcome == core::RunOutcome::ok);

    auto& m = f.services.metrics();
    CHECK(records(m, "p", "reader", "read") == s.read);
    CHECK(records(m, "p", "writer", "written") == s.written);
    CHECK(records(m, "p", "writer", "written") == expected_rejects["none"]);
    std::map<std::string, double> letters;
    for (const auto& d : f.store->dead_letters("p", false, 1000))
        ++letters[d.stage];
    double dead_lettered = 0;
    for (const std::string stage : {"reader", "translator", "writer"}) {
        CAPTURE(stage);
        CHECK(records(m, "p", stage, "rejected") == expected_rejects[stage]);
        CHECK(records(m, "p", stage, "dead_lettered") == letters[stage]);
        dead_lettered += records(m, "p", stage, "dead_lettered");
    }
    CHECK(dead_lettered == s.invalid);
    CHECK(records(m, "p", "writer", "released") == 0);
    CHECK(records(m, "p", "writer", "retried") == 0);
    CHECK(records(m, "p", "translator", "retried") == 0);

    CHECK(batches(m, "p", "reader") == 5);  // one observation per batch, not per record
    CHECK(batches(m, "p", "translator") == 5);
    CHECK(batches(m, "p", "writer") >= 1);  // batches that pile up are written as one group
    CHECK(batches(m, "p", "writer") <= 5);

    CHECK(runs(m, "p", "ok") == 1);
    CHECK(runs(m, "p", "failed") == 0);
    CHECK(runs(m, "p", "stopped") == 0);
    const auto last = m.value("last_success_timestamp_seconds", {{"pipeline", "p"}});
    REQUIRE(last.has_value());
    CHECK(*last >= t0);
    CHECK(*last <= t1);
    CHECK(m.value("pipeline_running", {{"pipeline", "p"}}) == std::optional<double>(0));

    const auto text = core::metrics_exposition(m);
    CHECK(text.find("# TYPE junction_records_total counter\n") != std::string::npos);
    CHECK(text.find("junction_records_total{outcome=\"read\",pipeline=\"p\",stage=\"reader\"} 40\n") !=
          std::string::npos);
    CHECK(text.find("# TYPE junction_batch_duration_seconds histogram\n") != std::string::npos);
    CHECK(text.find("junction_batch_duration_seconds_bucket{pipeline=\"p\",stage=\"reader\",le=\"+Inf\"} 5\n") !=
          std::string::npos);
    CHECK(text.find("junction_runs_total{outcome=\"ok\",pipeline=\"p\"} 1\n") != std::string::npos);
    const auto check = promtool_check(text);
    CHECK_MESSAGE(check.exit_code == 0, check.problems);
    CHECK(check.problems.empty());
}

TEST_CASE("records sent again to the writer after a transient failure are counted as retried") {
    EngineFixture f(one_pipeline(R"({"count": 10})", "{}", R"({"file": "out.ndjson", "fail_first": 2})",
                                 R"("batch_size": 100, "retry": {"initial_backoff_ms": 1, "max_backoff_ms": 2},)"));
    auto s = f.run("p");
    REQUIRE(s.outcome == core::RunOutcome::ok);
    auto& m = f.services.metrics();
    CHECK(records(m, "p", "writer", "retried") == 2 * 10);  // the group of 10, sent twice more
    CHECK(records(m, "p", "writer", "written") == 10);
    CHECK(batches(m, "p", "writer") == 1);  // one group, its retries included
}

TEST_CASE("records given back to a queue count as released; those out of deliveries as dead-lettered, not rejected") {
    EngineFixture f(R"({ "pipelines": [ { "name": "q", "max_deliveries": 3, "batch_size": 5,
        "retry": {"max_attempts": 1, "initial_backoff_ms": 1, "max_backoff_ms": 1},
        "reader": {"plugin": "testqueue", "options": {"count": 5}},
        "writer": {"plugin": "testkit", "options": {"file": "out.ndjson", "fail_first": 1000000}} } ] })");
    auto s = f.run("q");
    REQUIRE(s.outcome == core::RunOutcome::ok);
    auto& m = f.services.metrics();
    CHECK(records(m, "q", "writer", "released") == s.released);
    CHECK(records(m, "q", "writer", "released") == 2 * 5);  // two deliveries given back, the third given up
    CHECK(records(m, "q", "writer", "dead_lettered") == s.invalid);
    CHECK(records(m, "q", "writer", "dead_lettered") == 5);
    CHECK(records(m, "q", "writer", "rejected") == 0);
    CHECK(records(m, "q", "writer", "written") == 0);
    CHECK(batches(m, "q", "translator") == 0);  // no translators: nothing observed
}

TEST_CASE("a failed run is counted as failed and leaves the last success time alone") {
    EngineFixture f(one_pipeline(R"({"count": 10})", "{}", R"({"file": "out.ndjson", "fatal_at": 3})"));
    auto s = f.run("p");
    REQUIRE(s.outcome == core::RunOutcome::failed);
    auto& m = f.services.metrics();
    CHECK(runs(m, "p", "failed") == 1);
    CHECK(runs(m, "p", "ok") == 0);
    CHECK(m.value("last_success_timestamp_seconds", {{"pipeline", "p"}}) == std::optional<double>(0));
    CHECK(m.value("pipeline_running", {{"pipeline", "p"}}) == std::optional<double>(0));
}

TEST_CASE("pipeline_running is 1 while a run is in progress, and a stopped run is counted as stopped") {
    EngineFixture f(one_pipeline(R"({"count": 1000000, "delay_ms": 20})", "{}", R"({"file": "out.ndjson"})",
                                 R"("batch_size": 5,)"));
    auto& m = f.services.metrics();
    std::stop_source stop;
    core::RunSummary s;
    std::thread run([&] { s = f.run("p", stop.get_token()); });
    const bool running = eventually([&] { return m.value("pipeline_running", {{"pipeline", "p"}}) == 1.0; });
    stop.request_stop();
    run.join();
    CHECK(running);
    CHECK(s.outcome == core::RunOutcome::stopped);
    CHECK(runs(m, "p", "stopped") == 1);
    CHECK(runs(m, "p", "ok") == 0);
    CHECK(m.value("pipeline_running", {{"pipeline", "p"}}) == std::optional<double>(0));
    CHECK(records(m, "p", "reader", "read") == s.read);
    CHECK(records(m, "p", "writer", "written") == s.written);
}
