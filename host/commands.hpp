// The `junction` sub-commands. Each parses its own arguments after the global options.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <junction/core/logging.hpp>

namespace junction::host {

// Exit codes, documented in `junction --help`.
enum Exit : int {
    exit_ok = 0,
    exit_failure = 1,        // a pipeline failed, a check failed, a plugin was not found
    exit_usage = 2,          // bad command line
    exit_invalid_config = 3  // the config file is unreadable or invalid
};

struct GlobalOptions {
    std::vector<std::filesystem::path> plugin_dirs;  // --plugin-dir, repeatable, searched first
    core::LogSettings log;
};

int cmd_plugins(const GlobalOptions& global, const std::vector<std::string>& args);
// host/cmd_pipeline.cpp: run, validate, check, runs, dead-letters
int cmd_run(const GlobalOptions& global, const std::vector<std::string>& args);
int cmd_validate(const GlobalOptions& global, const std::vector<std::string>& args);
int cmd_check(const GlobalOptions& global, const std::vector<std::string>& args);
int cmd_runs(const GlobalOptions& global, const std::vector<std::string>& args);
int cmd_dead_letters(const GlobalOptions& global, const std::vector<std::string>& args);
// host/cmd_schema.cpp: schema doc, schema check
int cmd_schema(const GlobalOptions& global, const std::vector<std::string>& args);

}  // namespace junction::host
