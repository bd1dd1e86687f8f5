#include "translator.hpp"

#include <junction/sdk/json_types.hpp>

namespace csvdir {

sdk::Status UppercaseTranslator::open(sdk::Context& context) {
    config_ = translator_config(context.options());
    return sdk::Status::ok();
}

// Called from several threads at once: it only reads config_.
sdk::Status UppercaseTranslator::translate(sdk::Record& record) {
    // Every check first: a rejected record must stay as it came (the engine dead-letters
    // it, and a replay re-enters here with what was stored).
    for (const auto& field : config_.fields) {
        const auto* value = record.payload.if_contains(field);
        if (value == nullptr || value->is_null()) {
            if (config_.strict) return sdk::Status::reject(field + ": required");
            continue;
        }
        if (!value->is_string())
            return sdk::Status::reject(field + ": expected string, got " + sdk::json_type_name(*value));
    }
    for (const auto& field : config_.fields) {
        auto* value = record.payload.if_contains(field);
        if (value == nullptr || value->is_null()) continue;
        for (auto& c : value->get_string())
            if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');  // ASCII, whatever the locale
    }
    return sdk::Status::ok();
}

}  // namespace csvdir
