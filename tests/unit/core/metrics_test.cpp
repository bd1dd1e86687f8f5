// The host's metric registry: series by name and labels, the Prometheus text, and a
// plugin's mistakes kept out of the exposition.
#include <doctest/doctest.h>

#include <sys/resource.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <optional>

#include <junction/core/metrics.hpp>
#include <junction/sdk/abi.hpp>

#include "promtool.hpp"

using namespace junction;

TEST_CASE("a counter, a gauge and a histogram are exported in the Prometheus text format") {
    core::MetricRegistry m;
    m.counter("records_total", "Records.", {{"pipeline", "p"}}).add(3);
    m.counter("records_total", "Records.", {{"pipeline", "p"}}).add(2);  // the same series
    m.gauge("depth", "Depth.", {}).set(7);
    const double buckets[] = {0.1, 1};
    auto& h = m.histogram("seconds", "Time.", buckets, {});
    h.observe(0.05);
    h.observe(0.5);
    h.observe(5);
    const auto text = m.prometheus_text();
    CHECK(text.find("# TYPE junction_records_total counter\njunction_records_total{pipeline=\"p\"} 5\n") !=
          std::string::npos);
    CHECK(text.find("junction_depth 7\n") != std::string::npos);
    CHECK(text.find("junction_seconds_bucket{le=\"0.1\"} 1\n") != std::string::npos);
    CHECK(text.find("junction_seconds_bucket{le=\"+Inf\"} 3\n") != std::string::npos);
    CHECK(text.find("junction_seconds_count 3\n") != std::string::npos);
    CHECK(m.value("seconds", {}) == std::optional<double>(3));
}

TEST_CASE("a plugin's series are prefixed, labelled with its pipeline, plugin and kind") {
    core::MetricRegistry m;
    core::ScopedMetrics scoped(m, {{"pipeline", "p"}, {"plugin", "rest"}, {"kind", "reader"}});
    scoped.counter("requests_total", "Requests.", {{"status", "200"}}).add();
    CHECK(m.value("plugin_requests_total",
                  {{"pipeline", "p"}, {"plugin", "rest"}, {"kind", "reader"}, {"status", "200"}}) ==
          std::optional<double>(1));
    CHECK(m.prometheus_text().find("junction_plugin_requests_total{") != std::string::npos);
}

TEST_CASE("bad names, reserved labels and type clashes are kept out; help text and NaN are escaped") {
    core::MetricRegistry m;
    m.counter("bad name", "x", {}).add();
    m.histogram("h", "x", {}, {{"le", "1"}}).observe(1);
    m.counter("c", "x", {{"bad-label", "1"}}).add();
    m.counter("clash", "x", {}).add();
    m.gauge("clash", "x", {}).set(1);
    m.gauge("g", "line one\nback\\slash", {}).set(std::nan(""));
    const auto text = m.prometheus_text();
    CHECK(text.find("bad name") == std::string::npos);
    CHECK(text.find("junction_h") == std::string::npos);
    CHECK(text.find("bad-label") == std::string::npos);
    CHECK(text.find("# TYPE junction_clash counter") != std::string::npos);
    CHECK(text.find("# TYPE junction_clash gauge") == std::string::npos);
    CHECK(text.find("# HELP junction_g line one\\nback\\\\slash\n") != std::string::npos);
    CHECK(text.find("junction_g NaN\n") != std::string::npos);
}

TEST_CASE("label values escape backslash, quote and line feed, and promtool reads them back") {
    core::MetricRegistry m;
    m.counter("odd_total", "Odd labels.", {{"path", "C:\\dir \"quoted\"\nnext"}}).add(2);
    const auto text = m.prometheus_text();
    CHECK(text.find("junction_odd_total{path=\"C:\\\\dir \\\"quoted\\\"\\nnext\"} 2\n") != std::string::npos);
    const auto check = test::promtool_check(text);
    CHECK_MESSAGE(check.exit_code == 0, check.problems);
    CHECK(check.problems.empty());
}

