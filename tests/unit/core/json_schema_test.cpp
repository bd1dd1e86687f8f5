// core::JsonSchema: the draft 2020-12 subset the submissions intake checks payloads
// with; every problem with its JSON Pointer, numbers compared exactly from their text.
#include <doctest/doctest.h>

#include <string>
#include <system_error>
#include <vector>

#include <boost/json.hpp>
#include <junction/core/json_schema.hpp>
#include <junction/sdk/decimal.hpp>

using junction::core::JsonSchema;
using junction::core::SchemaProblem;
namespace json = boost::json;

namespace {

// The formula example's schema (issue 12): a name, and materials with a decimal
// concentration in (0, 100].
const char* formula_schema = R"({
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "title": "A fragrance formula",
  "type": "object",
  "required": ["name", "materials"],
  "additionalProperties": false,
  "properties": {
    "name": {"type": "string", "minLength": 1, "maxLength": 200},
    "materials": {"type": "array", "minItems": 1, "items": {
      "type": "object", "required": ["name", "concentration"], "additionalProperties": false,
      "properties": {"name": {"type": "string", "minLength": 1, "pattern": "\\S"},
                     "concentration": {"type": "number", "exclusiveMinimum": 0, "maximum": 100}}}}
  }
})";

JsonSchema compiled(const std::string& schema) {
    std::vector<SchemaProblem> problems;
    auto s = JsonSchema::compile(json::parse(schema), problems);
    REQUIRE_MESSAGE(s.has_value(), (problems.empty() ? "" : problems[0].path + ": " + problems[0].message));
    return *s;
}

// "path: message" lines of a document's problems, numbers exact from its text.
std::vector<std::string> problems_of(const JsonSchema& s, const std::string& document) {
    std::error_code ec;
    const auto texts = junction::sdk::number_texts(document, ec);
    REQUIRE_FALSE(ec);
    std::vector<std::string> out;
    for (const auto& p : s.validate(json::parse(document), &texts))
        out.push_back(p.path + ": " + p.message);
    return out;
}

using Lines = std::vector<std::string>;

}  // namespace

TEST_CASE("the formula schema accepts a formula and names every problem of a bad one") {
    const auto s = compiled(formula_schema);
    CHECK(problems_of(s, R"({"name": "Rose", "materials": [{"name": "Iso E Super", "concentration": 15.5},
                                                             {"name": "Hedione", "concentration": 100}]})")
              .empty());
    CHECK(problems_of(s, R"({"name": "", "materials": [], "colour": "red"})") ==
          Lines{"/name: must be at least 1 character long, is 0", "/materials: must have at least 1 item, has 0",
                "/colour: is not an allowed property (additionalProperties is false)"});
    CHECK(problems_of(s, R"({"materials": [{"name": " ", "concentration": 0}, {"concentration": "5"},
                                            {"name": "x", "concentration": 100.000000000000001}]})") ==
          Lines{"/materials/0/name: does not match the pattern \"\\\\S\"",
                "/materials/0/concentration: must be > 0, is 0",
                "/materials/1/concentration: expected number, got string",
                "/materials/1/name: is required",
                // 100.000000000000001 is 100 as a double: only its text tells
                "/materials/2/concentration: must be <= 100, is 100.000000000000001",
                "/name: is required"});
    CHECK(problems_of(s, R"([1, 2])") == Lines{": expected object, got array"});
}

TEST_CASE("types: integer is a number without a fraction, whatever its form; a list of types") {
    const auto s = compiled(R"({"type": "object", "properties": {
        "n": {"type": "integer"}, "m": {"type": ["string", "null"]}, "b": {"type": "boolean"}}})");
    CHECK(problems_of(s, R"({"n": 3, "m": null, "b": true})").empty());
    CHECK(problems_of(s, R"({"n": 3.0, "m": "x"})").empty());
    CHECK(problems_of(s, R"({"n": 1e2})").empty());
    CHECK(problems_of(s, R"({"n": 3.5, "m": 1, "b": "true"})") ==
          Lines{"/n: expected integer, got number", "/m: expected null, string, got integer",
                "/b: expected boolean, got string"});
}

