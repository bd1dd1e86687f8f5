// Applies a MappingConfig to one payload: pure, no I/O, safe from several threads.
#pragma once

#include <string>

#include <boost/json/object.hpp>

#include "mapping_config.hpp"

namespace junction::mapping {

// Rewrites payload in place and returns empty, or returns the reject reason (naming
// the operation and field) with payload possibly half-rewritten: callers that must
// keep the original work on a copy. `key` receives the key field's text when config.key is set.
std::string apply_rules(const MappingConfig& config, boost::json::object& payload, std::string& key);

}  // namespace junction::mapping
