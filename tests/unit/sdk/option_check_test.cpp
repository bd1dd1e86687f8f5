// The one option validator (detail/option_check.hpp): what the host and the test
// harness both do with a component's options.
#include <doctest/doctest.h>

#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>

#include <junction/sdk/detail/option_check.hpp>

// Lists of error lines print one a line when a check fails.
template <>
struct doctest::StringMaker<std::vector<std::string>> {
    static doctest::String convert(const std::vector<std::string>& lines) {
        std::string out = "\n";
        for (const auto& l : lines)
            out += "  " + l + "\n";
        return out.c_str();
    }
};

namespace json = boost::json;
using namespace junction::sdk;
using junction::sdk::detail::OptionError;

namespace {

constexpr std::string_view base = "pipelines[0].translators[0].options";

// An error line below the base path.
std::string at(std::string_view rest) {
    return std::string(base) + std::string(rest);
}

std::vector<std::string> errors_of(const OptionSchema& schema, const json::object& input,
                                   std::string_view base_dir = "/etc/junction") {
    std::vector<OptionError> errors;
    (void)detail::validate_options(schema, input, std::string(base), base_dir, errors);
    std::vector<std::string> out;
    out.reserve(errors.size());
    for (const auto& e : errors)
        out.push_back(e.path + ": " + e.message);
    return out;
}

Options valid(const OptionSchema& schema, const json::object& input, std::string_view base_dir = "/etc/junction") {
    std::vector<OptionError> errors;
    auto options = detail::validate_options(schema, input, std::string(base), base_dir, errors);
    INFO(detail::format_option_errors(errors));
    REQUIRE(errors.empty());
    return options;
}

json::object parse(std::string_view text) {
    return json::parse(text).as_object();
}

bool has(const std::vector<std::string>& lines, std::string_view line) {
    for (const auto& l : lines)
        if (l == line) return true;
    return false;
}

std::string joined(const std::vector<std::string>& lines) {
    std::string out;
    for (const auto& l : lines)
        out += l + "\n";
    return out;
}

OptionSchema paginator_schema(json::value object_default = nullptr) {
    return {
        {.name = "paginator",
         .type = OptionType::object,
         .default_value = std::move(object_default),
         .fields = {
             {.name = "limit", .type = OptionType::integer, .default_value = 100},
             {.name = "type", .type = OptionType::string, .default_value = "page", .allowed = {"page", "cursor"}}}}};
}

OptionSchema rules_schema() {
    return {
        {.name = "rules",
         .type = OptionType::array,
         .items = {{.type = OptionType::object,
                    .fields = {
                        {.name = "field", .type = OptionType::string, .required = true},
                        {.name = "op", .type = OptionType::string, .default_value = "eq", .allowed = {"eq", "ne"}}}}}}};
}

}  // namespace

TEST_CASE("a nested field's default is applied") {
    const auto o = valid(paginator_schema(), parse(R"({"paginator": {"type": "cursor"}})"));
    CHECK(o.child("paginator").get_int("limit") == 100);
    CHECK(o.child("paginator").get_string("type") == "cursor");
}

TEST_CASE("an optional object whose default is {} gets its fields' defaults when left out") {
    const auto o = valid(paginator_schema(json::object{}), {});
    CHECK(o.has("paginator"));
    CHECK(o.child("paginator").get_int("limit") == 100);
    CHECK(o.child("paginator").get_string("type") == "page");
}

TEST_CASE("an optional object left out without a default stays out") {
    const auto o = valid(paginator_schema(), {});
    CHECK_FALSE(o.has("paginator"));
}

TEST_CASE("an unknown key in a nested object lists the valid keys") {
    const auto e = errors_of(paginator_schema(), parse(R"({"paginator": {"size": 5}})"));
    CHECK(e == std::vector<std::string>{at(".paginator.size: unknown key; valid keys: limit, type")});
}

TEST_CASE("an unknown option lists the valid options; a component without options says so") {
    CHECK(errors_of(paginator_schema(), parse(R"({"pagniator": {}})")) ==
          std::vector<std::string>{at(".pagniator: unknown option; valid options: paginator")});
    CHECK(errors_of({}, parse(R"({"x": 1})")) ==
          std::vector<std::string>{at(".x: unknown option; this component takes no options")});
}