TEST_CASE("enum, const, maxItems, maxLength in code points, pattern anywhere, additionalProperties as a schema") {
    const auto s = compiled(R"({"type": "object",
        "properties": {"unit": {"enum": ["g", "ml", 1]}, "v": {"const": 2}, "tags": {"maxItems": 2},
                       "code": {"maxLength": 3, "pattern": "[0-9]"}},
        "additionalProperties": {"type": "string"}})");
    CHECK(problems_of(s, R"({"unit": "g", "v": 2.0, "tags": [1, 2], "code": "éé7", "note": "ok"})").empty());
    CHECK(problems_of(s, R"({"unit": 1.0, "v": 2e0, "code": "a1"})").empty());
    CHECK(problems_of(s, R"({"unit": "kg", "v": 3, "tags": [1, 2, 3], "code": "abcd", "note": 5})") ==
          Lines{"/unit: must be one of \"g\", \"ml\", 1", "/v: must be 2", "/tags: must have at most 2 items, has 3",
                "/code: must be at most 3 characters long, is 4", "/code: does not match the pattern \"[0-9]\"",
                "/note: expected string, got integer"});
}

TEST_CASE("numbers are compared exactly: 0.1 + 0.2 style bounds, and without texts from the doubles") {
    const auto s = compiled(R"({"type": "number", "minimum": 0.1, "exclusiveMaximum": 0.3})");
    CHECK(problems_of(s, "0.1").empty());
    CHECK(problems_of(s, "0.29999999999999999999").empty());
    CHECK(problems_of(s, "0.3") == Lines{": must be < 0.3, is 0.3"});
    CHECK(problems_of(s, "0.09999999999999999999") == Lines{": must be >= 0.1, is 0.09999999999999999999"});
    // Without the document's texts, a double's shortest text stands for it.
    CHECK(s.validate(json::value(0.3)).size() == 1);
    CHECK(s.validate(json::value(0.2)).empty());
}

TEST_CASE("a schema with a mistake is refused, each mistake at its path") {
    std::vector<SchemaProblem> problems;
    CHECK_FALSE(JsonSchema::compile(json::parse(R"({"type": "objekt", "properties": {"a": {"minLenght": 1},
        "b": {"pattern": "(", "minimum": "0"}}, "required": "a", "maxItems": -1})"),
                                    problems)
                    .has_value());
    std::vector<std::string> lines;
    for (const auto& p : problems)
        lines.push_back(p.path);
    CHECK(lines == std::vector<std::string>{"/type", "/properties/a/minLenght", "/properties/b/pattern",
                                            "/properties/b/minimum", "/required", "/maxItems"});
    CHECK(problems[0].message == "unknown type \"objekt\" (valid: null, boolean, object, array, number, string, integer)");
    CHECK(problems[1].message.starts_with("unknown or unsupported keyword"));
    problems.clear();
    CHECK_FALSE(JsonSchema::compile(json::parse("3"), problems).has_value());
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].message == "a schema is an object or a boolean, got integer");
}

TEST_CASE("true, false, and at most 100 problems listed") {
    CHECK(problems_of(compiled("true"), R"({"anything": [1]})").empty());
    CHECK(problems_of(compiled("false"), "1") == Lines{": is not allowed here"});
    const auto s = compiled(R"({"items": {"type": "string"}})");
    std::string many = "[";
    for (int i = 0; i < 250; ++i)
        many += (i ? ",1" : "1");
    many += "]";
    const auto lines = problems_of(s, many);
    REQUIRE(lines.size() == 101);
    CHECK(lines[0] == "/0: expected string, got integer");
    CHECK(lines[100] == ": and 150 more problems not listed");
}
