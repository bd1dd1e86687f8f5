#include <doctest/doctest.h>

#include <boost/json.hpp>

#include "mapping_config.hpp"
#include "mapping_rules.hpp"
#include "test_context.hpp"

namespace json = boost::json;
using junction::mapping::apply_rules;
using junction::mapping::MappingConfig;
using junction::mapping::parse_config;

namespace {

// The rules of options as the host hands them over: validated and checked.
MappingConfig config_of(std::string_view options) {
    const junction::test::TestContext ctx(junction::mapping::translator_options(), json::parse(options).as_object());
    const auto s = junction::mapping::check_config(ctx.options());
    REQUIRE_MESSAGE(s.is_ok(), s.message());
    return parse_config(ctx.options());
}

struct Outcome {
    json::object payload;
    std::string key;
    std::string error;
};

Outcome run(std::string_view options, std::string_view payload) {
    Outcome o{json::parse(payload).as_object(), {}, {}};
    o.error = apply_rules(config_of(options), o.payload, o.key);
    return o;
}

}  // namespace

TEST_CASE("required: present fields pass") {
    auto o = run(R"({"required": ["id", "a.b"]})", R"({"id": 1, "a": {"b": 0}})");
    CHECK(o.error.empty());
}

TEST_CASE("required: missing and null fields are rejected, all named") {
    auto o = run(R"({"required": ["id", "name", "a.b"]})", R"({"name": null, "a": {}})");
    CHECK(o.error == "required: missing id, name, a.b");
}

TEST_CASE("rename: moves a field, also into and out of nested objects") {
    auto o = run(R"({"rename": {"orderNo": "number", "info.title": "meta.name"}})",
                 R"({"orderNo": 5, "info": {"title": "t", "x": 1}})");
    REQUIRE(o.error.empty());
    CHECK(o.payload == json::parse(R"({"number": 5, "info": {"x": 1}, "meta": {"name": "t"}})").as_object());
}

TEST_CASE("rename: an absent field is skipped") {
    auto o = run(R"({"rename": {"missing": "other"}})", R"({"a": 1})");
    CHECK(o.error.empty());
    CHECK(o.payload == json::parse(R"({"a": 1})").as_object());
}

TEST_CASE("copy: duplicates a field and keeps the original") {
    auto o = run(R"({"copy": {"summary": "title"}})", R"({"summary": "s"})");
    CHECK(o.payload == json::parse(R"({"summary": "s", "title": "s"})").as_object());
}

TEST_CASE("copy: into a path whose parent is not an object is rejected") {
    auto o = run(R"({"copy": {"a": "b.c"}})", R"({"a": 1, "b": 2})");
    CHECK(o.error == "copy: cannot set b.c: a parent is not an object");
}

TEST_CASE("map_values: strings, bools and numbers are mapped by their text") {
    auto o = run(R"({"map_values": {"s": {"open": "pending"}, "b": {"true": "yes"}, "n": {"3": "three"}}})",
                 R"({"s": "open", "b": true, "n": 3})");
    REQUIRE(o.error.empty());
    CHECK(o.payload == json::parse(R"({"s": "pending", "b": "yes", "n": "three"})").as_object());
}

TEST_CASE("map_values: a double is matched and named by its shortest text (0.5, not 5E-1)") {
    auto o = run(R"({"map_values": {"rate": {"0.5": "half"}}})", R"({"rate": 0.5})");
    REQUIRE(o.error.empty());
    CHECK(o.payload.at("rate").as_string() == "half");
    CHECK(run(R"({"map_values": {"rate": {"0.5": "half"}}})", R"({"rate": 0.25})").error ==
          "map_values: rate: no mapping for 0.25");
}

TEST_CASE("map_values: the * entry is the fallback") {
    auto o = run(R"({"map_values": {"s": {"open": "pending", "*": "other"}}})", R"({"s": "weird"})");
    CHECK(o.payload.at("s").as_string() == "other");
}

TEST_CASE("map_values: an unmapped value without fallback is rejected naming it") {
    auto o = run(R"({"map_values": {"s": {"open": "pending"}}})", R"({"s": "weird"})");
    CHECK(o.error == R"(map_values: s: no mapping for "weird")");
}

TEST_CASE("to_utc: date-times become UTC with milliseconds and Z") {
    auto o = run(R"({"to_utc": ["at", "x.when", "absent"]})",
                 R"({"at": "2024-03-01T09:00:00-03:00", "x": {"when": "2024-03-01T12:00:00.5+05:30"}})");
    REQUIRE(o.error.empty());
    CHECK(o.payload.at("at").as_string() == "2024-03-01T12:00:00.000Z");
    CHECK(o.payload.at("x").at("when").as_string() == "2024-03-01T06:30:00.500Z");
}

TEST_CASE("to_utc: a value that is not a date-time is rejected naming the field") {
    CHECK(run(R"({"to_utc": ["at"]})", R"({"at": "tomorrow"})").error ==
          R"(to_utc: at: not an ISO 8601 date-time: "tomorrow")");
    CHECK(run(R"({"to_utc": ["at"]})", R"({"at": 5})").error ==
          "to_utc: at: expected ISO 8601 date-time string, got integer");
}

TEST_CASE("set: constants, also nested, overwrite existing values") {
    auto o = run(R"({"set": {"source": "erp", "sync.done": true}})", R"({"source": "x"})");
    CHECK(o.payload == json::parse(R"({"source": "erp", "sync": {"done": true}})").as_object());
}

