#include "mongodb_config.hpp"

namespace junction::mongodb {
namespace {

using sdk::OptionSpec;
using sdk::OptionType;

sdk::OptionSchema common_options() {
    return {
        {.name = "uri",
         .type = OptionType::string,
         .required = true,
         .description = "MongoDB connection string, e.g. mongodb://user:pass@host:27017/?authSource=admin",
         .secret = true},
        {.name = "database",
         .type = OptionType::string,
         .required = true,
         .pattern = "[^/\\\\. \"$]+",
         .description = "database name"},
        {.name = "collection",
         .type = OptionType::string,
         .required = true,
         .pattern = "[^$].*",
         .description = "collection name"},
        {.name = "timeout_ms",
         .type = OptionType::integer,
         .default_value = 5000,
         .min = 100,
         .max = 600000,
         .description = "server selection, connect and socket timeout of every call, in milliseconds"},
        {.name = "date_fields",
         .type = OptionType::string_list,
         .default_value = boost::json::array{},
         .description = "payload fields (dotted paths) held as ISO 8601 strings in records and as BSON dates in "
                        "MongoDB"},
    };
}

sdk::Status parse_common(const sdk::Options& options, CommonConfig& out) {
    out.uri = options.get_string("uri");
    out.database = options.get_string("database");
    out.collection = options.get_string("collection");
    out.timeout = std::chrono::milliseconds(options.get_int("timeout_ms", 5000));
    out.date_fields = options.get_strings("date_fields");
    if (out.database.empty() || out.collection.empty())
        return sdk::Status::fatal("mongodb: options 'database' and 'collection' must not be empty");
    for (const auto& f : out.date_fields)
        if (f.empty()) return sdk::Status::fatal("mongodb: option 'date_fields' holds an empty field name");
    return sdk::Status::ok();
}

}  // namespace

sdk::OptionSchema reader_options() {
    auto schema = common_options();
    schema.push_back({.name = "filter",
                      .type = OptionType::object,
                      .default_value = boost::json::object{},
                      .description = "MongoDB query (Extended JSON) selecting the documents to read, e.g. "
                                     "{\"isSynced\": {\"$ne\": true}}"});
    schema.push_back({.name = "ack_set",
                      .type = OptionType::object,
                      .default_value = boost::json::object{},
                      .description = "$set applied by _id once a record is written; the string \"$now\" is the "
                                     "current time as a BSON date"});
    schema.push_back({.name = "reject_set",
                      .type = OptionType::object,
                      .default_value = boost::json::object{},
                      .description = "$set applied by _id once a record is rejected; \"$reason\" is the reason, "
                                     "\"$now\" the current time"});
    schema.push_back({.name = "key_field",
                      .type = OptionType::string,
                      .default_value = "_id",
                      .description = "document field that becomes the record's key"});
    schema.push_back({.name = "sort",
                      .type = OptionType::string,
                      .default_value = "_id",
                      .description = "field the documents are read in order of (ascending; ties by _id)"});
    return schema;
}

sdk::OptionSchema writer_options() {
    auto schema = common_options();
    schema.push_back({.name = "upsert_key",
                      .type = OptionType::string_list,
                      .required = true,
                      .description = "fields identifying a document, e.g. [\"number\"]: a unique index is created "
                                     "on them and every record is upserted by them"});
    return schema;
}

sdk::Status parse_reader_config(const sdk::Options& options, ReaderConfig& out) {
    if (auto s = parse_common(options, out); !s.is_ok()) return s;
    out.filter = options.get_object("filter");
    out.ack_set = options.get_object("ack_set");
    out.reject_set = options.get_object("reject_set");
    out.key_field = options.get_string("key_field", "_id");
    out.sort = options.get_string("sort", "_id");
    if (out.key_field.empty() || out.sort.empty())
        return sdk::Status::fatal("mongodb: options 'key_field' and 'sort' must not be empty");
    return sdk::Status::ok();
}

sdk::Status parse_writer_config(const sdk::Options& options, WriterConfig& out) {
    if (auto s = parse_common(options, out); !s.is_ok()) return s;
    out.upsert_key = options.get_strings("upsert_key");
    if (out.upsert_key.empty())
        return sdk::Status::fatal("mongodb: option 'upsert_key' needs at least one field, e.g. [\"number\"]");
    for (const auto& f : out.upsert_key)
        if (f.empty() || f == "_id")
            return sdk::Status::fatal("mongodb: option 'upsert_key' holds '" + f +
                                      "'; name business key fields (not _id)");
    return sdk::Status::ok();
}

}  // namespace junction::mongodb
