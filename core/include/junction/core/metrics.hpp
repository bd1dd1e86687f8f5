// The host's metric registry: counters, gauges and histograms registered by the engine
// and by plugins (through sdk::Metrics), owned here, exported as Prometheus text.
#pragma once

#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include <junction/sdk/services.hpp>

namespace junction::core {

class MetricRegistry {
public:
    MetricRegistry();
    ~MetricRegistry();
    MetricRegistry(const MetricRegistry&) = delete;
    MetricRegistry& operator=(const MetricRegistry&) = delete;

    // The series of that name and labels, created on first use. A name already taken by
    // another type, or not a valid metric name, gets a series that is never exported
    // (and one warning): a plugin's mistake must not stop its pipeline.
    sdk::Counter& counter(std::string_view name, std::string_view help, const sdk::MetricLabels& labels);
    sdk::Gauge& gauge(std::string_view name, std::string_view help, const sdk::MetricLabels& labels);
    sdk::Histogram& histogram(std::string_view name, std::string_view help, std::span<const double> buckets,
                              const sdk::MetricLabels& labels);

    // Every series in the Prometheus text exposition format (version 0.0.4), names
    // prefixed "junction_", sorted by name then labels.
    [[nodiscard]] std::string prometheus_text() const;

    // One series' current value (counters and gauges; a histogram's count), for tests
    // and status pages; nothing when absent.
    [[nodiscard]] std::optional<double> value(std::string_view name, const sdk::MetricLabels& labels) const;

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// The sdk::Metrics a component sees: the registry, with its pipeline, plugin and kind
// added to every series' labels.
class ScopedMetrics final : public sdk::Metrics {
public:
    ScopedMetrics(MetricRegistry& registry, sdk::MetricLabels base) : registry_(registry), base_(std::move(base)) {}
    sdk::Counter& counter(std::string_view name, std::string_view help, const sdk::MetricLabels& labels) override;
    sdk::Gauge& gauge(std::string_view name, std::string_view help, const sdk::MetricLabels& labels) override;
    sdk::Histogram& histogram(std::string_view name, std::string_view help, std::span<const double> buckets,
                              const sdk::MetricLabels& labels) override;

private:
    sdk::MetricLabels with_base(const sdk::MetricLabels& labels) const;
    MetricRegistry& registry_;
    sdk::MetricLabels base_;
};

// What GET /metrics answers (Content-Type: text/plain; version=0.0.4; charset=utf-8):
// the registry's series (prometheus_text()), then the process' own, read from
// /proc/self at the time of the call: process_resident_memory_bytes,
// process_virtual_memory_bytes, process_open_fds, process_max_fds,
// process_start_time_seconds, process_cpu_seconds_total (the names Prometheus' client
// libraries use, without the junction_ prefix), junction_build_info{version,sdk} 1 and
// junction_uptime_seconds. A value /proc does not give is left out, never made up.
// Safe to call from any thread while pipelines run.
[[nodiscard]] std::string metrics_exposition(const MetricRegistry& registry);

// The process part of metrics_exposition alone.
[[nodiscard]] std::string process_metrics_text();

}  // namespace junction::core
