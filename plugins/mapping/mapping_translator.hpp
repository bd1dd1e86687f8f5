// The mapping translator: applies the configured rules to each record. Stateless
// after open(), so the engine may call translate() from several workers at once.
#pragma once

#include <junction/sdk/components.hpp>

#include "mapping_config.hpp"

namespace junction::mapping {

class MappingTranslator final : public sdk::Translator {
public:
    sdk::Status open(sdk::Context& context) override;
    sdk::Status translate(sdk::Record& record) override;

private:
    MappingConfig config_;
};

}  // namespace junction::mapping
