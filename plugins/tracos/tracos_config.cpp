#include "tracos_config.hpp"

namespace junction::tracos {

sdk::OptionSchema translator_options() {
    return {
        {.name = "direction",
         .type = sdk::OptionType::string,
         .required = true,
         .allowed = {"to_tracos", "to_customer"},
         .description = "to_tracos: customer work order -> TracOS document (inbound); "
                        "to_customer: TracOS document -> customer work order (outbound)"},
    };
}

sdk::Status parse_config(const sdk::Options& options, TracosConfig& config) {
    config.direction = options.get_string("direction") == "to_customer" ? Direction::to_customer : Direction::to_tracos;
    return sdk::Status::ok();
}

}  // namespace junction::tracos
