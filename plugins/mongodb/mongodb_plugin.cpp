// The mongodb plugin's manifest and factory: a reader, a writer, a collection and an
// intake on the MongoDB C driver.
#include <junction/sdk/sdk.hpp>

#include "collection.hpp"
#include "intake.hpp"
#include "mongodb_config.hpp"
#include "reader.hpp"
#include "writer.hpp"

namespace junction::mongodb {

class MongoFactory final : public sdk::PluginFactory {
public:
    [[nodiscard]] sdk::PluginInfo info() const override {
        return {
            .description =
                "MongoDB collections through the MongoDB C driver: read documents matching a query "
                "(marking them once written), upsert records by key",
            .status = sdk::Maturity::beta,
            .components = {{.kind = sdk::Kind::reader,
                            .description = "documents matching `filter`, paged by _id; ack_set/reject_set mark "
                                           "them after delivery",
                            .options = reader_options()},
                           {.kind = sdk::Kind::writer,
                            .description = "upsert by `upsert_key` behind a unique index, one unordered bulk per "
                                           "batch",
                            .options = writer_options()},
                           {.kind = sdk::Kind::collection,
                            .description = "serves the collection read-only: pages by _id (a cursor), filters by "
                                           "field equality, one document by _id (ObjectId hex or string)",
                            .options = collection_options()},
                           {.kind = sdk::Kind::intake,
                            .description = "stores an intake endpoint's submissions, one document per identity "
                                           "(its _id) carrying its outbox state; idempotency keys beside, in one "
                                           "transaction where the server has them",
                            .options = intake_options()}},
        };
    }
    std::unique_ptr<sdk::Component> create(sdk::Kind kind) override {
        if (kind == sdk::Kind::reader) return std::make_unique<MongoReader>();
        if (kind == sdk::Kind::writer) return std::make_unique<MongoWriter>();
        if (kind == sdk::Kind::collection) return std::make_unique<MongoCollection>();
        if (kind == sdk::Kind::intake) return std::make_unique<MongoIntake>();
        return nullptr;
    }
    // What the schemas cannot say (the URI's syntax, field names, a filter that does not
    // convert, marks that would overwrite a key), so that `junction validate` refuses it first.
    [[nodiscard]] sdk::Status check_options(sdk::Kind kind, const sdk::Options& options) const override {
        switch (kind) {
            case sdk::Kind::reader:
                return check_reader_config(options);
            case sdk::Kind::collection:
            case sdk::Kind::intake:
                return check_collection_config(options);
            default:
                return check_writer_config(options);
        }
    }
};

}  // namespace junction::mongodb

JUNCTION_PLUGIN(junction::mongodb::MongoFactory, "mongodb", "0.1.0")
