// The mapping plugin: manifest and factory only.
#include <junction/sdk/sdk.hpp>

#include "mapping_config.hpp"
#include "mapping_translator.hpp"

namespace junction::mapping {

class MappingFactory final : public sdk::PluginFactory {
public:
    [[nodiscard]] sdk::PluginInfo info() const override {
        sdk::PluginInfo info;
        info.description = "Config-driven record mapping, so simple integrations need no code";
        info.status = sdk::Maturity::beta;
        info.components.push_back(
            {.kind = sdk::Kind::translator,
             .description =
                 "required, rename, copy, trim, lower, join, map_values, to_utc, set, drop, keep, key; applied in that "
                 "order",
             .options = translator_options(),
             .thread_safe = true});
        return info;
    }
    std::unique_ptr<sdk::Component> create(sdk::Kind kind) override {
        if (kind == sdk::Kind::translator) return std::make_unique<MappingTranslator>();
        return nullptr;
    }
    [[nodiscard]] sdk::Status check_options(sdk::Kind, const sdk::Options& options) const override {
        return check_config(options);
    }
};

}  // namespace junction::mapping

JUNCTION_PLUGIN(junction::mapping::MappingFactory, "mapping", "0.1.0")