TEST_CASE("a histogram has cumulative _bucket{le} series ending at +Inf, then _sum and _count, valid for promtool") {
    core::MetricRegistry m;
    const double buckets[] = {0.25, 0.001, 60};  // unsorted: the registry sorts them
    auto& h = m.histogram("step_seconds", "Steps.", buckets, {{"pipeline", "p"}});
    for (const double v : {0.0005, 0.2, 0.25, 61.0})
        h.observe(v);
    const auto text = m.prometheus_text();
    CHECK(text.find("# TYPE junction_step_seconds histogram\n"
                    "junction_step_seconds_bucket{pipeline=\"p\",le=\"0.001\"} 1\n"
                    "junction_step_seconds_bucket{pipeline=\"p\",le=\"0.25\"} 3\n"
                    "junction_step_seconds_bucket{pipeline=\"p\",le=\"60\"} 3\n"
                    "junction_step_seconds_bucket{pipeline=\"p\",le=\"+Inf\"} 4\n"
                    "junction_step_seconds_sum{pipeline=\"p\"} 61.4505\n"
                    "junction_step_seconds_count{pipeline=\"p\"} 4\n") != std::string::npos);
    const auto check = test::promtool_check(text);
    CHECK_MESSAGE(check.exit_code == 0, check.problems);
}

TEST_CASE("promtool reports a counter without _total: the check can fail") {
    core::MetricRegistry m;
    m.counter("requests", "Requests.", {}).add();
    const auto check = test::promtool_check(m.prometheus_text());
    CHECK(check.exit_code != 0);
    CHECK(check.problems.find("_total") != std::string::npos);
}

namespace {

// A process series' value in the exposition text; nothing when absent.
std::optional<double> sample(const std::string& text, const std::string& series) {
    const auto at = text.find("\n" + series + " ");
    if (at == std::string::npos) return std::nullopt;
    return std::stod(text.substr(at + series.size() + 2));
}

}  // namespace

TEST_CASE("the process series are read from /proc at scrape time") {
    core::MetricRegistry m;
    m.counter("records_total", "Records.", {{"pipeline", "p"}}).add(1);
    const auto before = core::metrics_exposition(m);
    CHECK(before.starts_with(m.prometheus_text()));
    const auto check = test::promtool_check(before);
    CHECK_MESSAGE(check.exit_code == 0, check.problems);

    CHECK(sample(before, "process_resident_memory_bytes").value_or(0) > 1024 * 1024);
    CHECK(sample(before, "process_virtual_memory_bytes").value_or(0) >=
          sample(before, "process_resident_memory_bytes").value_or(1));
    rlimit lim{};
    REQUIRE(::getrlimit(RLIMIT_NOFILE, &lim) == 0);
    CHECK(sample(before, "process_max_fds") == std::optional<double>(static_cast<double>(lim.rlim_cur)));
    const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
    const auto start = sample(before, "process_start_time_seconds");
    REQUIRE(start.has_value());
    CHECK(*start <= now + 1);
    CHECK(*start > now - 3600);  // this test process started moments ago
    const auto uptime = sample(before, "junction_uptime_seconds");
    REQUIRE(uptime.has_value());
    CHECK(std::abs(*uptime - (now - *start)) < 2);  // the boot time is in whole seconds
    CHECK(before.find("junction_build_info{sdk=\"" JUNCTION_SDK_VERSION "\",version=\"") != std::string::npos);

    // Values move between scrapes: a file opened now is one more fd; CPU spent is counted.
    const auto fds = sample(before, "process_open_fds");
    REQUIRE(fds.has_value());
    std::FILE* f = std::fopen("/proc/self/stat", "r");
    REQUIRE(f != nullptr);
    volatile double spin = 0;
    for (const auto c0 = std::clock(); std::clock() - c0 < CLOCKS_PER_SEC / 20;)  // 50 ms of CPU
        spin = spin + 1;
    const auto after = core::metrics_exposition(m);
    std::fclose(f);
    CHECK(sample(after, "process_open_fds") == std::optional<double>(*fds + 1));
    CHECK(sample(after, "process_cpu_seconds_total").value_or(0) >
          sample(before, "process_cpu_seconds_total").value_or(0));
}
