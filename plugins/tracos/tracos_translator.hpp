// The tracos translator: maps each record one way (option direction); stateless, so
// the engine may call it from several workers at once.
#pragma once

#include <junction/sdk/components.hpp>

#include "tracos_config.hpp"

namespace junction::tracos {

class TracosTranslator final : public sdk::Translator {
public:
    sdk::Status open(sdk::Context& context) override;
    sdk::Status translate(sdk::Record& record) override;

private:
    TracosConfig config_;
};

}  // namespace junction::tracos