TEST_CASE("an object without declared fields takes any keys") {
    const OptionSchema schema = {{.name = "filter", .type = OptionType::object}};
    const auto o = valid(schema, parse(R"({"filter": {"status": {"$in": ["a", "b"]}}})"));
    CHECK(o.get_object("filter").at("status").at("$in").as_array().size() == 2);
}

TEST_CASE("error paths name the nested value below the caller's base path") {
    const OptionSchema schema = {
        {.name = "types", .type = OptionType::object, .fields = {{.name = "price", .type = OptionType::integer}}}};
    CHECK(errors_of(schema, parse(R"({"types": {"price": "abc"}})")) ==
          std::vector<std::string>{"pipelines[0].translators[0].options.types.price: expected an integer, got string"});
}

TEST_CASE("an empty base path gives paths without a leading dot") {
    std::vector<OptionError> errors;
    (void)detail::validate_options({{.name = "a", .type = OptionType::integer}}, parse(R"({"a": true})"), "", ".",
                                   errors);
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].path == "a");
}

TEST_CASE("a type error names the expected type with its article") {
    const OptionSchema schema = {
        {.name = "obj", .type = OptionType::object},   {.name = "str", .type = OptionType::string},
        {.name = "arr", .type = OptionType::array},    {.name = "map", .type = OptionType::map},
        {.name = "dir", .type = OptionType::path},     {.name = "list", .type = OptionType::string_list},
        {.name = "flag", .type = OptionType::boolean}, {.name = "ratio", .type = OptionType::number},
        {.name = "count", .type = OptionType::integer}};
    const auto e = errors_of(schema, parse(R"({"obj": [], "str": 5, "arr": {}, "map": "x", "dir": 1,
                                              "list": 2, "flag": "yes", "ratio": "fast", "count": 2.5})"));
    CHECK(e == std::vector<std::string>{
                   at(".obj: expected an object, got array"),
                   at(".str: expected a string, got integer"),
                   at(".arr: expected an array, got object"),
                   at(".map: expected an object, got string"),
                   at(".dir: expected a string, got integer"),
                   at(".list: expected a list of strings, got integer"),
                   at(".flag: expected a boolean, got string"),
                   at(".ratio: expected a number, got string"),
                   at(".count: expected an integer, got number"),
               });
}

TEST_CASE("strings from ${VAR} become integers, numbers, booleans and lists") {
    const OptionSchema schema = {
        {.name = "size", .type = OptionType::integer}, {.name = "neg", .type = OptionType::integer},
        {.name = "ratio", .type = OptionType::number}, {.name = "flag", .type = OptionType::boolean},
        {.name = "off", .type = OptionType::boolean},  {.name = "keys", .type = OptionType::string_list}};
    const auto o = valid(schema, parse(R"({"size": "42", "neg": "-7", "ratio": "0.5", "flag": "true",
                                           "off": "false", "keys": " a, b,,c "})"));
    CHECK(o.get("size").is_int64());
    CHECK(o.get_int("size") == 42);
    CHECK(o.get_int("neg") == -7);
    CHECK(o.get("ratio").is_double());
    CHECK(o.get_double("ratio") == 0.5);
    CHECK(o.get("flag").is_bool());
    CHECK(o.get_bool("flag"));
    CHECK_FALSE(o.get_bool("off", true));
    CHECK(o.get_strings("keys") == std::vector<std::string>{"a", "b", "c"});
}

TEST_CASE("integral numbers become integers, integers become numbers") {
    const OptionSchema schema = {{.name = "size", .type = OptionType::integer},
                                 {.name = "ratio", .type = OptionType::number}};
    const auto o = valid(schema, parse(R"({"size": 3.0, "ratio": 2})"));
    CHECK(o.get("size").is_int64());
    CHECK(o.get_int("size") == 3);
    CHECK(o.get("ratio").is_double());
}

TEST_CASE("a string that is no number is refused, never half read") {
    const OptionSchema schema = {
        {.name = "a", .type = OptionType::integer}, {.name = "b", .type = OptionType::integer},
        {.name = "c", .type = OptionType::integer}, {.name = "d", .type = OptionType::number},
        {.name = "e", .type = OptionType::number},  {.name = "f", .type = OptionType::boolean}};
    const auto e = errors_of(schema, parse(R"({"a": "12a", "b": "", "c": "99999999999999999999", "d": "nan",
                                              "e": "1.5x", "f": "True"})"));
    CHECK(e == std::vector<std::string>{
                   at(".a: expected an integer, got string"),
                   at(".b: expected an integer, got string"),
                   at(".c: expected an integer, got string"),
                   at(".d: expected a number, got string"),
                   at(".e: expected a number, got string"),
                   at(".f: expected a boolean, got string"),
               });
}

