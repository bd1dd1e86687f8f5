// The docstore plugin: manifest and factory only.
#include <junction/sdk/sdk.hpp>

#include "docstore_config.hpp"
#include "reader.hpp"
#include "writer.hpp"

namespace junction::docstore {

class DocstoreFactory final : public sdk::PluginFactory {
public:
    [[nodiscard]] sdk::PluginInfo info() const override {
        sdk::PluginInfo info;
        info.description =
            "An embedded document store on SQLite (no server): the demo's stand-in for MongoDB, with the "
            "mongodb plugin's options";
        info.status = sdk::Maturity::beta;
        info.components.push_back({.kind = sdk::Kind::reader,
                                   .description = "Reads the documents a filter matches, in pages; marks each one "
                                                  "with ack_set or reject_set once handled",
                                   .options = reader_schema()});
        info.components.push_back({.kind = sdk::Kind::writer,
                                   .description = "Upserts records keyed on upsert_key, one transaction a batch",
                                   .options = writer_schema()});
        return info;
    }
    std::unique_ptr<sdk::Component> create(sdk::Kind kind) override {
        if (kind == sdk::Kind::reader) return std::make_unique<DocstoreReader>();
        if (kind == sdk::Kind::writer) return std::make_unique<DocstoreWriter>();
        return nullptr;
    }
    // What the schemas cannot say (field names, a filter the store cannot run, marks
    // that would overwrite a key), so that `junction validate` refuses it first.
    [[nodiscard]] sdk::Status check_options(sdk::Kind kind, const sdk::Options& options) const override {
        return kind == sdk::Kind::reader ? check_reader_config(options) : check_writer_config(options);
    }
};

}  // namespace junction::docstore

JUNCTION_PLUGIN(junction::docstore::DocstoreFactory, "docstore", "0.1.0")