TEST_CASE("drop: removes fields, nested too, absent ones ignored") {
    auto o = run(R"({"drop": ["_id", "a.b", "nope"]})", R"({"_id": 1, "a": {"b": 2, "c": 3}})");
    CHECK(o.payload == json::parse(R"({"a": {"c": 3}})").as_object());
}

TEST_CASE("key: a string or integer field becomes the key") {
    CHECK(run(R"({"key": "id"})", R"({"id": 42})").key == "42");
    CHECK(run(R"({"key": "a.id"})", R"({"a": {"id": "x-1"}})").key == "x-1");
}

TEST_CASE("key: a missing or non-scalar key field is rejected") {
    CHECK(run(R"({"key": "id"})", "{}").error == "key: field id is missing");
    CHECK(run(R"({"key": "id"})", R"({"id": [1]})").error == "key: field id must be a string or integer, got array");
}

TEST_CASE("order: required, rename, copy, map_values, to_utc, set, drop, key") {
    // Each step sees the previous one's result: map_values and key act on the renamed
    // field, set overwrites the copy, drop removes the source of the copy.
    auto o = run(R"({"key": "number", "drop": ["summary"], "set": {"description": "fixed"},
                      "to_utc": ["created"], "map_values": {"state": {"D": "completed"}},
                      "copy": {"summary": "title"}, "rename": {"orderNo": "number", "st": "state"},
                      "required": ["orderNo"]})",
                 R"({"orderNo": 9, "st": "D", "summary": "S", "created": "2024-01-01T00:00:00+01:00"})");
    REQUIRE_MESSAGE(o.error.empty(), o.error);
    CHECK(o.payload == json::parse(R"({"number": 9, "state": "completed", "title": "S",
        "created": "2023-12-31T23:00:00.000Z", "description": "fixed"})")
                           .as_object());
    CHECK(o.key == "9");
}

TEST_CASE("trim: leading and trailing whitespace removed; absent and null skipped") {
    auto o = run(R"({"trim": ["a", "b.c", "gone", "none"]})",
                 "{\"a\": \" \\t x y \\r\\n\", \"b\": {\"c\": \"   \"}, \"none\": null}");
    REQUIRE_MESSAGE(o.error.empty(), o.error);
    CHECK(o.payload == json::parse(R"({"a": "x y", "b": {"c": ""}, "none": null})").as_object());
}

TEST_CASE("lower: ASCII letters lower-cased, others kept") {
    auto o = run(R"({"lower": ["email", "missing"]})", R"({"email": "Ada.LOVELACE@Example.COM", "x": "KEEP"})");
    REQUIRE_MESSAGE(o.error.empty(), o.error);
    CHECK(o.payload == json::parse(R"({"email": "ada.lovelace@example.com", "x": "KEEP"})").as_object());
    auto accented = run(R"({"lower": ["n"]})", R"({"n": "ÉMILE"})");
    CHECK(accented.payload.at("n") == "Émile");  // bytes of non-ASCII letters are left as they are
}

TEST_CASE("trim and lower: a value that is not a string is rejected naming the operation and field") {
    CHECK(run(R"({"trim": ["n"]})", R"({"n": 5})").error == "trim: n: expected a string, got integer");
    CHECK(run(R"({"lower": ["a.b"]})", R"({"a": {"b": [1]}})").error == "lower: a.b: expected a string, got array");
}

TEST_CASE("join: present, non-empty strings joined in order; none present: the field is not set") {
    const auto options =
        R"({"join": {"full_name": {"fields": ["first", "last"]}, "tag": {"fields": ["a", "b"], "separator": "-"}}})";
    auto both = run(options, R"({"first": "Ada", "last": "Lovelace", "a": "x", "b": "y"})");
    REQUIRE_MESSAGE(both.error.empty(), both.error);
    CHECK(both.payload.at("full_name") == "Ada Lovelace");
    CHECK(both.payload.at("tag") == "x-y");
    auto one = run(options, R"({"first": null, "last": "Lovelace", "a": ""})");
    CHECK(one.payload.at("full_name") == "Lovelace");
    CHECK_FALSE(one.payload.contains("tag"));
    CHECK(run(options, R"({"first": 1})").error == "join: full_name: first is integer, not a string");
}

TEST_CASE("keep: only the listed fields stay, nested ones too; absent ones are not created") {
    auto o = run(R"({"keep": ["id", "a.b", "missing"]})", R"({"id": 1, "a": {"b": 2, "c": 3}, "raw": {"x": 1}})");
    REQUIRE_MESSAGE(o.error.empty(), o.error);
    CHECK(o.payload == json::parse(R"({"id": 1, "a": {"b": 2}})").as_object());
}

TEST_CASE("order: rename, then trim, lower and join on the new names, then set, drop, keep and key") {
    auto o = run(R"({"keep": ["id", "email", "full_name", "source"], "key": "id", "set": {"source": "crm"},
                      "join": {"full_name": {"fields": ["first", "last"]}}, "lower": ["email"],
                      "trim": ["email", "first"], "rename": {"p.email": "email", "p.first": "first", "p.last": "last"},
                      "required": ["id", "p.email"]})",
                 R"({"id": "7", "p": {"email": " A@B.COM ", "first": " Ada ", "last": "L"}, "archived": false})");
    REQUIRE_MESSAGE(o.error.empty(), o.error);
    CHECK(o.payload ==
          json::parse(R"({"id": "7", "email": "a@b.com", "full_name": "Ada L", "source": "crm"})").as_object());
    CHECK(o.key == "7");
}
