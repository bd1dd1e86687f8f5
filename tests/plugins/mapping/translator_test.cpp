#include <doctest/doctest.h>

#include <boost/json.hpp>

#include "mapping_translator.hpp"
#include "test_context.hpp"

namespace json = boost::json;
using junction::mapping::MappingTranslator;
using junction::sdk::Code;
using junction::sdk::Record;
using junction::test::TestContext;

TEST_CASE("translator: applies the rules and sets meta.key") {
    TestContext ctx(json::parse(R"({"rename": {"id": "number"}, "key": "number"})").as_object());
    MappingTranslator t;
    REQUIRE(t.open(ctx).is_ok());
    Record r;
    r.payload = json::parse(R"({"id": 3})").as_object();
    REQUIRE(t.translate(r).is_ok());
    CHECK(r.payload.contains("number"));
    CHECK(r.meta.key == "3");
}

TEST_CASE("translator: a rejected record keeps its original payload") {
    TestContext ctx2(json::parse(R"({"rename": {"id": "number"}, "key": "nope"})").as_object());
    MappingTranslator t2;
    REQUIRE(t2.open(ctx2).is_ok());
    Record r;
    r.payload = json::parse(R"({"id": 3})").as_object();
    const auto s = t2.translate(r);
    CHECK(s.code() == Code::reject);
    CHECK(s.message() == "key: field nope is missing");
    CHECK(r.payload == json::parse(R"({"id": 3})").as_object());
}

TEST_CASE("translator: without key option meta.key is left alone") {
    TestContext ctx(json::object{});
    MappingTranslator t;
    REQUIRE(t.open(ctx).is_ok());
    Record r;
    r.meta.key = "k";
    REQUIRE(t.translate(r).is_ok());
    CHECK(r.meta.key == "k");
}
