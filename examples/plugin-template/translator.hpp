// The csvdir translator: upper-cases the string fields it is told to. Stateless after
// open(), so it is thread-safe and the engine runs it on several workers at once.
#pragma once

#include <junction/sdk/components.hpp>

#include "csvdir_config.hpp"

namespace csvdir {

class UppercaseTranslator final : public sdk::Translator {
public:
    sdk::Status open(sdk::Context& context) override;
    sdk::Status translate(sdk::Record& record) override;

private:
    TranslatorConfig config_;
};

}  // namespace csvdir
