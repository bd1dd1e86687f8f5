// The tracos translator's options (the declared schema) and its typed config.
#pragma once

#include <junction/sdk/options.hpp>

namespace junction::tracos {

enum class Direction : unsigned char { to_tracos, to_customer };

struct TracosConfig {
    Direction direction;
};

sdk::OptionSchema translator_options();

// The typed config of options the host validated against translator_options(): the
// schema's `allowed` refuses any other direction before open().
TracosConfig parse_config(const sdk::Options& options);

}  // namespace junction::tracos
