// MetricRegistry: see metrics.hpp. Series are lock-free to update (atomics); the map of
// series is locked only to register and to export.
#include "junction/core/metrics.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "junction/core/logging.hpp"

namespace junction::core {

namespace {

enum class Type { counter, gauge, histogram };

const char* type_name(Type t) {
    switch (t) {
        case Type::counter:
            return "counter";
        case Type::gauge:
            return "gauge";
        case Type::histogram:
            return "histogram";
    }
    return "untyped";
}

void atomic_add(std::atomic<double>& a, double d) noexcept {
    double cur = a.load(std::memory_order_relaxed);
    while (!a.compare_exchange_weak(cur, cur + d, std::memory_order_relaxed)) {
    }
}

class CounterSeries final : public sdk::Counter {
public:
    void add(double amount) noexcept override {
        if (amount > 0 && std::isfinite(amount)) atomic_add(value, amount);
    }
    std::atomic<double> value{0};
};

class GaugeSeries final : public sdk::Gauge {
public:
    void set(double v) noexcept override { value.store(v, std::memory_order_relaxed); }
    void add(double d) noexcept override { atomic_add(value, d); }
    std::atomic<double> value{0};
};

class HistogramSeries final : public sdk::Histogram {
public:
    explicit HistogramSeries(std::vector<double> bounds) : bounds(std::move(bounds)), counts(this->bounds.size() + 1) {}
    void observe(double v) noexcept override {
        if (!std::isfinite(v)) return;
        const auto i = static_cast<std::size_t>(std::lower_bound(bounds.begin(), bounds.end(), v) - bounds.begin());
        counts[i].fetch_add(1, std::memory_order_relaxed);
        count.fetch_add(1, std::memory_order_relaxed);
        atomic_add(sum, v);
    }
    std::vector<double> bounds;
    std::vector<std::atomic<std::uint64_t>> counts;  // per bucket (not cumulative); last is +Inf
    std::atomic<std::uint64_t> count{0};
    std::atomic<double> sum{0};
};

constexpr double default_buckets[] = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

bool valid_name(std::string_view n) {
    if (n.empty() || n.size() > 200) return false;
    for (std::size_t i = 0; i < n.size(); ++i) {
        const char c = n[i];
        const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
        if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
    }
    return true;
}

std::string escape_label(std::string_view v) {
    std::string out;
    out.reserve(v.size());
    for (const char c : v) {
        if (c == '\\' || c == '"') out += '\\';
        if (c == '\n') {
            out += "\\n";
            continue;
        }
        out += c;
    }
    return out;
}

// Prometheus' help text escapes: backslash and line feed.
std::string escape_help(std::string_view v) {
    std::string out;
    for (const char c : v) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

// Label names as Prometheus takes them, minus those it reserves (le, quantile, __*).
bool valid_labels(const sdk::MetricLabels& labels) {
    for (const auto& [name, value] : labels)
        if (!valid_name(name) || name == "le" || name == "quantile" || name.starts_with("__")) return false;
    return true;
}

std::string number(double v) {
    if (std::isnan(v)) return "NaN";
    if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
    // The shortest text that reads back as the same double: 0.1, not 0.10000000000000001
    // (what Prometheus' own client libraries write, and what le="..." queries expect).
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    return {buf, r.ptr};
}

std::string label_text(const sdk::MetricLabels& labels, std::string_view extra_name = {},
                       std::string_view extra_value = {}) {
    std::string out;
    for (const auto& [k, v] : labels)
        out += (out.empty() ? "" : ",") + k + "=\"" + escape_label(v) + "\"";
    if (!extra_name.empty())
        out += (out.empty() ? "" : ",") + std::string(extra_name) + "=\"" + std::string(extra_value) + "\"";
    return out.empty() ? out : "{" + out + "}";
}

}  // namespace

struct MetricRegistry::Impl {
    struct Family {
        Type type;
        std::string help;
        std::map<sdk::MetricLabels, std::shared_ptr<void>> series;  // type-erased: S by family type
    };
    mutable std::mutex mutex;
    std::map<std::string, Family, std::less<>> families;
    // Where misuses go: updated, never exported. One per type, owned here.
    CounterSeries stray_counter;
    GaugeSeries stray_gauge;
    HistogramSeries stray_histogram{{}};

