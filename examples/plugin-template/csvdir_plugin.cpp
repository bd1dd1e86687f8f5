// The csvdir plugin's export: what it is, its components and their options, and the
// factory that creates them. No run state here.
#include <memory>

#include <junction/sdk/plugin.hpp>

#include "csvdir_config.hpp"
#include "reader.hpp"
#include "translator.hpp"

namespace csvdir {

class Factory final : public sdk::PluginFactory {
public:
    [[nodiscard]] sdk::PluginInfo info() const override {
        return {.description = "Folders of CSV files (a header line, no quoting) as records; upper-cases fields.",
                .status = sdk::Maturity::experimental,
                .components = {{.kind = sdk::Kind::reader,
                                .description = "Reads every line of the folder's files, resumes mid-file, and "
                                               "moves a file to done/ once all its lines are delivered.",
                                .options = reader_options()},
                               {.kind = sdk::Kind::translator,
                                .description = "Upper-cases the chosen string fields.",
                                .options = translator_options(),
                                .thread_safe = true}}};
    }

    std::unique_ptr<sdk::Component> create(sdk::Kind kind) override {
        switch (kind) {
            case sdk::Kind::reader:
                return std::make_unique<CsvReader>();
            case sdk::Kind::translator:
                return std::make_unique<UppercaseTranslator>();
            default:
                return nullptr;  // a kind this plugin does not provide
        }
    }

    [[nodiscard]] sdk::Status check_options(sdk::Kind kind, const sdk::Options& options) const override {
        return kind == sdk::Kind::reader ? check_reader_options(options) : sdk::Status::ok();
    }
};

}  // namespace csvdir

// The name pipelines use ("plugin": "csvdir") and this plugin's version: the library's one export.
JUNCTION_PLUGIN(csvdir::Factory, "csvdir", "0.2.0")
