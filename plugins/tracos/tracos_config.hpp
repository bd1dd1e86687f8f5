// The tracos translator's options (the declared schema) and its typed config.
#pragma once

#include <junction/sdk/options.hpp>
#include <junction/sdk/status.hpp>

namespace junction::tracos {

enum class Direction : unsigned char { to_tracos, to_customer };

struct TracosConfig {
    Direction direction = Direction::to_tracos;  // not a default: the option is required
};

sdk::OptionSchema translator_options();

// Fills config from options the host validated against translator_options(), whose
// `allowed` refuses any other direction before open(): always ok.
sdk::Status parse_config(const sdk::Options& options, TracosConfig& config);

}  // namespace junction::tracos
