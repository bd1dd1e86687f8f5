// The mapping translator's options: what the host refuses before open(), word for word,
// from the schema (shapes of the nested options) and from check_config (field paths).
#include <doctest/doctest.h>

#include <boost/json/parse.hpp>

#include "mapping_config.hpp"
#include "test_context.hpp"

namespace json = boost::json;
using junction::mapping::check_config;
using junction::mapping::translator_options;
using junction::sdk::testing::option_errors;
using Lines = std::vector<std::string>;

namespace {

Lines schema_errors(std::string_view options) {
    return option_errors(translator_options(), json::parse(options).as_object());
}

// check_config's refusal of options the schema accepts ("" when none).
std::string refusal(std::string_view options) {
    const junction::test::TestContext ctx(translator_options(), json::parse(options).as_object());
    return check_config(ctx.options()).message();
}

}  // namespace

TEST_CASE("config: rename and copy map field names to field names") {
    CHECK(schema_errors(R"({"rename": {"a": 1}})") == Lines{"options.rename.a: expected a string, got integer"});
    CHECK(schema_errors(R"({"copy": ["a", "b"]})") == Lines{"options.copy: expected an object, got array"});
}

TEST_CASE("config: map_values maps each field to a table of value -> replacement") {
    CHECK(schema_errors(R"({"map_values": {"s": "x"}})") ==
          Lines{"options.map_values.s: expected an object, got string"});
    CHECK(schema_errors(R"({"map_values": {"s": {"D": "done", "*": null}}, "set": {"a": [1]}})").empty());
}

TEST_CASE("config: lists of fields and the key have their types") {
    CHECK(schema_errors(R"({"required": [1], "key": 2})") ==
          Lines{"options.required[0]: expected a string, got integer", "options.key: expected a string, got integer"});
}

TEST_CASE("config: every field named is a dotted path without an empty segment") {
    CHECK(refusal(R"({"required": ["id", "a..b"]})") ==
          R"(required[1]: "a..b" is not a field path: it has an empty segment)");
    CHECK(refusal(R"({"to_utc": [""]})") == R"(to_utc[0]: "" is not a field path: it is empty)");
    CHECK(refusal(R"({"drop": [".a"]})") == R"(drop[0]: ".a" is not a field path: it has an empty segment)");
    CHECK(refusal(R"({"rename": {"a.": "b"}})") == R"(rename: "a." is not a field path: it has an empty segment)");
    CHECK(refusal(R"({"rename": {"a": ""}})") == R"(rename.a: "" is not a field path: it is empty)");
    CHECK(refusal(R"({"copy": {"a": "x..y"}})") == R"(copy.a: "x..y" is not a field path: it has an empty segment)");
    CHECK(refusal(R"({"map_values": {"": {"a": 1}}})") == R"(map_values: "" is not a field path: it is empty)");
    CHECK(refusal(R"({"set": {"a..b": 1}})") == R"(set: "a..b" is not a field path: it has an empty segment)");
    CHECK(refusal(R"({"key": ""})") == R"(key: "" is not a field path: it is empty)");
}

TEST_CASE("config: nested fields and every operation together pass") {
    CHECK(refusal(R"({"required": ["id", "properties.email"], "rename": {"properties.email": "email"},
                      "copy": {"id": "ids.crm"}, "map_values": {"stage": {"lead": "new", "*": "other"}},
                      "to_utc": ["created"], "set": {"source.system": "crm"}, "drop": ["properties"],
                      "key": "id"})")
              .empty());
}

TEST_CASE("config: trim, lower, keep and join name fields; join needs fields") {
    CHECK(refusal(R"({"trim": ["a", "b..c"]})") == R"(trim[1]: "b..c" is not a field path: it has an empty segment)");
    CHECK(refusal(R"({"lower": [""]})") == R"(lower[0]: "" is not a field path: it is empty)");
    CHECK(refusal(R"({"keep": ["x."]})") == R"(keep[0]: "x." is not a field path: it has an empty segment)");
    CHECK(refusal(R"({"join": {"a..b": {"fields": ["x"]}}})") ==
          R"(join: "a..b" is not a field path: it has an empty segment)");
    CHECK(refusal(R"({"join": {"name": {"fields": ["x", "y..z"]}}})") ==
          R"(join.name.fields[1]: "y..z" is not a field path: it has an empty segment)");
    CHECK(
        schema_errors(R"({"join": {"name": {"separator": " "}}})") ==
        Lines{"options.join.name.fields: required option missing (list of strings: the fields joined, in this order)"});
}
