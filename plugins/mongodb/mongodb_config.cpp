#include "mongodb_config.hpp"

#include <boost/json/serialize.hpp>
#include <junction/sdk/json_path.hpp>

#include "client.hpp"
#include "convert.hpp"
#include "query_check.hpp"

namespace junction::mongodb {
namespace {

namespace json = boost::json;
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
         .default_value = json::array{},
         .description = "payload fields (dotted paths) held as ISO 8601 strings in records and as BSON dates in "
                        "MongoDB"},
    };
}

std::string json_quoted(std::string_view s) {
    return json::serialize(json::string_view(s.data(), s.size()));
}

// The reader vocabulary's refusal of a field name, worded as the docstore plugin does.
std::string field_problem(const std::string& where, std::string_view name) {
    if (sdk::is_valid_path(name)) return {};
    return where + ": " + json_quoted(name) +
           " is not a field path: " + (name.empty() ? "it is empty" : "it has an empty segment");
}

std::string list_problem(const std::vector<std::string>& fields, const std::string& name) {
    for (std::size_t i = 0; i < fields.size(); ++i)
        if (auto p = field_problem(name + "[" + std::to_string(i) + "]", fields[i]); !p.empty()) return p;
    return {};
}

// ack_set / reject_set: field names, none that would change the document's _id or the
// field its records are keyed by, and values MongoDB takes as a $set.
std::string marks_problem(const sdk::Options& options, const std::string& name, const std::string& key_field) {
    const auto set = options.get_object(name);
    for (const auto& [field, value] : set) {
        if (auto p = field_problem(name, field); !p.empty()) return p;
        if (sdk::paths_overlap(field, "_id")) return name + ": " + json_quoted(field) + " would overwrite the document's _id";
        if (sdk::paths_overlap(field, key_field))
            return name + ": " + json_quoted(field) + " would overwrite the key field " + json_quoted(key_field) +
                   " (key_field)";
    }
    bson_t probe;
    const auto err = extended_json_to_bson(substitute_placeholders(set, 0, ""), &probe);
    bson_destroy(&probe);
    return err ? name + ": not a valid MongoDB document: " + *err : std::string();
}

std::string common_problem(const sdk::Options& options) {
    if (auto p = uri_problem(options.get_string("uri")); !p.empty()) return "uri: " + p;
    return list_problem(options.get_strings("date_fields"), "date_fields");
}

sdk::Status refused(std::string problem) {
    return problem.empty() ? sdk::Status::ok() : sdk::Status::fatal(std::move(problem));
}

CommonConfig common_config(const sdk::Options& options) {
    return {.uri = options.get_string("uri"),
            .database = options.get_string("database"),
            .collection = options.get_string("collection"),
            .timeout = std::chrono::milliseconds(options.get_int("timeout_ms")),
            .date_fields = options.get_strings("date_fields")};
}

}  // namespace

sdk::OptionSchema reader_options() {
    auto schema = common_options();
    schema.push_back({.name = "filter",
                      .type = OptionType::object,
                      .default_value = json::object{},
                      .description = "MongoDB query (Extended JSON) selecting the documents to read, e.g. "
                                     "{\"isSynced\": {\"$ne\": true}}"});
    schema.push_back({.name = "ack_set",
                      .type = OptionType::map,
                      .default_value = json::object{},
                      .description = "fields (dotted paths) $set by _id once a record is written; the string "
                                     "\"$now\" at any depth is the time, as a BSON date",
                      .items = {{.type = OptionType::any}}});
    schema.push_back({.name = "reject_set",
                      .type = OptionType::map,
                      .default_value = json::object{},
                      .description = "fields $set by _id once a record is rejected; \"$reason\" at any depth is the "
                                     "reason, \"$now\" the time",
                      .items = {{.type = OptionType::any}}});
    schema.push_back({.name = "key_field",
                      .type = OptionType::string,
                      .default_value = "_id",
                      .min = 1,
                      .description = "document field (a dotted path) that becomes the record's key"});
    schema.push_back({.name = "sort",
                      .type = OptionType::string,
                      .default_value = "_id",
                      .min = 1,
                      .description = "field (a dotted path) the documents are read in order of (ascending; ties by "
                                     "_id)"});
    return schema;
}

sdk::OptionSchema writer_options() {
    auto schema = common_options();
    schema.push_back({.name = "upsert_key",
                      .type = OptionType::string_list,
                      .required = true,
                      .min = 1,
                      .description = "fields identifying a document, e.g. [\"number\"]: a unique index is created "
                                     "on them and every record is upserted by them"});
    return schema;
}

sdk::OptionSchema collection_options() {
    return common_options();
}

sdk::OptionSchema intake_options() {
    auto schema = common_options();
    schema.push_back({.name = "transactions",
                      .type = OptionType::string,
                      .default_value = "auto",
                      .allowed = {"auto", "always", "never"},
                      .description = "Whether a submission and its idempotency key are written in one "
                                     "multi-document transaction: auto (when the server is a replica set or a "
                                     "sharded cluster), always, never. Without, the submission is still one atomic "
                                     "document with its outbox state; the key is written after it."});
    return schema;
}

sdk::Status check_collection_config(const sdk::Options& options) {
    return refused(common_problem(options));
}

CommonConfig collection_config(const sdk::Options& options) {
    return common_config(options);
}

sdk::Status check_reader_config(const sdk::Options& options) {
    std::string problem = common_problem(options);
    const auto key_field = options.get_string("key_field");
    if (problem.empty()) problem = field_problem("key_field", key_field);
    if (problem.empty()) problem = field_problem("sort", options.get_string("sort"));
    if (problem.empty()) problem = marks_problem(options, "ack_set", key_field);
    if (problem.empty()) problem = marks_problem(options, "reject_set", key_field);
    if (problem.empty()) problem = query_problem(options.get_object("filter"));
    if (problem.empty()) {
        bson_t filter;
        if (auto err = extended_json_to_bson(options.get_object("filter"), &filter))
            problem = "filter: not a valid MongoDB query: " + *err;
        bson_destroy(&filter);
    }
    return refused(std::move(problem));
}

sdk::Status check_writer_config(const sdk::Options& options) {
    if (auto p = common_problem(options); !p.empty()) return refused(std::move(p));
    const auto keys = options.get_strings("upsert_key");
    for (std::size_t i = 0; i < keys.size(); ++i) {
        const std::string where = "upsert_key[" + std::to_string(i) + "]";
        if (auto p = field_problem(where, keys[i]); !p.empty()) return refused(std::move(p));
        if (keys[i] == "_id")
            return refused(where +
                           ": _id cannot be an upsert key: the store gives each document its own; name "
                           "the business key, e.g. [\"number\"]");
    }
    return sdk::Status::ok();
}

ReaderConfig reader_config(const sdk::Options& options) {
    ReaderConfig config;
    static_cast<CommonConfig&>(config) = common_config(options);
    config.filter = options.get_object("filter");
    config.ack_set = options.get_object("ack_set");
    config.reject_set = options.get_object("reject_set");
    config.key_field = options.get_string("key_field");
    config.sort = options.get_string("sort");
    return config;
}

WriterConfig writer_config(const sdk::Options& options) {
    WriterConfig config;
    static_cast<CommonConfig&>(config) = common_config(options);
    config.upsert_key = options.get_strings("upsert_key");
    return config;
}

}  // namespace junction::mongodb
