// JSON <-> BSON conversion, without a server.
#include <doctest/doctest.h>

#include <boost/json.hpp>

#include "convert.hpp"

using namespace junction::mongodb;
namespace json = boost::json;

namespace {

std::string canonical(const bson_t* doc) {
    char* text = bson_as_canonical_extended_json(doc, nullptr);
    std::string out(text);
    bson_free(text);
    return out;
}

bson_type_t type_of(const bson_t* doc, const char* dotted) {
    bson_iter_t iter;
    bson_iter_t found;
    if (!bson_iter_init(&iter, doc) || !bson_iter_find_descendant(&iter, dotted, &found)) return BSON_TYPE_EOD;
    return bson_iter_type(&found);
}

}  // namespace

TEST_CASE("convert keeps int32, int64, doubles, nested objects and arrays through a round trip") {
    const auto in = json::parse(R"({"small": 7, "big": 9007199254740993, "neg": -2147483649, "ratio": 2.5,
        "whole": 2.0, "flag": true, "none": null, "text": "h\u00e9",
        "nested": {"list": [1, "two", {"three": 3.25}], "empty": {}}})")
                        .as_object();
    bson_t doc = BSON_INITIALIZER;
    REQUIRE_FALSE(json_to_bson(in, {}, &doc).has_value());
    CHECK(type_of(&doc, "small") == BSON_TYPE_INT32);
    CHECK(type_of(&doc, "big") == BSON_TYPE_INT64);
    CHECK(type_of(&doc, "neg") == BSON_TYPE_INT64);
    CHECK(type_of(&doc, "ratio") == BSON_TYPE_DOUBLE);
    CHECK(type_of(&doc, "whole") == BSON_TYPE_DOUBLE);
    CHECK(type_of(&doc, "nested.list") == BSON_TYPE_ARRAY);
    CHECK(type_of(&doc, "nested.list.2.three") == BSON_TYPE_DOUBLE);
    const auto out = bson_to_json(&doc);
    CHECK(out == in);
    CHECK(out.at("big").is_int64());
    CHECK(out.at("big").as_int64() == 9007199254740993);
    CHECK(out.at("whole").is_double());
    bson_destroy(&doc);
}

TEST_CASE("convert writes date_fields as BSON dates in UTC and reads any BSON date back as ISO 8601 Z") {
    const auto in = json::parse(R"({"createdAt": "2024-03-01T09:00:00-03:00", "deletedAt": null,
        "nested": {"at": "2024-03-01T12:00:00.123Z"}, "note": "2024-03-01T12:00:00Z"})")
                        .as_object();
    const std::vector<std::string> dates{"createdAt", "deletedAt", "nested.at"};
    bson_t doc = BSON_INITIALIZER;
    REQUIRE_FALSE(json_to_bson(in, dates, &doc).has_value());
    CHECK(type_of(&doc, "createdAt") == BSON_TYPE_DATE_TIME);
    CHECK(type_of(&doc, "deletedAt") == BSON_TYPE_NULL);
    CHECK(type_of(&doc, "nested.at") == BSON_TYPE_DATE_TIME);
    CHECK(type_of(&doc, "note") == BSON_TYPE_UTF8);  // not listed: stays a string
    CHECK(canonical(&doc).find(R"("$numberLong" : "1709294400000")") != std::string::npos);
    const auto out = bson_to_json(&doc);
    CHECK(out.at("createdAt") == "2024-03-01T12:00:00.000Z");
    CHECK(out.at("deletedAt").is_null());
    CHECK(out.at("nested").at("at") == "2024-03-01T12:00:00.123Z");
    bson_destroy(&doc);
}

TEST_CASE("convert refuses a date field that is not an ISO 8601 date-time and names it") {
    bson_t doc = BSON_INITIALIZER;
    const auto err = json_to_bson(json::parse(R"({"createdAt": "yesterday"})").as_object(),
                                  std::vector<std::string>{"createdAt"}, &doc);
    REQUIRE(err.has_value());
    CHECK(err->find("createdAt") != std::string::npos);
    CHECK(err->find("yesterday") != std::string::npos);
    bson_destroy(&doc);
}

