#include <doctest/doctest.h>
#include <junction/sdk/testing.hpp>

#include "translator.hpp"

namespace json = boost::json;
using junction::sdk::Code;
using junction::sdk::Record;
using junction::sdk::testing::TestContext;

namespace {

Record record_of(json::object payload) {
    return {.payload = std::move(payload), .meta = {}};
}

}  // namespace

TEST_CASE("upper-cases the chosen fields and leaves the others") {
    TestContext ctx(csvdir::translator_options(), {{"fields", json::array{"name", "city"}}});
    csvdir::UppercaseTranslator translator;
    REQUIRE(translator.open(ctx).is_ok());
    auto record = record_of({{"id", "1"}, {"name", "Ada é"}, {"city", "london"}, {"note", "x"}});
    REQUIRE(translator.translate(record).is_ok());
    CHECK(record.payload == json::object{{"id", "1"}, {"name", "ADA é"}, {"city", "LONDON"}, {"note", "x"}});
}

TEST_CASE("a missing field is passed over, or rejected when strict") {
    auto record = record_of({{"id", "1"}});
    SUBCASE("default") {
        TestContext ctx(csvdir::translator_options(), {{"fields", json::array{"name"}}});
        csvdir::UppercaseTranslator translator;
        REQUIRE(translator.open(ctx).is_ok());
        CHECK(translator.translate(record).is_ok());
    }
    SUBCASE("strict") {
        TestContext ctx(csvdir::translator_options(), {{"fields", json::array{"name"}}, {"strict", true}});
        csvdir::UppercaseTranslator translator;
        REQUIRE(translator.open(ctx).is_ok());
        const auto status = translator.translate(record);
        CHECK(status.code() == Code::reject);
        CHECK(status.message() == "name: required");
    }
    CHECK(record.payload == json::object{{"id", "1"}});
}

TEST_CASE("a field that is not a string rejects the record and leaves it as it came") {
    TestContext ctx(csvdir::translator_options(), {{"fields", json::array{"name", "id"}}});
    csvdir::UppercaseTranslator translator;
    REQUIRE(translator.open(ctx).is_ok());
    auto record = record_of({{"id", 7}, {"name", "ada"}});
    const auto status = translator.translate(record);
    CHECK(status.code() == Code::reject);
    CHECK(status.message() == "id: expected string, got integer");
    CHECK(record.payload == json::object{{"id", 7}, {"name", "ada"}});  // "ada" not upper-cased
}