TEST_CASE("an integer beyond 64 signed bits is refused with the bound, not a type error") {
    json::object input;
    input["n"] = std::numeric_limits<std::uint64_t>::max();
    CHECK(errors_of({{.name = "n", .type = OptionType::integer}}, input) ==
          std::vector<std::string>{at(".n: must be at most 9223372036854775807, got 18446744073709551615")});
}

TEST_CASE("allowed values, ranges and patterns are checked") {
    const OptionSchema schema = {
        {.name = "mode", .type = OptionType::string, .allowed = {"fast", "safe"}},
        {.name = "size", .type = OptionType::integer, .min = 1, .max = 100},
        {.name = "low", .type = OptionType::integer, .min = 1},
        {.name = "ratio", .type = OptionType::number, .max = 0.5},
        {.name = "name", .type = OptionType::string, .pattern = "[a-z]+"},
        {.name = "ok", .type = OptionType::string, .pattern = "[a-z]+"},
    };
    const auto e = errors_of(schema, parse(R"({"mode": "slow", "size": 1000, "low": 0, "ratio": 0.75,
                                              "name": "ABC", "ok": "abc"})"));
    CHECK(e == std::vector<std::string>{
                   at(".mode: \"slow\" is not one of: fast, safe"),
                   at(".size: must be between 1 and 100, got 1000"),
                   at(".low: must be at least 1, got 0"),
                   at(".ratio: must be at most 0.5, got 0.75"),
                   at(".name: \"ABC\" does not match the pattern [a-z]+"),
               });
}

TEST_CASE("a pattern must match the whole value") {
    const OptionSchema schema = {{.name = "name", .type = OptionType::string, .pattern = "[a-z]+"}};
    CHECK(errors_of(schema, parse(R"({"name": "abc1"})")).size() == 1);
}

TEST_CASE("min and max bound the length of strings, lists, arrays and maps") {
    const OptionSchema schema = {
        {.name = "word", .type = OptionType::string, .max = 5},
        {.name = "short", .type = OptionType::string, .max = 4},
        {.name = "one", .type = OptionType::string, .min = 1},
        {.name = "hosts", .type = OptionType::array, .min = 1},
        {.name = "rename", .type = OptionType::map, .max = 2},
        {.name = "keys", .type = OptionType::string_list, .min = 2, .max = 3},
    };
    // "héllo" is five characters in six bytes: characters are counted
    const auto e = errors_of(schema, parse(R"({"word": "h\u00e9llo", "short": "h\u00e9llo", "one": "",
                                              "hosts": [], "rename": {"a": 1, "b": 2, "c": 3}, "keys": "a"})"));
    CHECK(e == std::vector<std::string>{
                   at(".short: must have at most 4 characters, got 5"),
                   at(".one: must have at least 1 character, got 0"),
                   at(".hosts: must have at least 1 element, got 0"),
                   at(".rename: must have at most 2 entries, got 3"),
                   at(".keys: must have between 2 and 3 elements, got 1"),
               });
}

TEST_CASE("each element of an array is checked, with its index in the path") {
    const auto e = errors_of(rules_schema(), parse(R"({"rules": [{"field": "a"}, {"op": "gt"},
                                                                 {"field": "c", "x": 1}, 5]})"));
    CHECK(e == std::vector<std::string>{
                   at(".rules[1].field: required option missing (string)"),
                   at(".rules[1].op: \"gt\" is not one of: eq, ne"),
                   at(".rules[2].x: unknown key; valid keys: field, op"),
                   at(".rules[3]: expected an object, got integer"),
               });
}

TEST_CASE("the objects of an array get their fields' defaults") {
    const auto o = valid(rules_schema(), parse(R"({"rules": [{"field": "a"}, {"field": "b", "op": "ne"}]})"));
    const auto rules = o.children("rules");
    REQUIRE(rules.size() == 2);
    CHECK(rules[0].get_string("op") == "eq");
    CHECK(rules[1].get_string("op") == "ne");
}

