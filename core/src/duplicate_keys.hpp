// Keys given twice in one JSON object of the config text, each reported with its path.
#pragma once

#include <string_view>
#include <vector>

#include <boost/json/parse_options.hpp>

#include "junction/core/config.hpp"

namespace junction::core {

void find_duplicate_keys(std::string_view text, const boost::json::parse_options& options,
                         std::vector<ConfigError>& errors);

}  // namespace junction::core
