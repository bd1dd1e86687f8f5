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
    const auto direction = options.get_string("direction");
    if (direction == "to_tracos")
        config.direction = Direction::to_tracos;
    else if (direction == "to_customer")
        config.direction = Direction::to_customer;
    else
        return sdk::Status::fatal("tracos: option direction must be to_tracos or to_customer, got \"" + direction +
                                  "\"");
    return sdk::Status::ok();
}

}  // namespace junction::tracos