TEST_CASE("convert refuses a key holding a NUL character, at any depth, and names it (fuzz: crashed)") {
    const auto in = json::parse(R"({"ok": 1, "a": {"b\u0000c": {"d": "x"}}})").as_object();
    bson_t doc = BSON_INITIALIZER;
    const auto err = json_to_bson(in, {}, &doc);
    bson_destroy(&doc);
    REQUIRE(err);
    CHECK(*err == R"(field "a.b\u0000c": a key holding a NUL character (\u0000) cannot be stored in BSON)");

    bson_t query;
    const auto top = extended_json_to_bson(json::parse(R"({"x\u0000": 1})").as_object(), &query);
    bson_destroy(&query);
    REQUIRE(top);
    CHECK(*top == R"(field "x\u0000": a key holding a NUL character (\u0000) cannot be stored in BSON)");
}

TEST_CASE("convert reads ObjectIds as 24-hex strings and turns positions back into ids") {
    bson_oid_t oid;
    bson_oid_init_from_string(&oid, "65e1f0a1b2c3d4e5f6a7b8c9");
    bson_t doc = BSON_INITIALIZER;
    BSON_APPEND_OID(&doc, "_id", &oid);
    BSON_APPEND_OID(&doc, "ref", &oid);
    const auto out = bson_to_json(&doc);
    CHECK(out.at("_id") == "65e1f0a1b2c3d4e5f6a7b8c9");
    CHECK(out.at("ref") == "65e1f0a1b2c3d4e5f6a7b8c9");

    bson_iter_t id;
    REQUIRE(bson_iter_init_find(&id, &doc, "_id"));
    const auto position = id_to_position(&id);
    CHECK(position == "65e1f0a1b2c3d4e5f6a7b8c9");
    bson_t back = BSON_INITIALIZER;
    REQUIRE(append_id_from_position(position, "_id", &back));
    bson_iter_t it;
    REQUIRE(bson_iter_init_find(&it, &back, "_id"));
    CHECK(bson_iter_type(&it) == BSON_TYPE_OID);
    CHECK(bson_oid_equal(bson_iter_oid(&it), &oid));
    bson_destroy(&back);
    bson_destroy(&doc);
}

TEST_CASE("convert keeps non-ObjectId ids as Extended JSON positions") {
    bson_t doc = BSON_INITIALIZER;
    BSON_APPEND_INT64(&doc, "_id", 42);
    bson_iter_t id;
    REQUIRE(bson_iter_init_find(&id, &doc, "_id"));
    const auto position = id_to_position(&id);
    CHECK(position.front() == '{');
    bson_t back = BSON_INITIALIZER;
    REQUIRE(append_id_from_position(position, "_id", &back));
    CHECK(bson_equal(&back, &doc));
    CHECK_FALSE(append_id_from_position("not-an-id", "_id", &back));
    bson_destroy(&back);
    bson_destroy(&doc);
}

TEST_CASE("placeholders $now and $reason are substituted at any depth; Extended JSON is honoured") {
    const auto set = json::parse(R"({"isSynced": true, "syncedAt": "$now", "why": {"text": "$reason"}})").as_object();
    const auto out = substitute_placeholders(set, 1709294400000, "bad status");
    CHECK(out.at("why").at("text") == "bad status");
    bson_t doc;
    REQUIRE_FALSE(extended_json_to_bson(out, &doc).has_value());
    CHECK(type_of(&doc, "syncedAt") == BSON_TYPE_DATE_TIME);
    CHECK(type_of(&doc, "isSynced") == BSON_TYPE_BOOL);
    bson_destroy(&doc);
    bson_t oid_doc;
    REQUIRE_FALSE(
        extended_json_to_bson(json::parse(R"({"_id": {"$oid": "65e1f0a1b2c3d4e5f6a7b8c9"}})").as_object(), &oid_doc)
            .has_value());
    CHECK(type_of(&oid_doc, "_id") == BSON_TYPE_OID);
    bson_destroy(&oid_doc);
    bson_t query;  // a query operator, not a type wrapper (libbson's own parser refuses it)
    REQUIRE_FALSE(
        extended_json_to_bson(json::parse(R"({"at": {"$type": "date"}, "n": {"$in": [1, 2]}})").as_object(), &query)
            .has_value());
    CHECK(type_of(&query, "at.$type") == BSON_TYPE_UTF8);
    CHECK(type_of(&query, "n.$in") == BSON_TYPE_ARRAY);
    bson_destroy(&query);
    bson_t bad;
    CHECK(extended_json_to_bson(json::parse(R"({"_id": {"$oid": "nope"}})").as_object(), &bad).has_value());
    bson_destroy(&bad);
}
