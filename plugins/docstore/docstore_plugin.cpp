// The docstore plugin: manifest and factory only.
#include <junction/sdk/sdk.hpp>

#include "collection.hpp"
#include "docstore_config.hpp"
#include "intake.hpp"
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
        info.components.push_back({.kind = sdk::Kind::collection,
                                   .description = "Serves a collection read-only: pages by _id (a cursor), filters "
                                                  "by field equality, one document by _id; alongside a writer",
                                   .options = collection_schema()});
        info.components.push_back({.kind = sdk::Kind::intake,
                                   .description = "Stores an intake endpoint's submissions as documents, once per "
                                                  "identity, each with its outbox row and idempotency key in one "
                                                  "transaction (a reader with outbox: true relays them)",
                                   .options = intake_schema()});
        return info;
    }
    std::unique_ptr<sdk::Component> create(sdk::Kind kind) override {
        if (kind == sdk::Kind::reader) return std::make_unique<DocstoreReader>();
        if (kind == sdk::Kind::writer) return std::make_unique<DocstoreWriter>();
        if (kind == sdk::Kind::collection) return std::make_unique<DocstoreCollection>();
        if (kind == sdk::Kind::intake) return std::make_unique<DocstoreIntake>();
        return nullptr;
    }
    // What the schemas cannot say (field names, a filter the store cannot run, marks
    // that would overwrite a key), so that `junction validate` refuses it first.
    [[nodiscard]] sdk::Status check_options(sdk::Kind kind, const sdk::Options& options) const override {
        switch (kind) {
            case sdk::Kind::reader:
                return check_reader_config(options);
            case sdk::Kind::collection:
                return check_collection_config(options);
            case sdk::Kind::intake:
                return check_intake_config(options);
            default:
                return check_writer_config(options);
        }
    }
};

}  // namespace junction::docstore

JUNCTION_PLUGIN(junction::docstore::DocstoreFactory, "docstore", "0.1.0")
