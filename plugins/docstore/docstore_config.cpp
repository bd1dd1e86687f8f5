#include "docstore_config.hpp"

#include <stdexcept>

#include "store.hpp"

namespace junction::docstore {
namespace {

using sdk::OptionSpec;
using sdk::OptionType;

const char* const collection_pattern = "^[A-Za-z_][A-Za-z0-9_]*$";

sdk::OptionSchema common_schema() {
    return {
        {.name = "path",
         .type = OptionType::string,
         .default_value = "junction-docstore.db",
         .description = "The SQLite file holding the documents; a relative path resolves against the config "
                        "file's folder. Created if missing."},
        {.name = "collection",
         .type = OptionType::string,
         .required = true,
         .pattern = collection_pattern,
         .description = "The collection (one table per collection): letters, digits and _."},
    };
}

// Field names reach SQL as JSON paths: refuse the ones that cannot be quoted.
sdk::Status check_field(std::string_view option, std::string_view field) {
    try {
        (void)json_path(field);
        return sdk::Status::ok();
    } catch (const std::invalid_argument& e) {
        return sdk::Status::fatal("docstore: option " + std::string(option) + ": " + e.what());
    }
}

sdk::Status make_store_config(const sdk::Context& context, StoreConfig& out) {
    const auto& options = context.options();
    out.collection = options.get_string("collection");
    if (out.collection.empty()) return sdk::Status::fatal("docstore: option collection is required");
    std::filesystem::path path = options.get_string("path", "junction-docstore.db");
    if (path.is_relative() && !context.base_dir().empty()) path = std::filesystem::path(context.base_dir()) / path;
    out.path = path.lexically_normal();
    return sdk::Status::ok();
}

}  // namespace

sdk::OptionSchema writer_schema() {
    auto schema = common_schema();
    schema.push_back({.name = "upsert_key",
                      .type = OptionType::string_list,
                      .required = true,
                      .description = "The fields that identify a document, e.g. [\"number\"]: a record whose key "
                                     "is stored replaces that document (keeping its _id), so replays change "
                                     "nothing."});
    return schema;
}

sdk::OptionSchema reader_schema() {
    auto schema = common_schema();
    schema.push_back({.name = "filter",
                      .type = OptionType::object,
                      .default_value = boost::json::object{},
                      .description = "Which documents to read, MongoDB style: field equality, $eq, $ne, $exists, "
                                     "$in, $gt, $gte, $lt, $lte, e.g. {\"isSynced\": {\"$ne\": true}}."});
    schema.push_back({.name = "ack_set",
                      .type = OptionType::object,
                      .default_value = boost::json::object{},
                      .description = "Fields set on a document once its record was written downstream; \"$now\" "
                                     "is the current UTC time, e.g. {\"isSynced\": true, \"syncedAt\": \"$now\"}."});
    schema.push_back({.name = "reject_set",
                      .type = OptionType::object,
                      .default_value = boost::json::object{},
                      .description = "Fields set on a document whose record was rejected downstream; \"$reason\" "
                                     "is the reason, \"$now\" the current UTC time."});
    schema.push_back({.name = "key_field",
                      .type = OptionType::string,
                      .default_value = "_id",
                      .description = "The field that becomes each record's key."});
    schema.push_back({.name = "sort",
                      .type = OptionType::string,
                      .default_value = "_id",
                      .description = "The field documents are read in order of (then _id)."});
    return schema;
}

sdk::Status make_writer_config(const sdk::Context& context, WriterConfig& out) {
    if (auto s = make_store_config(context, out.store); !s.is_ok()) return s;
    out.upsert_key = context.options().get_strings("upsert_key");
    if (out.upsert_key.empty()) return sdk::Status::fatal("docstore: option upsert_key must name at least one field");
    for (const auto& f : out.upsert_key)
        if (auto s = check_field("upsert_key", f); !s.is_ok()) return s;
    return sdk::Status::ok();
}

sdk::Status make_reader_config(const sdk::Context& context, ReaderConfig& out) {
    if (auto s = make_store_config(context, out.store); !s.is_ok()) return s;
    const auto& options = context.options();
    out.filter = options.get_object("filter");
    out.ack_set = options.get_object("ack_set");
    out.reject_set = options.get_object("reject_set");
    out.key_field = options.get_string("key_field", "_id");
    out.sort = options.get_string("sort", "_id");
    if (auto s = check_field("key_field", out.key_field); !s.is_ok()) return s;
    if (auto s = check_field("sort", out.sort); !s.is_ok()) return s;
    for (const auto* set : {&out.ack_set, &out.reject_set})
        for (const auto& [name, value] : *set)
            if (auto s = check_field(set == &out.ack_set ? "ack_set" : "reject_set", name); !s.is_ok()) return s;
    return sdk::Status::ok();
}

}  // namespace junction::docstore
