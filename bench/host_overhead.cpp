// Host overheads that a wall clock around `junction run` cannot separate out.
//
//   host_overhead load PLUGIN.so
//       Loads one plugin library with core's PluginRegistry (dlopen, manifest and ABI
//       check, factory) in a fresh process; prints "load_us=N plugin=NAME".
//   host_overhead first-record OUTFILE -- COMMAND [ARGS...]
//       Starts COMMAND and polls OUTFILE (every 100 us) until it is non-empty; prints
//       "first_record_ms=N total_ms=M" (process start to first output byte, and to exit).
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "junction/core/plugin_registry.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double ms_since(Clock::time_point t) {
    return std::chrono::duration<double, std::milli>(Clock::now() - t).count();
}

int load(const char* file) {
    const auto started = Clock::now();
    junction::core::PluginRegistry registry;
    registry.load_file(file);
    const double us = ms_since(started) * 1000.0;
    if (!registry.problems().empty() || registry.plugins().empty()) {
        std::fprintf(stderr, "host_overhead: %s: %s\n", file,
                     registry.problems().empty() ? "no plugin" : registry.problems().front().message.c_str());
        return 1;
    }
    std::printf("load_us=%.0f plugin=%s\n", us, registry.plugins().front()->info().name.c_str());
    return 0;
}

int first_record(const char* out_file, char** argv) {
    const auto started = Clock::now();
    const pid_t pid = ::fork();
    if (pid < 0) return 1;
    if (pid == 0) {
        ::execvp(argv[0], argv);
        std::fprintf(stderr, "host_overhead: cannot run %s: %s\n", argv[0], std::strerror(errno));
        ::_exit(127);
    }
    double first = -1;
    int status = 0;
    for (;;) {
        struct stat st {};
        if (first < 0 && ::stat(out_file, &st) == 0 && st.st_size > 0) first = ms_since(started);
        const pid_t done = ::waitpid(pid, &status, WNOHANG);
        if (done == pid) break;
        std::this_thread::sleep_for(std::chrono::microseconds(first < 0 ? 100 : 5000));
    }
    const double total = ms_since(started);
    if (first < 0) {
        struct stat st {};
        if (::stat(out_file, &st) == 0 && st.st_size > 0) first = total;
    }
    std::printf("first_record_ms=%.1f total_ms=%.1f\n", first, total);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc == 3 && std::strcmp(argv[1], "load") == 0) return load(argv[2]);
    if (argc >= 5 && std::strcmp(argv[1], "first-record") == 0 && std::strcmp(argv[3], "--") == 0)
        return first_record(argv[2], argv + 4);
    std::fprintf(stderr,
                 "usage: host_overhead load PLUGIN.so\n"
                 "       host_overhead first-record OUTFILE -- COMMAND [ARGS...]\n");
    return 2;
}
