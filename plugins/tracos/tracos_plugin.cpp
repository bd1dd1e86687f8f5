// The tracos plugin: manifest and factory only.
#include <junction/sdk/sdk.hpp>

#include "tracos_config.hpp"
#include "tracos_translator.hpp"

namespace junction::tracos {

class TracosFactory final : public sdk::PluginFactory {
public:
    [[nodiscard]] sdk::PluginInfo info() const override {
        sdk::PluginInfo info;
        info.description = "Work orders between the customer's format and TracOS (SPEC.md section 1)";
        info.status = sdk::Maturity::beta;
        info.components.push_back({.kind = sdk::Kind::translator,
                                   .description = "Validates and maps a work order to_tracos or to_customer",
                                   .options = translator_options(),
                                   .thread_safe = true});
        return info;
    }
    std::unique_ptr<sdk::Component> create(sdk::Kind kind) override {
        if (kind == sdk::Kind::translator) return std::make_unique<TracosTranslator>();
        return nullptr;
    }
};

}  // namespace junction::tracos

JUNCTION_PLUGIN(junction::tracos::TracosFactory, "tracos", "0.1.0")