    template <class S, class Make>
    S* find_or_make(std::string_view name, std::string_view help, Type type, const sdk::MetricLabels& labels,
                    Make&& make) {
        if (!valid_name(name)) {
            log_warn("metric \"" + std::string(name) + "\" ignored: names are letters, digits and _");
            return nullptr;
        }
        if (!valid_labels(labels)) {
            log_warn("metric \"" + std::string(name) +
                     "\" ignored: label names are letters, digits and _, not le, quantile or __*");
            return nullptr;
        }
        std::lock_guard lock(mutex);
        auto it = families.find(name);
        if (it == families.end()) it = families.emplace(std::string(name), Family{type, std::string(help), {}}).first;
        if (it->second.type != type) {
            log_warn("metric \"" + std::string(name) + "\" ignored: already registered as a " +
                     type_name(it->second.type));
            return nullptr;
        }
        auto sorted = labels;
        std::sort(sorted.begin(), sorted.end());
        auto& slot = it->second.series[sorted];
        if (!slot) slot = std::shared_ptr<S>(make());
        return static_cast<S*>(slot.get());
    }
};

MetricRegistry::MetricRegistry() : impl_(std::make_unique<Impl>()) {}
MetricRegistry::~MetricRegistry() = default;

sdk::Counter& MetricRegistry::counter(std::string_view name, std::string_view help, const sdk::MetricLabels& labels) {
    auto* s = impl_->find_or_make<CounterSeries>(name, help, Type::counter, labels, [] { return new CounterSeries; });
    return s != nullptr ? *s : impl_->stray_counter;
}

sdk::Gauge& MetricRegistry::gauge(std::string_view name, std::string_view help, const sdk::MetricLabels& labels) {
    auto* s = impl_->find_or_make<GaugeSeries>(name, help, Type::gauge, labels, [] { return new GaugeSeries; });
    return s != nullptr ? *s : impl_->stray_gauge;
}

sdk::Histogram& MetricRegistry::histogram(std::string_view name, std::string_view help,
                                          std::span<const double> buckets, const sdk::MetricLabels& labels) {
    std::vector<double> bounds(buckets.begin(), buckets.end());
    if (bounds.empty()) bounds.assign(std::begin(default_buckets), std::end(default_buckets));
    std::sort(bounds.begin(), bounds.end());
    bounds.erase(std::unique(bounds.begin(), bounds.end()), bounds.end());
    auto* s = impl_->find_or_make<HistogramSeries>(name, help, Type::histogram, labels,
                                                   [&] { return new HistogramSeries(bounds); });
    return s != nullptr ? *s : impl_->stray_histogram;
}

std::string MetricRegistry::prometheus_text() const {
    std::string out;
    std::lock_guard lock(impl_->mutex);
    for (const auto& [name, family] : impl_->families) {
        const std::string full = "junction_" + name;
        out += "# HELP " + full + " " + escape_help(family.help) + "\n";
        out += "# TYPE " + full + " " + type_name(family.type) + "\n";
        for (const auto& [labels, ptr] : family.series) {
            switch (family.type) {
                case Type::counter:
                    out += full + label_text(labels) + " " +
                           number(static_cast<CounterSeries*>(ptr.get())->value.load()) + "\n";
                    break;
                case Type::gauge:
                    out += full + label_text(labels) + " " +
                           number(static_cast<GaugeSeries*>(ptr.get())->value.load()) + "\n";
                    break;
                case Type::histogram: {
                    const auto* h = static_cast<HistogramSeries*>(ptr.get());
                    std::uint64_t cumulative = 0;
                    for (std::size_t i = 0; i <= h->bounds.size(); ++i) {
                        cumulative += h->counts[i].load();
                        const std::string le = i < h->bounds.size() ? number(h->bounds[i]) : "+Inf";
                        out += full + "_bucket" + label_text(labels, "le", le) + " " + std::to_string(cumulative) +
                               "\n";
                    }
                    out += full + "_sum" + label_text(labels) + " " + number(h->sum.load()) + "\n";
                    out += full + "_count" + label_text(labels) + " " + std::to_string(h->count.load()) + "\n";
                    break;
                }
            }
        }
    }
    return out;
}

std::optional<double> MetricRegistry::value(std::string_view name, const sdk::MetricLabels& labels) const {
    std::lock_guard lock(impl_->mutex);
    const auto it = impl_->families.find(name);
    if (it == impl_->families.end()) return std::nullopt;
    auto sorted = labels;
    std::sort(sorted.begin(), sorted.end());
    const auto s = it->second.series.find(sorted);
    if (s == it->second.series.end()) return std::nullopt;
    switch (it->second.type) {
        case Type::counter:
            return static_cast<CounterSeries*>(s->second.get())->value.load();
        case Type::gauge:
            return static_cast<GaugeSeries*>(s->second.get())->value.load();
        case Type::histogram:
            return static_cast<double>(static_cast<HistogramSeries*>(s->second.get())->count.load());
    }
    return std::nullopt;
}

sdk::MetricLabels ScopedMetrics::with_base(const sdk::MetricLabels& labels) const {
    auto all = base_;
    for (const auto& l : labels)
        if (std::none_of(all.begin(), all.end(), [&](const auto& b) { return b.first == l.first; })) all.push_back(l);
    return all;
}

// A plugin's series live under "plugin_", apart from the engine's own.
sdk::Counter& ScopedMetrics::counter(std::string_view name, std::string_view help, const sdk::MetricLabels& labels) {
    return registry_.counter("plugin_" + std::string(name), help, with_base(labels));
}

sdk::Gauge& ScopedMetrics::gauge(std::string_view name, std::string_view help, const sdk::MetricLabels& labels) {
    return registry_.gauge("plugin_" + std::string(name), help, with_base(labels));
}

sdk::Histogram& ScopedMetrics::histogram(std::string_view name, std::string_view help, std::span<const double> buckets,
                                         const sdk::MetricLabels& labels) {
    return registry_.histogram("plugin_" + std::string(name), help, buckets, with_base(labels));
}

}  // namespace junction::core
