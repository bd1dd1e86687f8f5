// The tracos translator's options: what the host refuses before open(), word for word.
#include <doctest/doctest.h>

#include "test_context.hpp"
#include "tracos_config.hpp"

using junction::sdk::testing::option_errors;
using junction::tracos::translator_options;
using Lines = std::vector<std::string>;

TEST_CASE("config: direction is required and must be to_tracos or to_customer") {
    CHECK(option_errors(translator_options(), {}) ==
          Lines{"options.direction: required option missing (string: to_tracos: customer work order -> TracOS "
                "document (inbound); to_customer: TracOS document -> customer work order (outbound))"});
    CHECK(option_errors(translator_options(), {{"direction", "sideways"}}) ==
          Lines{"options.direction: \"sideways\" is not one of: to_tracos, to_customer"});
}

TEST_CASE("config: each direction gives its typed value") {
    using junction::tracos::Direction;
    using junction::tracos::TracosConfig;
    TracosConfig config;
    REQUIRE(junction::tracos::parse_config(junction::sdk::Options({{"direction", "to_customer"}}), config).is_ok());
    CHECK(config.direction == Direction::to_customer);
    REQUIRE(junction::tracos::parse_config(junction::sdk::Options({{"direction", "to_tracos"}}), config).is_ok());
    CHECK(config.direction == Direction::to_tracos);
}
