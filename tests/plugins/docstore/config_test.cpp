// The docstore plugin's options: what the host refuses before open(), word for word, from
// the schema and from check_*_config (the factory's check_options), and the typed
// configs it hands over. The refusals shared with mongodb are pinned once for both in
// tests/plugins/reader_conformance.hpp.
#include <doctest/doctest.h>

#include <boost/json/parse.hpp>

#include "docstore_config.hpp"
#include "test_context.hpp"

namespace json = boost::json;
using namespace junction::docstore;
using junction::sdk::testing::option_errors;
using junction::test::TestContext;
using Lines = std::vector<std::string>;

namespace {

json::object with_collection(std::string_view extra) {
    auto o = json::parse(extra).as_object();
    o["collection"] = "orders";
    return o;
}
std::string reader_refusal(std::string_view options) {
    const TestContext ctx(reader_schema(), with_collection(options), "/base");
    return check_reader_config(ctx.options()).message();
}
std::string writer_refusal(std::string_view options) {
    const TestContext ctx(writer_schema(), with_collection(options), "/base");
    return check_writer_config(ctx.options()).message();
}

}  // namespace

TEST_CASE("config: path defaults to junction-docstore.db, resolved by the host against the config's folder") {
    const TestContext ctx(reader_schema(), with_collection("{}"), "/base/conf");
    const auto c = reader_config(ctx.options());
    CHECK(c.store.path == "/base/conf/junction-docstore.db");
    CHECK(c.store.collection == "orders");
    CHECK(c.key_field == "_id");
    CHECK(c.sort == "_id");
    CHECK(c.filter.empty());
    CHECK(c.ack_set.empty());
    CHECK(c.reject_set.empty());
    const TestContext w(writer_schema(), with_collection(R"({"path": "../data/t.db", "upsert_key": ["number"]})"),
                        "/base/conf");
    CHECK(writer_config(w.options()).store.path == "/base/data/t.db");
    CHECK(writer_config(w.options()).upsert_key == std::vector<std::string>{"number"});
}

TEST_CASE("config: an empty path is refused before open") {
    CHECK(reader_refusal(R"({"path": ""})") == "path: must name the SQLite file, e.g. \"tracos.db\"");
    CHECK(writer_refusal(R"({"path": "", "upsert_key": ["number"]})") ==
          "path: must name the SQLite file, e.g. \"tracos.db\"");
}

TEST_CASE("config: the collection is required and must be a plain SQL name") {
    CHECK(option_errors(reader_schema(), {}) ==
          Lines{"options.collection: required option missing (string: The collection (one table per collection): "
                "letters, digits and _.)"});
    CHECK(option_errors(reader_schema(), {{"collection", "1; DROP TABLE x"}}) ==
          Lines{"options.collection: \"1; DROP TABLE x\" does not match the pattern [A-Za-z_][A-Za-z0-9_]*"});
}

TEST_CASE("config: field names the store cannot quote in SQL are refused") {
    CHECK(writer_refusal(R"({"upsert_key": ["a\"b"]})") ==
          "upsert_key[0]: field name 'a\"b' holds a double quote or control character");
    CHECK(reader_refusal(R"({"key_field": "x\ny"})") ==
          "key_field: field name 'x\ny' holds a double quote or control character");
}

TEST_CASE("config: a filter the store cannot run is refused before open, naming the operator") {
    CHECK(reader_refusal(R"({"filter": {"title": {"$regex": "^order"}}})") ==
          "filter: operator $regex on field 'title' is not supported (supported: $eq, $ne, $exists, $in, $gt, "
          "$gte, $lt, $lte)");
    CHECK(reader_refusal(R"({"filter": {"$or": [{"a": 1}]}})") ==
          "filter: operator $or is not supported (supported: $eq, $ne, $exists, $in, $gt, $gte, $lt, $lte, on "
          "fields)");
    CHECK(reader_refusal(R"({"filter": {"n": {"$gt": [1]}}})") ==
          "filter: $gt on field 'n' needs a number or a string, got [1]");
    CHECK(reader_refusal(R"({"filter": {"isSynced": {"$ne": true}, "syncError": {"$exists": false}}})").empty());
}
