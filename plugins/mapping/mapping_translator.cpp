#include "mapping_translator.hpp"

#include "mapping_rules.hpp"

namespace junction::mapping {

sdk::Status MappingTranslator::open(sdk::Context& context) {
    config_ = parse_config(context.options());
    return sdk::Status::ok();
}

sdk::Status MappingTranslator::translate(sdk::Record& record) {
    // Rules run on a copy so a rejected record is dead-lettered exactly as it arrived.
    boost::json::object payload = record.payload;
    std::string key;
    if (auto error = apply_rules(config_, payload, key); !error.empty()) return sdk::Status::reject(std::move(error));
    record.payload = std::move(payload);
    if (!config_.key.empty()) record.meta.key = std::move(key);
    return sdk::Status::ok();
}

}  // namespace junction::mapping
