// The mongodb plugin's manifest and factory: a reader and a writer on the MongoDB C driver.
#include <junction/sdk/sdk.hpp>

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
                            .options = writer_options()}},
        };
    }
    std::unique_ptr<sdk::Component> create(sdk::Kind kind) override {
        if (kind == sdk::Kind::reader) return std::make_unique<MongoReader>();
        if (kind == sdk::Kind::writer) return std::make_unique<MongoWriter>();
        return nullptr;
    }
    // What the schemas cannot say (the URI's syntax, field names, a filter that does not
    // convert, marks that would overwrite a key), so that `junction validate` refuses it first.
    [[nodiscard]] sdk::Status check_options(sdk::Kind kind, const sdk::Options& options) const override {
        return kind == sdk::Kind::reader ? check_reader_config(options) : check_writer_config(options);
    }
};

}  // namespace junction::mongodb

JUNCTION_PLUGIN(junction::mongodb::MongoFactory, "mongodb", "0.1.0")
