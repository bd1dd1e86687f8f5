// core::IdentitySpec: a submission's identity in substance (issue 12). The formula
// example: the set of materials, names trimmed and case-folded, concentrations exact.
#include <doctest/doctest.h>

#include <string>
#include <system_error>
#include <vector>

#include <boost/json.hpp>
#include <junction/core/identity.hpp>
#include <junction/sdk/decimal.hpp>

using junction::core::IdentitySpec;
using junction::core::SchemaProblem;
namespace json = boost::json;

namespace {

const char* formula_identity = R"({"fields": {"materials": {"set_of": {"fields": {
    "name": "folded_text", "concentration": "decimal"}}}}})";

IdentitySpec spec(const std::string& text) {
    std::vector<SchemaProblem> problems;
    auto s = IdentitySpec::compile(json::parse(text), problems);
    REQUIRE_MESSAGE(s.has_value(), (problems.empty() ? "" : problems[0].path + ": " + problems[0].message));
    return *s;
}

std::string key_of(const IdentitySpec& s, const std::string& document) {
    std::error_code ec;
    const auto texts = junction::sdk::number_texts(document, ec);
    REQUIRE_FALSE(ec);
    SchemaProblem problem;
    const auto k = s.key(json::parse(document), &texts, problem);
    REQUIRE_MESSAGE(k.has_value(), problem.path << ": " << problem.message);
    return *k;
}

std::string canonical_of(const IdentitySpec& s, const std::string& document) {
    std::error_code ec;
    const auto texts = junction::sdk::number_texts(document, ec);
    SchemaProblem problem;
    const auto c = s.canonical(json::parse(document), &texts, problem);
    REQUIRE_MESSAGE(c.has_value(), problem.path << ": " << problem.message);
    return *c;
}

}  // namespace

TEST_CASE("formulas: the same materials in substance are one identity, whatever the name, order and number form") {
    const auto s = spec(formula_identity);
    const auto a = key_of(s, R"({"name": "Rose", "materials": [{"name": "Iso E Super", "concentration": 15.5},
                                                               {"name": "Hedione", "concentration": 30}]})");
    CHECK(a.size() == 64);
    CHECK(key_of(s, R"({"name": "Another name", "materials": [{"concentration": 3e1, "name": "  HEDIONE "},
                                                               {"name": "iso e super", "concentration": 15.50}]})") == a);
    CHECK(key_of(s, R"({"name": "Rose", "materials": [{"name": "Iso E Super", "concentration": 1.55e1},
                                                       {"name": "Hedione", "concentration": 30.000}],
                        "notes": "ignored"})") == a);
    // a different concentration, a different material, one material fewer: other identities
    CHECK(key_of(s, R"({"name": "Rose", "materials": [{"name": "Iso E Super", "concentration": 15.51},
                                                       {"name": "Hedione", "concentration": 30}]})") != a);
    CHECK(key_of(s, R"({"name": "Rose", "materials": [{"name": "Iso E Super", "concentration": 15.5},
                                                       {"name": "Hedion", "concentration": 30}]})") != a);
    CHECK(key_of(s, R"({"name": "Rose", "materials": [{"name": "Iso E Super", "concentration": 15.5}]})") != a);
    CHECK(canonical_of(s, R"({"materials": [{"name": " B ", "concentration": 2.50}, {"name": "a", "concentration": 1}]})") ==
          R"({"materials":[{"concentration":1,"name":"a"},{"concentration":2.5,"name":"b"}]})");
}

TEST_CASE("0.1 is exactly 0.1, not the double nearest to it") {
    const auto s = spec(R"({"fields": {"c": "decimal"}})");
    CHECK(key_of(s, R"({"c": 0.1})") == key_of(s, R"({"c": 0.10})"));
    // As doubles these are equal (the same double); as decimals they are not.
    CHECK(json::parse("0.1000000000000000000001") == json::parse("0.1"));
    CHECK(key_of(s, R"({"c": 0.1000000000000000000001})") != key_of(s, R"({"c": 0.1})"));
}

TEST_CASE("folded text: Unicode case folding and NFC, not only ASCII") {
    const auto s = spec(R"({"fields": {"n": "folded_text"}})");
    CHECK(key_of(s, R"({"n": "Straße"})") == key_of(s, R"({"n": "STRASSE"})"));
    CHECK(key_of(s, "{\"n\": \"Caf\\u00e9\"}") == key_of(s, "{\"n\": \"CAFE\\u0301\"}"));  // é composed or not
    CHECK(key_of(s, R"({"n": "ΣΊΣΥΦΟΣ"})") == key_of(s, R"({"n": "σίσυφος"})"));
    CHECK(key_of(s, R"({"n": "a"})") != key_of(s, R"({"n": "b"})"));
    const auto t = spec(R"({"fields": {"n": "text"}})");
    CHECK(key_of(t, R"({"n": "Rose"})") != key_of(t, R"({"n": "rose"})"));
}

TEST_CASE("set_of ignores order and repeats, list_of keeps order, exact sorts keys; absent is null") {
    const auto set = spec(R"({"fields": {"tags": {"set_of": "text"}}})");
    CHECK(key_of(set, R"({"tags": ["b", "a", "b"]})") == key_of(set, R"({"tags": ["a", "b"]})"));
    const auto list = spec(R"({"fields": {"tags": {"list_of": "text"}}})");
    CHECK(key_of(list, R"({"tags": ["b", "a"]})") != key_of(list, R"({"tags": ["a", "b"]})"));
    const auto exact = spec(R"({"fields": {"x": "exact"}})");
    CHECK(canonical_of(exact, R"({"x": {"b": [1.50, true], "a": null}})") == R"({"x":{"a":null,"b":[1.5,true]}})");
    CHECK(canonical_of(exact, R"({})") == R"({"x":null})");
    CHECK(key_of(exact, R"({"x": null})") == key_of(exact, R"({})"));
}

TEST_CASE("a field of the wrong kind names its path; a bad spec is refused at its paths") {
    const auto s = spec(formula_identity);
    std::error_code ec;
    const std::string doc = R"({"materials": [{"name": "a", "concentration": "15.5"}]})";
    const auto texts = junction::sdk::number_texts(doc, ec);
    SchemaProblem problem;
    CHECK_FALSE(s.key(json::parse(doc), &texts, problem).has_value());
    CHECK(problem.path == "/materials/0/concentration");
    CHECK(problem.message == "expected a number for the identity, got string");

    std::vector<SchemaProblem> problems;
    CHECK_FALSE(IdentitySpec::compile(json::parse(R"({"fields": {"a": "folded", "b": {"set": "text"},
                                                                  "c": {"list_of": 3}}})"),
                                      problems)
                    .has_value());
    REQUIRE(problems.size() == 3);
    CHECK(problems[0].path == "/fields/a");
    CHECK(problems[0].message.starts_with("unknown kind \"folded\""));
    CHECK(problems[1].path == "/fields/b/set");
    CHECK(problems[2].path == "/fields/c/list_of");
}
