// The databox plugin: manifest and factory only.
#include <junction/sdk/sdk.hpp>

#include "databox_config.hpp"
#include "writer.hpp"

namespace junction::databox {

class DataboxFactory final : public sdk::PluginFactory {
public:
    [[nodiscard]] sdk::PluginInfo info() const override {
        sdk::PluginInfo info;
        info.description =
            "Databox datasets (API v1): rows checked against a versioned dataset schema, upserted by its primary "
            "key, every push in the push log";
        info.status = sdk::Maturity::beta;
        info.components.push_back({.kind = sdk::Kind::writer,
                                   .description = "Pushes each record, cut to the schema's fields, to a Databox "
                                                  "dataset in ingestions of at most batch_rows rows",
                                   .options = writer_schema()});
        return info;
    }
    std::unique_ptr<sdk::Component> create(sdk::Kind kind) override {
        if (kind == sdk::Kind::writer) return std::make_unique<DataboxWriter>();
        return nullptr;
    }
    // The schema file and its earlier versions, so `junction validate` refuses a breaking
    // change before any push.
    [[nodiscard]] sdk::Status check_options(sdk::Kind kind, const sdk::Options& options) const override {
        return kind == sdk::Kind::writer ? check_writer_config(options) : sdk::Status::ok();
    }
};

}  // namespace junction::databox

JUNCTION_PLUGIN(junction::databox::DataboxFactory, "databox", "0.1.0")