TEST_CASE("the scalar elements of an array are coerced like options") {
    const OptionSchema schema = {
        {.name = "ports", .type = OptionType::array, .items = {{.type = OptionType::integer, .max = 65535}}}};
    const auto o = valid(schema, parse(R"({"ports": ["80", 443]})"));
    CHECK(o.get("ports").as_array()[0].as_int64() == 80);
    CHECK(errors_of(schema, parse(R"({"ports": [1, "x", 70000]})")) ==
          std::vector<std::string>{at(".ports[1]: expected an integer, got string"),
                                   at(".ports[2]: must be at most 65535, got 70000")});
}

TEST_CASE("a map checks its keys against the pattern and each value against its item") {
    const OptionSchema schema = {
        {.name = "rename", .type = OptionType::map, .pattern = "[a-z_]+", .items = {{.type = OptionType::string}}}};
    const auto o = valid(schema, parse(R"({"rename": {"a": "x", "b_c": "y"}})"));
    CHECK(o.get_object("rename").at("b_c").as_string() == "y");
    CHECK(errors_of(schema, parse(R"({"rename": {"a": "x", "B": "y", "c": 5}})")) ==
          std::vector<std::string>{at(".rename.B: the key \"B\" does not match the pattern [a-z_]+"),
                                   at(".rename.c: expected a string, got integer")});
}

TEST_CASE("the object values of a map get their fields' defaults and their unknown keys refused") {
    const OptionSchema schema = {
        {.name = "types",
         .type = OptionType::map,
         .items = {{.type = OptionType::object,
                    .fields = {{.name = "type", .type = OptionType::string, .required = true},
                               {.name = "nullable", .type = OptionType::boolean, .default_value = false}}}}}};
    const auto o = valid(schema, parse(R"({"types": {"price": {"type": "number"}}})"));
    CHECK(o.get_object("types").at("price").at("nullable") == false);
    CHECK(errors_of(schema, parse(R"({"types": {"price": {"type": "number", "scale": 2}}})")) ==
          std::vector<std::string>{at(".types.price.scale: unknown key; valid keys: type, nullable")});
}

