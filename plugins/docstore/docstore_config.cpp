#include "docstore_config.hpp"

#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string_view>

#include <boost/json/serialize.hpp>
#include <junction/sdk/json_path.hpp>

#include "store.hpp"

namespace junction::docstore {
namespace {

namespace json = boost::json;
using sdk::OptionSpec;
using sdk::OptionType;

sdk::OptionSchema common_schema() {
    return {
        {.name = "path",
         .type = OptionType::path,
         .default_value = "junction-docstore.db",
         .description = "The SQLite file holding the documents; a relative path resolves against the config "
                        "file's folder. Created if missing."},
        {.name = "collection",
         .type = OptionType::string,
         .required = true,
         .pattern = "[A-Za-z_][A-Za-z0-9_]*",
         .description = "The collection (one table per collection): letters, digits and _."},
    };
}

std::string json_quoted(std::string_view s) {
    return json::serialize(json::string_view(s.data(), s.size()));
}

// The reader vocabulary's refusal of a field name (the mongodb plugin words it the
// same), then the docstore's own: names it cannot quote in an SQL JSON path.
std::string field_problem(const std::string& where, std::string_view name) {
    if (!sdk::is_valid_path(name))
        return where + ": " + json_quoted(name) +
               " is not a field path: " + (name.empty() ? "it is empty" : "it has an empty segment");
    try {
        (void)json_path(name);
    } catch (const std::invalid_argument& e) {
        return where + ": " + e.what();
    }
    return {};
}

// ack_set / reject_set: field names, and none that would change the document's _id
// or the field its records are keyed by.
std::string marks_problem(const sdk::Options& options, const std::string& name, const std::string& key_field) {
    for (const auto& [field, value] : options.get_object(name)) {
        if (auto p = field_problem(name, field); !p.empty()) return p;
        if (sdk::paths_overlap(field, "_id")) return name + ": " + json_quoted(field) + " would overwrite the document's _id";
        if (sdk::paths_overlap(field, key_field))
            return name + ": " + json_quoted(field) + " would overwrite the key field " + json_quoted(key_field) +
                   " (key_field)";
    }
    return {};
}

StoreConfig store_config(const sdk::Options& options) {
    return {.path = options.get_string("path"), .collection = options.get_string("collection")};
}

// An existing path must be an SQLite file (or empty): a folder or another kind of file
// would pass the host's path check and fail at open.
sdk::Status check_path(const sdk::Options& options) {
    const std::filesystem::path path = options.get_string("path");
    if (path.empty()) return sdk::Status::fatal("path: must name the SQLite file, e.g. \"tracos.db\"");
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec))
        return sdk::Status::fatal("path: " + path.string() + " is a folder; name the SQLite file in it, e.g. " +
                                  (path / "tracos.db").string());
    if (std::filesystem::is_regular_file(path, ec) && std::filesystem::file_size(path, ec) > 0 && !ec) {
        static constexpr std::string_view magic("SQLite format 3\0", 16);
        std::string head(magic.size(), '\0');
        std::ifstream in(path, std::ios::binary);
        in.read(head.data(), static_cast<std::streamsize>(head.size()));
        if (head != magic) return sdk::Status::fatal("path: " + path.string() + " is not an SQLite database");
    }
    return sdk::Status::ok();
}

sdk::Status refused(std::string problem) {
    return problem.empty() ? sdk::Status::ok() : sdk::Status::fatal(std::move(problem));
}

}  // namespace

sdk::OptionSchema writer_schema() {
    auto schema = common_schema();
    schema.push_back({.name = "upsert_key",
                      .type = OptionType::string_list,
                      .required = true,
                      .min = 1,
                      .description = "The fields that identify a document, e.g. [\"number\"]: a record whose key "
                                     "is stored replaces that document (keeping its _id), so replays change "
                                     "nothing."});
    return schema;
}

sdk::OptionSchema collection_schema() {
    return common_schema();
}

