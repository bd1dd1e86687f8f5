#include "databox_config.hpp"

#include <charconv>
#include <map>
#include <regex>
#include <vector>

namespace junction::databox {
namespace {

using sdk::OptionSpec;
using sdk::OptionType;

// "github_issues.v3.json" -> {"github_issues", 3}; nothing for another name.
std::optional<std::pair<std::string, std::int64_t>> versioned_name(const std::string& file_name) {
    static const std::regex pattern(R"(([A-Za-z][A-Za-z0-9_]*)\.v([0-9]{1,9})\.json)");
    std::smatch m;
    if (!std::regex_match(file_name, m, pattern)) return std::nullopt;
    return std::make_pair(m[1].str(), std::stoll(m[2].str()));
}

}  // namespace

sdk::OptionSchema writer_schema() {
    return {
        {.name = "connection",
         .type = OptionType::connection,
         .required = true,
         .min = 1,
         .description = "The `connections` entry holding the Databox API key: type api_key with header "
                        "x-api-key, e.g. {\"type\": \"api_key\", \"key\": \"${DATABOX_API_KEY}\", \"header\": "
                        "\"x-api-key\"}."},
        {.name = "base_url",
         .type = OptionType::string,
         .default_value = "https://api.databox.com",
         .pattern = "https?://[^/?#\\s]+(/[^?#\\s]*)?",
         .description = "The API's address (a local fake in tests)."},
        {.name = "schema",
         .type = OptionType::path,
         .required = true,
         .description = "The dataset schema file, e.g. schemas/github_issues.v2.json: the rows' fields, types, "
                        "nullability and primary key. Earlier versions beside it (github_issues.v1.json) must "
                        "evolve compatibly into it."},
        {.name = "account_id",
         .type = OptionType::integer,
         .min = 1,
         .description = "The Databox account; left out: the key's only account (an error lists them when it "
                        "has several)."},
        {.name = "data_source",
         .type = OptionType::string,
         .default_value = "junction",
         .min = 1,
         .description = "The data source holding the dataset: its title, or its numeric id."},
        {.name = "dataset_title",
         .type = OptionType::string,
         .description = "The dataset's title in Databox; default: the schema's dataset name. Compatible "
                        "versions of a schema push into the same dataset."},
        {.name = "batch_rows",
         .type = OptionType::integer,
         .default_value = max_batch_rows,
         .min = 1,
         .max = static_cast<double>(max_batch_rows),
         .description = "Rows per ingestion request (Databox takes at most 100)."},
        {.name = "create",
         .type = OptionType::boolean,
         .default_value = true,
         .description = "Create the data source and the dataset (with the schema's primary key) when absent; "
                        "false: their absence is an error."},
        {.name = "timeout_ms",
         .type = OptionType::integer,
         .default_value = 30000,
         .min = 100,
         .max = 600000,
         .description = "One request's timeout."},
    };
}

sdk::DatasetSchema load_checked_schema(const std::filesystem::path& file) {
    auto schema = sdk::load_dataset_schema(file);
    const auto name = versioned_name(file.filename().string());
    if (!name) return schema;  // not named <dataset>.v<N>.json: no history to check
    if (name->first != schema.dataset || name->second != schema.version)
        throw sdk::SchemaError(file.string() + ": holds dataset " + schema.dataset + " version " +
                               std::to_string(schema.version) + "; name it " + schema.dataset + ".v" +
                               std::to_string(schema.version) + ".json");
    // The earlier versions present, oldest first, then this one: each must evolve into the next.
    std::vector<std::pair<std::filesystem::path, sdk::DatasetSchema>> chain;
    for (std::int64_t v = 1; v < schema.version; ++v) {
        const auto earlier = file.parent_path() / (schema.dataset + ".v" + std::to_string(v) + ".json");
        std::error_code ec;
        if (!std::filesystem::exists(earlier, ec)) continue;
        chain.emplace_back(earlier, sdk::load_dataset_schema(earlier));
    }
    chain.emplace_back(file, schema);
    for (std::size_t i = 1; i < chain.size(); ++i) {
        const auto problems = sdk::check_evolution(chain[i - 1].second, chain[i].second);
        if (problems.empty()) continue;
        std::string line = chain[i].first.string() + ": not a compatible evolution of " +
                           chain[i - 1].first.filename().string() + ": " + problems.front();
        if (problems.size() > 1) line += " (and " + std::to_string(problems.size() - 1) + " more)";
        throw sdk::SchemaError(line);
    }
    return schema;
}

sdk::Status check_writer_config(const sdk::Options& options) {
    try {
        (void)load_checked_schema(options.get_string("schema"));
    } catch (const sdk::SchemaError& e) {
        return sdk::Status::fatal(std::string("schema: ") + e.what());
    }
    return sdk::Status::ok();
}

WriterConfig writer_config(const sdk::Options& options, const sdk::DatasetSchema& schema) {
    WriterConfig c;
    c.connection = options.get_string("connection");
    c.base_url = options.get_string("base_url");
    while (!c.base_url.empty() && c.base_url.back() == '/')
        c.base_url.pop_back();
    c.schema_file = options.get_string("schema");
    if (options.has("account_id")) c.account_id = options.get_int("account_id");
    c.data_source = options.get_string("data_source");
    c.dataset_title = options.get_string("dataset_title", schema.dataset);
    c.batch_rows = static_cast<std::size_t>(options.get_int("batch_rows", max_batch_rows));
    c.create = options.get_bool("create", true);
    c.timeout = std::chrono::milliseconds(options.get_int("timeout_ms", 30000));
    return c;
}

}  // namespace junction::databox
