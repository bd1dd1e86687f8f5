#include "tracos_translator.hpp"

#include "work_order_mapping.hpp"

namespace junction::tracos {

sdk::Status TracosTranslator::open(sdk::Context& context) {
    return parse_config(context.options(), config_);
}

sdk::Status TracosTranslator::translate(sdk::Record& record) {
    MappingResult result;
    if (config_.direction == Direction::to_tracos) {
        result = to_tracos(record.payload);
    } else {
        result = to_customer(record.payload);
    }
    if (!result.ok()) return sdk::Status::reject(std::move(result.error));
    record.payload = std::move(result.document);
    record.meta.key = std::move(result.key);
    return sdk::Status::ok();
}

}  // namespace junction::tracos
