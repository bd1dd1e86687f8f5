// Checks a plugin's options against its declared schema: types, required, defaults,
// allowed values, ranges, patterns, unknown keys. Also redacts secrets for display.
#pragma once

#include <string>
#include <vector>

#include <boost/json/object.hpp>
#include <junction/sdk/options.hpp>

#include "config.hpp"

namespace junction::core {

// Returns the typed options with defaults applied. Problems are appended to `errors`
// with paths below `path` (e.g. "pipelines[0].writer.options.uri"). Strings holding a
// number or boolean (from ${VAR}) are accepted for integer/number/boolean options.
sdk::Options validate_options(const sdk::OptionSchema& schema, const boost::json::object& input,
                              const std::string& path, std::vector<ConfigError>& errors);

// The options as JSON text with every secret option's value replaced by "***".
boost::json::object redact(const sdk::OptionSchema& schema, const boost::json::object& options);

}  // namespace junction::core