sdk::OptionSchema reader_schema() {
    auto schema = common_schema();
    schema.push_back({.name = "filter",
                      .type = OptionType::object,
                      .default_value = json::object{},
                      .description = "Which documents to read, MongoDB style: field equality, $eq, $ne, $exists, "
                                     "$in, $gt, $gte, $lt, $lte, e.g. {\"isSynced\": {\"$ne\": true}}."});
    schema.push_back({.name = "ack_set",
                      .type = OptionType::map,
                      .default_value = json::object{},
                      .description = "Fields (dotted paths) set on a document once its record was written "
                                     "downstream; the string \"$now\" at any depth is the time, as ISO 8601 UTC, "
                                     "e.g. {\"isSynced\": true, \"syncedAt\": \"$now\"}.",
                      .items = {{.type = OptionType::any}}});
    schema.push_back({.name = "reject_set",
                      .type = OptionType::map,
                      .default_value = json::object{},
                      .description = "Fields set on a document whose record was rejected downstream; \"$reason\" "
                                     "at any depth is the reason, \"$now\" the time.",
                      .items = {{.type = OptionType::any}}});
    schema.push_back({.name = "key_field",
                      .type = OptionType::string,
                      .default_value = "_id",
                      .min = 1,
                      .description = "The field (a dotted path) that becomes each record's key."});
    schema.push_back({.name = "sort",
                      .type = OptionType::string,
                      .default_value = "_id",
                      .min = 1,
                      .description = "The field (a dotted path) documents are read in order of (then _id)."});
    schema.push_back({.name = "outbox",
                      .type = OptionType::boolean,
                      .default_value = false,
                      .description = "Relay an intake's outbox: read the collection's submissions not yet "
                                     "published, in the order they were stored, and take each out of the outbox "
                                     "once written downstream (or dead-lettered), setting ack_set (or reject_set) "
                                     "on it. filter and sort must be left out."});
    return schema;
}

sdk::OptionSchema intake_schema() {
    return common_schema();
}

sdk::Status check_writer_config(const sdk::Options& options) {
    if (auto s = check_path(options); !s.is_ok()) return s;
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

sdk::Status check_reader_config(const sdk::Options& options) {
    if (auto s = check_path(options); !s.is_ok()) return s;
    const auto key_field = options.get_string("key_field");
    std::string problem = field_problem("key_field", key_field);
    if (problem.empty()) problem = field_problem("sort", options.get_string("sort"));
    if (problem.empty()) problem = marks_problem(options, "ack_set", key_field);
    if (problem.empty()) problem = marks_problem(options, "reject_set", key_field);
    if (problem.empty() && options.get_bool("outbox")) {
        if (!options.get_object("filter").empty())
            problem = "filter: an outbox is read whole (its submissions not yet published); leave filter out";
        else if (options.get_string("sort") != "_id")
            problem = "sort: an outbox is read in the order its submissions were stored; leave sort out";
    }
    if (problem.empty()) {
        try {
            (void)compile_filter(options.get_object("filter"));
        } catch (const FilterError& e) {
            problem = e.what();
        }
    }
    return refused(std::move(problem));
}

sdk::Status check_collection_config(const sdk::Options& options) {
    return check_path(options);
}

sdk::Status check_intake_config(const sdk::Options& options) {
    return check_path(options);
}

StoreConfig collection_config(const sdk::Options& options) {
    return store_config(options);
}

WriterConfig writer_config(const sdk::Options& options) {
    return {.store = store_config(options), .upsert_key = options.get_strings("upsert_key")};
}

ReaderConfig reader_config(const sdk::Options& options) {
    return {.store = store_config(options),
            .filter = options.get_object("filter"),
            .ack_set = options.get_object("ack_set"),
            .reject_set = options.get_object("reject_set"),
            .key_field = options.get_string("key_field"),
            .sort = options.get_string("sort"),
            .outbox = options.get_bool("outbox")};
}

}  // namespace junction::docstore
