#include "mapping_config.hpp"

#include <boost/json/serialize.hpp>
#include <junction/sdk/json_path.hpp>

namespace junction::mapping {

namespace json = boost::json;

sdk::OptionSchema translator_options() {
    using sdk::OptionType;
    const sdk::OptionSpec field{.type = OptionType::string};
    return {
        {.name = "required",
         .type = OptionType::string_list,
         .description = "fields that must be present and not null, else the record is rejected"},
        {.name = "rename", .type = OptionType::map, .description = "from -> to: move a field", .items = {field}},
        {.name = "copy", .type = OptionType::map, .description = "from -> to: copy a field", .items = {field}},
        {.name = "trim",
         .type = OptionType::string_list,
         .description = "string fields whose leading and trailing whitespace is removed"},
        {.name = "lower",
         .type = OptionType::string_list,
         .description = "string fields lower-cased (ASCII letters: e-mail addresses, codes)"},
        {.name = "join",
         .type = OptionType::map,
         .description = "field -> {fields, separator}: the strings of `fields` that are present and not empty, "
                        "joined (e.g. a full name); none: the field is not set",
         .items = {{.type = OptionType::object,
                    .fields = {{.name = "fields",
                                .type = OptionType::string_list,
                                .required = true,
                                .min = 1,
                                .description = "the fields joined, in this order"},
                               {.name = "separator",
                                .type = OptionType::string,
                                .default_value = " ",
                                .description = "put between two of them"}}}}},
        {.name = "map_values",
         .type = OptionType::map,
         .description = "field -> {value: replacement}; \"*\" is the fallback, else an unmapped value is rejected",
         .items = {{.type = OptionType::map, .items = {{.type = OptionType::any}}}}},
        {.name = "to_utc",
         .type = OptionType::string_list,
         .description = "ISO 8601 date-time fields rewritten as UTC with milliseconds and Z"},
        {.name = "set",
         .type = OptionType::map,
         .description = "field -> constant value",
         .items = {{.type = OptionType::any}}},
        {.name = "drop", .type = OptionType::string_list, .description = "fields removed"},
        {.name = "keep",
         .type = OptionType::string_list,
         .description = "the only fields kept, every other removed (an allow-list: a field the source adds "
                        "later is not passed on)"},
        {.name = "key", .type = OptionType::string, .description = "field whose value becomes the record's key"},
    };
}

namespace {

// "rename.a: "x..y" is not a field path: it has an empty segment", or nothing.
std::string path_problem(const std::string& where, std::string_view name) {
    if (sdk::is_valid_path(name)) return {};
    return where + ": " + json::serialize(json::string_view(name.data(), name.size())) +
           " is not a field path: " + (name.empty() ? "it is empty" : "it has an empty segment");
}

std::string list_problem(const sdk::Options& options, const std::string& name) {
    const auto fields = options.get_strings(name);
    for (std::size_t i = 0; i < fields.size(); ++i)
        if (auto p = path_problem(name + "[" + std::to_string(i) + "]", fields[i]); !p.empty()) return p;
    return {};
}

// A map's keys are fields; so are its values when `values_too` (rename, copy).
std::string map_problem(const sdk::Options& options, const std::string& name, bool values_too) {
    for (const auto& [from, to] : options.get_object(name)) {
        if (auto p = path_problem(name, from); !p.empty()) return p;
        if (values_too)
            if (auto p = path_problem(name + "." + std::string(from), to.as_string()); !p.empty()) return p;
    }
    return {};
}

std::vector<std::pair<std::string, std::string>> field_pairs(const sdk::Options& options, std::string_view name) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& [from, to] : options.get_object(name))
        out.emplace_back(from, to.as_string());
    return out;
}

}  // namespace

sdk::Status check_config(const sdk::Options& options) {
    std::string problem;
    for (const char* list : {"required", "trim", "lower", "to_utc", "drop", "keep"})
        if (problem.empty()) problem = list_problem(options, list);
    if (problem.empty()) problem = map_problem(options, "rename", true);
    if (problem.empty()) problem = map_problem(options, "copy", true);
    if (problem.empty()) problem = map_problem(options, "join", false);
    for (const auto& [field, spec] : options.get_object("join")) {
        if (!problem.empty()) break;
        problem = list_problem(sdk::Options(spec.as_object()), "fields");
        if (!problem.empty()) problem = "join." + std::string(field) + "." + problem;
    }
    if (problem.empty()) problem = map_problem(options, "map_values", false);
    if (problem.empty()) problem = map_problem(options, "set", false);
    if (problem.empty() && options.has("key")) problem = path_problem("key", options.get_string("key"));
    return problem.empty() ? sdk::Status::ok() : sdk::Status::fatal(std::move(problem));
}

MappingConfig parse_config(const sdk::Options& options) {
    MappingConfig config;
    config.required = options.get_strings("required");
    config.rename = field_pairs(options, "rename");
    config.copy = field_pairs(options, "copy");
    config.trim = options.get_strings("trim");
    config.lower = options.get_strings("lower");
    for (const auto& [field, spec] : options.get_object("join")) {
        const sdk::Options o(spec.as_object());
        config.join.push_back(
            {.field = field, .fields = o.get_strings("fields"), .separator = o.get_string("separator", " ")});
    }
    for (const auto& [field, table] : options.get_object("map_values")) {
        ValueMap map{.field = field, .table = {}, .fallback = std::nullopt};
        for (const auto& [from, to] : table.as_object()) {
            if (from == "*")
                map.fallback = to;
            else
                map.table.emplace_back(from, to);
        }
        config.map_values.push_back(std::move(map));
    }
    config.to_utc = options.get_strings("to_utc");
    for (const auto& [field, value] : options.get_object("set"))
        config.set.emplace_back(field, value);
    config.drop = options.get_strings("drop");
    config.keep = options.get_strings("keep");
    config.key = options.get_string("key");
    return config;
}

}  // namespace junction::mapping
