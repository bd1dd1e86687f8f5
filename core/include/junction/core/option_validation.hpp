// Checks options against their declared schema (a plugin component's, or a connection
// type's): types, required, defaults, allowed values, ranges, patterns, nested objects and
// lists, path resolution, unknown keys. One implementation, the SDK's
// (junction/sdk/detail/option_check.hpp), so an author's unit test with
// junction/sdk/testing.hpp sees exactly what the host does.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <boost/json/object.hpp>
#include <junction/sdk/options.hpp>

#include "config.hpp"

namespace junction::core {

// Returns the typed options with defaults applied and `path` options made absolute
// against base_dir. Problems are appended to `errors` with paths below `path` (e.g.
// "pipelines[0].writer.options.uri"). Strings holding a number or boolean (from ${VAR})
// are accepted for integer/number/boolean options.
sdk::Options validate_options(const sdk::OptionSchema& schema, const boost::json::object& input,
                              const std::string& path, const std::filesystem::path& base_dir,
                              std::vector<ConfigError>& errors);

// A refusal from a plugin's check_options() as a config error. A message that starts
// with one of the component's options and ": " ("upsert_key: ...", "ack_set.n: ...",
// "upsert_key[1]: ...") is placed under that option, as the schema's own errors are:
// "pipelines[0].writer.options.upsert_key: ...". Any other message stays under
// `options_path` whole.
ConfigError check_options_error(const sdk::OptionSchema& schema, const std::string& options_path,
                                const std::string& message);

// Why a path option's file or folder can be neither used nor created, or empty: an
// existing one that cannot be read, or a missing one whose nearest existing ancestor is
// not a folder ("a path under a file") or not writable. What would exist is left to the
// plugin's open(), which creates what is missing.
std::string path_problem(const std::filesystem::path& path);

// The options with every secret value, at any depth, replaced by "***".
boost::json::object redact(const sdk::OptionSchema& schema, const boost::json::object& options);

// The values redact() would hide (the strings of every secret option, at any depth), for
// scrubbing them out of text that comes from a plugin.
std::vector<std::string> secret_values(const sdk::OptionSchema& schema, const boost::json::object& options);

}  // namespace junction::core