TEST_CASE("a path is made absolute against the base folder and normalised") {
    const OptionSchema schema = {{.name = "dir", .type = OptionType::path},
                                 {.name = "abs", .type = OptionType::path},
                                 {.name = "up", .type = OptionType::path},
                                 {.name = "out", .type = OptionType::path, .default_value = "data/out"}};
    const auto o = valid(schema, parse(R"({"dir": "in/../inbound/./", "abs": "/var//x/.", "up": "../shared"})"));
    CHECK(o.get_string("dir") == "/etc/junction/inbound");
    CHECK(o.get_string("abs") == "/var/x");
    CHECK(o.get_string("up") == "/etc/shared");
    CHECK(o.get_string("out") == "/etc/junction/data/out");
}

TEST_CASE("a relative base folder is taken from the working directory") {
    const auto o = valid({{.name = "dir", .type = OptionType::path}}, parse(R"({"dir": "in"})"), ".");
    CHECK(o.get_string("dir") == (std::filesystem::current_path() / "in").lexically_normal().string());
}

TEST_CASE("an empty path is refused when required, kept empty otherwise") {
    const OptionSchema schema = {{.name = "need", .type = OptionType::path, .required = true},
                                 {.name = "maybe", .type = OptionType::path}};
    CHECK(errors_of(schema, parse(R"({"need": "", "maybe": ""})")) ==
          std::vector<std::string>{at(".need: must not be empty")});
    CHECK(valid(schema, parse(R"({"need": "x", "maybe": ""})")).get_string("maybe", "unset").empty());
}

TEST_CASE("an `any` option passes its value as written") {
    const OptionSchema schema = {{.name = "filter", .type = OptionType::any},
                                 {.name = "constant", .type = OptionType::any}};
    const auto input = parse(R"({"filter": {"n": {"$gt": "5"}}, "constant": [1, "a", null]})");
    const auto o = valid(schema, input);
    CHECK(o.values() == input);
}

TEST_CASE("a required option left out, or null, is reported with its type and description") {
    const OptionSchema schema = {
        {.name = "uri", .type = OptionType::string, .required = true, .description = "the server's URI"},
        {.name = "dir", .type = OptionType::path, .required = true}};
    CHECK(errors_of(schema, parse(R"({"dir": null})")) ==
          std::vector<std::string>{at(".uri: required option missing (string: the server's URI)"),
                                   at(".dir: required option missing (path)")});
}

TEST_CASE("null counts as left out: the default applies") {
    const OptionSchema schema = {{.name = "size", .type = OptionType::integer, .default_value = 10}};
    CHECK(valid(schema, parse(R"({"size": null})")).get_int("size") == 10);
}

TEST_CASE("a secret value never appears in a message") {
    const OptionSchema schema = {
        {.name = "token", .type = OptionType::string, .allowed = {"a", "b"}, .secret = true},
        {.name = "key", .type = OptionType::string, .pattern = "[a-z]+", .secret = true},
        {.name = "pin", .type = OptionType::integer, .max = 10, .secret = true},
        {.name = "auth",
         .type = OptionType::object,
         .secret = true,
         .fields = {{.name = "password", .type = OptionType::string, .pattern = "[a-z]+"}}},
        {.name = "keys",
         .type = OptionType::array,
         .items = {{.type = OptionType::string, .pattern = "[a-z]+", .secret = true}}},
    };
    const auto e = errors_of(schema, parse(R"({"token": "hunter2", "key": "HUNTER3", "pin": 4711,
                                              "auth": {"password": "HUNTER4"}, "keys": ["HUNTER5"]})"));
    const auto text = joined(e);
    CHECK(e.size() == 5);
    CHECK(text.find("HUNTER") == std::string::npos);
    CHECK(text.find("hunter") == std::string::npos);
    CHECK(text.find("4711") == std::string::npos);
    CHECK(has(e, at(".token: \"***\" is not one of: a, b")));
    CHECK(has(e, at(".key: the value does not match the pattern [a-z]+")));
    CHECK(has(e, at(".pin: must be at most 10")));
    CHECK(has(e, at(".auth.password: the value does not match the pattern [a-z]+")));
    CHECK(has(e, at(".keys[0]: the value does not match the pattern [a-z]+")));
}

TEST_CASE("redact replaces every secret value at any depth, and nothing else") {
    const OptionSchema schema = {
        {.name = "password", .type = OptionType::string, .secret = true},
        {.name = "user", .type = OptionType::string},
        {.name = "auth",
         .type = OptionType::object,
         .fields = {{.name = "secret", .type = OptionType::string, .secret = true},
                    {.name = "id", .type = OptionType::string}}},
        {.name = "headers",
         .type = OptionType::array,
         .items = {{.type = OptionType::object,
                    .fields = {{.name = "name", .type = OptionType::string},
                               {.name = "value", .type = OptionType::string, .secret = true}}}}},
        {.name = "tokens", .type = OptionType::map, .items = {{.type = OptionType::string, .secret = true}}},
        {.name = "keys", .type = OptionType::string_list, .secret = true},
    };
    const auto input = parse(R"({"password": "p", "user": "u", "auth": {"secret": "s", "id": "i"},
        "headers": [{"name": "X-Key", "value": "v"}], "tokens": {"a": "t1", "b": "t2"}, "keys": ["k"],
        "unknown": "left"})");
    const auto expected = parse(R"({"password": "***", "user": "u", "auth": {"secret": "***", "id": "i"},
        "headers": [{"name": "X-Key", "value": "***"}], "tokens": {"a": "***", "b": "***"}, "keys": "***",
        "unknown": "left"})");
    CHECK(detail::redact(schema, input) == expected);
}

TEST_CASE("a pattern is not matched against a value longer than 4096 bytes") {
    const OptionSchema schema = {{.name = "name", .type = OptionType::string, .pattern = "(a|b)*"}};
    json::object input;
    input["name"] = std::string(5000, 'a');
    const auto e = errors_of(schema, input);
    REQUIRE(e.size() == 1);
    CHECK(e[0] == at(".name: is too long to check against the pattern (a|b)* (5000 bytes, at most 4096)"));
    input["name"] = std::string(4096, 'a');
    CHECK(errors_of(schema, input).empty());
}

TEST_CASE("an invalid pattern is reported as the plugin's") {
    const OptionSchema schema = {{.name = "name", .type = OptionType::string, .pattern = "(a"}};
    CHECK(errors_of(schema, parse(R"({"name": "a"})")) ==
          std::vector<std::string>{at(".name: the plugin declares an invalid pattern: (a")});
}

