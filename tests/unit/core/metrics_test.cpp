// The host's metric registry: series by name and labels, the Prometheus text, and a
// plugin's mistakes kept out of the exposition.
#include <doctest/doctest.h>

#include <cmath>

#include <junction/core/metrics.hpp>

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
    CHECK(text.find("junction_seconds_bucket{le=\"0.10000000000000001\"} 1\n") != std::string::npos);
    CHECK(text.find("junction_seconds_bucket{le=\"+Inf\"} 3\n") != std::string::npos);
    CHECK(text.find("junction_seconds_count 3\n") != std::string::npos);
    CHECK(m.value("seconds", {}) == std::optional<double>(3));
}

TEST_CASE("a plugin's series are prefixed, labelled with its pipeline, plugin and kind") {
    core::MetricRegistry m;
    core::ScopedMetrics scoped(m, {{"pipeline", "p"}, {"plugin", "rest"}, {"kind", "reader"}});
    scoped.counter("requests_total", "Requests.", {{"status", "200"}}).add();
    CHECK(m.value("plugin_requests_total", {{"pipeline", "p"}, {"plugin", "rest"}, {"kind", "reader"},
                                            {"status", "200"}}) == std::optional<double>(1));
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
