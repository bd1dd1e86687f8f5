#include "mapping_config.hpp"

#include <junction/sdk/json_types.hpp>

namespace junction::mapping {

namespace json = boost::json;

sdk::OptionSchema translator_options() {
    using sdk::OptionType;
    return {
        {.name = "required",
         .type = OptionType::string_list,
         .description = "fields that must be present and not null, else the record is rejected"},
        {.name = "rename", .type = OptionType::object, .description = "from -> to: move a field"},
        {.name = "copy", .type = OptionType::object, .description = "from -> to: copy a field"},
        {.name = "map_values",
         .type = OptionType::object,
         .description = "field -> {value: replacement}; \"*\" is the fallback, else an unmapped value is rejected"},
        {.name = "to_utc",
         .type = OptionType::string_list,
         .description = "ISO 8601 date-time fields rewritten as UTC with milliseconds and Z"},
        {.name = "set", .type = OptionType::object, .description = "field -> constant value"},
        {.name = "drop", .type = OptionType::string_list, .description = "fields removed"},
        {.name = "key", .type = OptionType::string, .description = "field whose value becomes the record's key"},
    };
}

namespace {

sdk::Status bad(std::string_view option, std::string_view what) {
    return sdk::Status::fatal("mapping: option " + std::string(option) + ": " + std::string(what));
}

sdk::Status field_pairs(const sdk::Options& options, std::string_view name,
                        std::vector<std::pair<std::string, std::string>>& out) {
    for (const auto& [from, to] : options.get_object(name)) {
        if (!to.is_string() || to.get_string().empty())
            return bad(name, "\"" + std::string(from) + "\" must map to a field name (a string), got " +
                                 sdk::json_type_name(to));
        out.emplace_back(from, to.get_string());
    }
    return sdk::Status::ok();
}

}  // namespace

sdk::Status parse_config(const sdk::Options& options, MappingConfig& config) {
    config = {};
    config.required = options.get_strings("required");
    if (auto s = field_pairs(options, "rename", config.rename); !s.is_ok()) return s;
    if (auto s = field_pairs(options, "copy", config.copy); !s.is_ok()) return s;
    for (const auto& [field, table] : options.get_object("map_values")) {
        if (!table.is_object())
            return bad("map_values", "\"" + std::string(field) + "\" must be an object of value -> replacement, got " +
                                         sdk::json_type_name(table));
        ValueMap map{.field = field, .table = {}, .fallback = std::nullopt};
        for (const auto& [from, to] : table.get_object()) {
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
    config.key = options.get_string("key");
    return sdk::Status::ok();
}

}  // namespace junction::mapping