TEST_CASE("a default that fails its own checks is reported as the plugin's") {
    const OptionSchema schema = {{.name = "size", .type = OptionType::integer, .default_value = 50, .max = 10}};
    CHECK(errors_of(schema, {}) ==
          std::vector<std::string>{at(".size: the plugin's default is invalid: must be at most 10, got 50")});
}

TEST_CASE("apply_defaults fills defaults at any depth and checks nothing") {
    auto schema = rules_schema();
    schema.push_back({.name = "size", .type = OptionType::integer, .default_value = 10});
    schema.push_back({.name = "dir", .type = OptionType::path, .default_value = "out"});
    const auto o = detail::apply_defaults(schema, parse(R"({"rules": [{"field": 5}], "extra": true})"));
    CHECK(o == parse(R"({"rules": [{"field": 5, "op": "eq"}], "extra": true, "size": 10, "dir": "out"})"));
}

// ---- presets: an option whose extra holds "presets" names a set of options merged under the user's

namespace {

OptionSchema preset_schema() {
    return {
        {.name = "preset",
         .type = OptionType::string,
         .extra = {{"presets",
                    parse(R"({"api": {"description": "an API", "options": {
                        "url": "https://api.example.com", "limit": 10, "tags": ["a", "b"],
                        "page": {"type": "cursor", "param": "after"},
                        "body": {"q": "x", "sort": {"by": "date", "asc": true}}}}})")}}},
        {.name = "url", .type = OptionType::string, .required = true},
        {.name = "limit", .type = OptionType::integer, .default_value = 100},
        {.name = "tags", .type = OptionType::string_list},
        {.name = "page",
         .type = OptionType::object,
         .fields = {{.name = "type", .type = OptionType::string, .required = true},
                    {.name = "param", .type = OptionType::string},
                    {.name = "size", .type = OptionType::integer}}},
        {.name = "body", .type = OptionType::any},
    };
}

}  // namespace

TEST_CASE("presets: a required option the preset gives is not missing, and the preset's values are checked") {
    const auto o = valid(preset_schema(), parse(R"({"preset": "api"})"));
    CHECK(o.get_string("url") == "https://api.example.com");
    CHECK(o.get_int("limit") == 10);
    CHECK(o.get_string("preset") == "api");
    // without the preset, the same input misses url
    CHECK(errors_of(preset_schema(), parse("{}")) ==
          std::vector<std::string>{at(".url: required option missing (string)")});
}

TEST_CASE("presets: objects merge key by key; scalars and arrays replace; null removes; another type replaces") {
    const auto o = valid(preset_schema(), parse(R"({"preset": "api", "limit": 5, "tags": ["c"],
        "body": {"sort": {"asc": false}, "extra": 1}, "page": {"size": 3}})"));
    CHECK(o.get_int("limit") == 5);
    CHECK(o.get_strings("tags") == std::vector<std::string>{"c"});
    CHECK(o.get("body") == json::parse(R"({"q": "x", "sort": {"by": "date", "asc": false}, "extra": 1})"));
    CHECK(o.get("page") == json::parse(R"({"type": "cursor", "param": "after", "size": 3})"));
    const auto removed = valid(preset_schema(), parse(R"({"preset": "api", "tags": null, "body": {"q": null}})"));
    CHECK_FALSE(removed.has("tags"));
    CHECK(removed.get("body") == json::parse(R"({"sort": {"by": "date", "asc": true}})"));
    const auto other = valid(preset_schema(), parse(R"({"preset": "api", "page": {"type": "offset", "size": 9}})"));
    CHECK(other.get("page") == json::parse(R"({"type": "offset", "size": 9})"));  // no param left behind
}

TEST_CASE("presets: an error from the merged options is reported under its option; an unknown name is one line") {
    CHECK(errors_of(preset_schema(), parse(R"({"preset": "api", "limit": "many"})")) ==
          std::vector<std::string>{at(".limit: expected an integer, got string")});
    CHECK(errors_of(preset_schema(), parse(R"({"preset": "apx", "limit": "many"})")) ==
          std::vector<std::string>{at(".preset: unknown preset \"apx\"; known presets: api")});
    // a preset name that is not a string is the schema's type error, nothing merged
    CHECK(has(errors_of(preset_schema(), parse(R"({"preset": 1})")), at(".preset: expected a string, got integer")));
}
