// The process' series for GET /metrics (see metrics.hpp), read from /proc at scrape time
// as Prometheus' client libraries do: nothing is sampled in the background.
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <vector>

#include <junction/sdk/abi.hpp>

#include "junction/core/metrics.hpp"

#ifndef JUNCTION_VERSION
#define JUNCTION_VERSION "0.0.0"
#endif

namespace junction::core {

namespace {

std::string read_all(const char* path) {
    std::ifstream in(path);
    std::ostringstream out;
    out << in.rdbuf();
    return out.str();
}

std::string number(double v) {
    char buf[32];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    return {buf, r.ptr};
}

void family(std::string& out, const char* name, const char* type, const char* help, const std::string& sample) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + sample + "\n";
}

// /proc/self/stat's fields from the third (state) on: the second, the command name in
// parentheses, may hold spaces and parentheses itself, so the split starts after the last ')'.
std::vector<std::string> stat_fields() {
    const auto text = read_all("/proc/self/stat");
    const auto close = text.rfind(')');
    std::vector<std::string> fields;
    if (close == std::string::npos) return fields;
    std::istringstream in(text.substr(close + 1));
    for (std::string f; in >> f;)
        fields.push_back(f);
    return fields;
}

std::optional<double> field(const std::vector<std::string>& fields, std::size_t number_in_proc_5) {
    const std::size_t i = number_in_proc_5 - 3;  // proc(5) numbers fields from 1; ours start at 3
    if (i >= fields.size()) return std::nullopt;
    double v = 0;
    const auto& f = fields[i];
    if (std::from_chars(f.data(), f.data() + f.size(), v).ec != std::errc{}) return std::nullopt;
    return v;
}

std::optional<double> boot_time_seconds() {
    std::istringstream in(read_all("/proc/stat"));
    for (std::string line; std::getline(in, line);)
        if (line.starts_with("btime ")) return std::stod(line.substr(6));
    return std::nullopt;
}

std::optional<double> system_uptime_seconds() {
    std::istringstream in(read_all("/proc/uptime"));
    double up = 0;
    if (in >> up) return up;
    return std::nullopt;
}

}  // namespace

std::string process_metrics_text() {
    std::string out;
    const auto fields = stat_fields();
    const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
    const double page = static_cast<double>(::sysconf(_SC_PAGESIZE));
    const auto utime = field(fields, 14), stime = field(fields, 15), start_ticks = field(fields, 22);
    const auto vsize = field(fields, 23), rss = field(fields, 24);
    if (utime && stime && ticks > 0)
        family(out, "process_cpu_seconds_total", "counter", "Total user and system CPU time spent in seconds.",
               "process_cpu_seconds_total " + number((*utime + *stime) / ticks));
    std::error_code ec;
    std::size_t fds = 0;
    for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end; it.increment(ec))
        ++fds;
    if (!ec)
        family(out, "process_open_fds", "gauge", "Number of open file descriptors.",
               "process_open_fds " + std::to_string(fds));
    if (rlimit lim{}; ::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY)
        family(out, "process_max_fds", "gauge", "Maximum number of open file descriptors.",
               "process_max_fds " + std::to_string(lim.rlim_cur));
    if (rss && page > 0)
        family(out, "process_resident_memory_bytes", "gauge", "Resident memory size in bytes.",
               "process_resident_memory_bytes " + number(*rss * page));
    const auto boot = boot_time_seconds();
    if (start_ticks && boot && ticks > 0)
        family(out, "process_start_time_seconds", "gauge", "Start time of the process since unix epoch in seconds.",
               "process_start_time_seconds " + number(*boot + *start_ticks / ticks));
    if (vsize)
        family(out, "process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.",
               "process_virtual_memory_bytes " + number(*vsize));
    family(out, "junction_build_info", "gauge", "Junction's version and SDK version; always 1.",
           std::string("junction_build_info{sdk=\"") + JUNCTION_SDK_VERSION + "\",version=\"" + JUNCTION_VERSION +
               "\"} 1");
    // Measured against the system's uptime, both in clock ticks since boot: a clock
    // that steps (NTP, a manual change) does not move it.
    if (const auto up = system_uptime_seconds(); up && start_ticks && ticks > 0)
        family(out, "junction_uptime_seconds", "gauge", "Seconds since the junction process started.",
               "junction_uptime_seconds " + number(std::max(0.0, *up - *start_ticks / ticks)));
    return out;
}

std::string metrics_exposition(const MetricRegistry& registry) {
    return registry.prometheus_text() + process_metrics_text();
}

}  // namespace junction::core
