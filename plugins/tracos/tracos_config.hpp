// The tracos translator's options (the declared schema) and its typed config.
#pragma once

#include <string>

#include <junction/sdk/options.hpp>
#include <junction/sdk/status.hpp>

namespace junction::tracos {

enum class Direction : unsigned char { to_tracos, to_customer };

struct TracosConfig {
    Direction direction = Direction::to_tracos;
};

sdk::OptionSchema translator_options();

// Fills config from options already validated against translator_options(); a
// fatal status names the option when they are not usable.
sdk::Status parse_config(const sdk::Options& options, TracosConfig& config);

}  // namespace junction::tracos
