// The mongodb plugin's options: what the host refuses before open(), word for word, from
// the schema and from check_*_config (the factory's check_options), and the typed
// configs it hands over. The refusals shared with the docstore are pinned once for both
// in tests/plugins/reader_conformance.hpp.
#include <doctest/doctest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "mongodb_config.hpp"
#include "test_context.hpp"

namespace json = boost::json;
using namespace junction;
using junction::sdk::testing::option_errors;
using Lines = std::vector<std::string>;

namespace {

json::object with_server(std::string_view extra) {
    auto o = json::parse(extra).as_object();
    if (!o.contains("uri")) o["uri"] = "mongodb://127.0.0.1:27017";
    o["database"] = "d";
    o["collection"] = "c";
    return o;
}
std::string reader_refusal(std::string_view options) {
    const test::TestContext ctx(mongodb::reader_options(), with_server(options));
    return mongodb::check_reader_config(ctx.options()).message();
}
std::string writer_refusal(std::string_view options) {
    const test::TestContext ctx(mongodb::writer_options(), with_server(options));
    return mongodb::check_writer_config(ctx.options()).message();
}

}  // namespace

TEST_CASE("config: the uri is required and secret; a wrong one is never shown") {
    CHECK(option_errors(mongodb::reader_options(), {{"database", "d"}, {"collection", "c"}}) ==
          Lines{"options.uri: required option missing (string: MongoDB connection string, e.g. "
                "mongodb://user:pass@host:27017/?authSource=admin)"});
    CHECK(option_errors(mongodb::reader_options(), {{"uri", 5}, {"database", "d"}, {"collection", "c"}}) ==
          Lines{"options.uri: expected a string, got integer"});
    CHECK(option_errors(mongodb::reader_options(), {{"uri", ""}, {"database", "d"}, {"collection", "c"}}) ==
          Lines{"options.uri: must not be empty"});
}

TEST_CASE("config: a malformed uri is refused before open, without its password") {
    const std::string password = "s3cr%40t-pw";
    for (const std::string& uri :
         {"mongo://junction:" + password + "@127.0.0.1:1", "mongodb://junction:" + password + "@127.0.0.1:notaport"}) {
        CAPTURE(uri);
        const auto m = writer_refusal(json::serialize(json::object{{"uri", uri}, {"upsert_key", json::array{"n"}}}));
        CHECK(m.rfind("uri: not a valid MongoDB URI: ", 0) == 0);
        CHECK(m.find('\n') == std::string::npos);
        CHECK(m.find("s3cr") == std::string::npos);
        CHECK(m.find("@t-pw") == std::string::npos);
        CHECK(reader_refusal(json::serialize(json::object{{"uri", uri}})) == m);
    }
    CHECK(
        writer_refusal(R"({"uri": "mongodb://u:p@db1:27017,db2:27018/?replicaSet=rs0", "upsert_key": ["n"]})").empty());
}

TEST_CASE("config: the defaults come from the schema") {
    const test::TestContext ctx(mongodb::reader_options(), with_server("{}"));
    const auto c = mongodb::reader_config(ctx.options());
    CHECK(c.timeout.count() == 5000);
    CHECK(c.sort == "_id");
    CHECK(c.key_field == "_id");
    CHECK(c.filter.empty());
    CHECK(c.ack_set.empty());
    CHECK(c.reject_set.empty());
    CHECK(c.date_fields.empty());
}

TEST_CASE("config: database, collection and timeout_ms are checked by the schema") {
    CHECK(option_errors(mongodb::writer_options(), {{"uri", "mongodb://h"},
                                                    {"database", "a.b"},
                                                    {"collection", "$c"},
                                                    {"timeout_ms", 5},
                                                    {"upsert_key", json::array{"n"}}}) ==
          Lines{"options.database: \"a.b\" does not match the pattern [^/\\\\. \"$]+",
                "options.collection: \"$c\" does not match the pattern [^$].*",
                "options.timeout_ms: must be between 100 and 600000, got 5"});
}

TEST_CASE("config: date_fields are field paths") {
    CHECK(writer_refusal(R"({"upsert_key": ["n"], "date_fields": ["createdAt", "a..b"]})") ==
          R"(date_fields[1]: "a..b" is not a field path: it has an empty segment)");
    CHECK(reader_refusal(R"({"date_fields": [""]})") == R"(date_fields[0]: "" is not a field path: it is empty)");
}

TEST_CASE("config: a filter or marks that are not valid Extended JSON are refused before open") {
    CHECK(reader_refusal(R"({"filter": {"_id": {"$oid": "nope"}}})").rfind("filter: not a valid MongoDB query: ", 0) ==
          0);
    CHECK(reader_refusal(R"({"ack_set": {"at": {"$date": "yesterday"}}})")
              .rfind("ack_set: not a valid MongoDB document: ", 0) == 0);
    CHECK(reader_refusal(R"({"filter": {"$or": [{"a": 1}, {"b": {"$regex": "^x"}}]}, "ack_set": {"at": "$now"}})")
              .empty());
}
