// Dotted paths into a payload: find, set, take, and the validity check for config.
#include <doctest/doctest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <junction/sdk/json_path.hpp>

namespace json = boost::json;
using namespace junction::sdk;

namespace {
json::object doc() {
    return json::parse(R"({"customer": {"address": {"city": "Lyon"}, "id": 7}, "flat": 1, "n": null})").as_object();
}
}  // namespace

TEST_CASE("a dotted path finds a nested value, and nothing past a missing step or a scalar") {
    const auto o = doc();
    REQUIRE(find_path(o, "customer.address.city") != nullptr);
    CHECK(find_path(o, "customer.address.city")->as_string() == "Lyon");
    CHECK(find_path(o, "flat")->as_int64() == 1);
    CHECK(find_path(o, "customer.address.zip") == nullptr);
    CHECK(find_path(o, "customer.id.value") == nullptr);
    CHECK(find_path(o, "nobody.address") == nullptr);
}

TEST_CASE("a found value can be changed in place") {
    auto o = doc();
    *find_path(o, "customer.id") = 8;
    CHECK(o.at("customer").at("id").as_int64() == 8);
}

TEST_CASE("setting a path creates the missing objects and replaces a null one") {
    auto o = doc();
    CHECK(set_path(o, "customer.address.zip", "69001"));
    CHECK(set_path(o, "a.b.c", 1));
    CHECK(set_path(o, "n.x", true));
    CHECK(o.at("customer").at("address").at("zip").as_string() == "69001");
    CHECK(o.at("a").at("b").at("c").as_int64() == 1);
    CHECK(o.at("n").at("x").as_bool());
}

TEST_CASE("setting a path through a scalar fails and changes nothing") {
    auto o = doc();
    const auto before = json::serialize(o);
    CHECK_FALSE(set_path(o, "flat.x", 1));
    CHECK_FALSE(set_path(o, "customer.id.x.y", 1));
    CHECK(json::serialize(o) == before);
}

TEST_CASE("taking a path removes the value and returns it") {
    auto o = doc();
    const auto city = take_path(o, "customer.address.city");
    REQUIRE(city);
    CHECK(city->as_string() == "Lyon");
    CHECK(o.at("customer").at("address").as_object().empty());
    CHECK_FALSE(take_path(o, "customer.address.city"));
    CHECK_FALSE(take_path(o, "flat.x"));
}

TEST_CASE("a path with an empty segment is not valid") {
    CHECK(is_valid_path("a"));
    CHECK(is_valid_path("a.b.c"));
    CHECK(is_valid_path("customer_id.2"));
    CHECK_FALSE(is_valid_path(""));
    CHECK_FALSE(is_valid_path("."));
    CHECK_FALSE(is_valid_path(".a"));
    CHECK_FALSE(is_valid_path("a."));
    CHECK_FALSE(is_valid_path("a..b"));
}

TEST_CASE("split_path keeps every segment, empty ones too") {
    const auto parts = split_path("a..b");
    REQUIRE(parts.size() == 3);
    CHECK(parts[0] == "a");
    CHECK(parts[1].empty());
    CHECK(parts[2] == "b");
}

TEST_CASE("two paths overlap when they are the same or one holds the other, not when one only starts the other") {
    CHECK(paths_overlap("number", "number"));
    CHECK(paths_overlap("number", "number.x"));
    CHECK(paths_overlap("a.b.c", "a"));
    CHECK_FALSE(paths_overlap("numbers", "number"));
    CHECK_FALSE(paths_overlap("number", "numbers.x"));
    CHECK_FALSE(paths_overlap("a.b", "a.c"));
}
