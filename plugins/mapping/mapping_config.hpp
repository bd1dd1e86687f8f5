// The mapping translator's options and the typed rules they declare. Operations run
// in the order of the fields below, whatever the order in the config file.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/json/value.hpp>

#include <junction/sdk/options.hpp>
#include <junction/sdk/status.hpp>

namespace junction::mapping {

// One field's enum translation; a value is matched by its text ("true", "12", "open").
struct ValueMap {
    std::string field;
    std::vector<std::pair<std::string, boost::json::value>> table;
    std::optional<boost::json::value> fallback;  // the "*" entry
};

// One field made of others' strings: `fields` that are present and not empty, joined.
struct Join {
    std::string field;
    std::vector<std::string> fields;
    std::string separator;
};

struct MappingConfig {
    std::vector<std::string> required;
    std::vector<std::pair<std::string, std::string>> rename;  // from -> to
    std::vector<std::pair<std::string, std::string>> copy;    // from -> to
    std::vector<std::string> trim;
    std::vector<std::string> lower;
    std::vector<Join> join;
    std::vector<ValueMap> map_values;
    std::vector<std::string> to_utc;
    std::vector<std::pair<std::string, boost::json::value>> set;
    std::vector<std::string> drop;
    std::vector<std::string> keep;  // empty: every field is kept
    std::string key;                // empty: meta.key is left as it is
};

sdk::OptionSchema translator_options();

// What the schema cannot say: every field named is a dotted path without an empty
// segment. One line naming the option ("rename.a: ..."): the factory's check_options().
sdk::Status check_config(const sdk::Options& options);

// The rules of options the host validated and checked.
MappingConfig parse_config(const sdk::Options& options);

}  // namespace junction::mapping
