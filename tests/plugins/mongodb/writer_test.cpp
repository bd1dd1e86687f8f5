// The writer against a MongoDB-wire server: unique index, idempotent upserts, dates,
// rejections that leave the rest of the batch written.
#include <doctest/doctest.h>

#include "mongo_fixture.hpp"
#include "writer.hpp"

using namespace junction;
namespace json = boost::json;

namespace {

json::object order(int number, const std::string& title = "Pump") {
    return {{"number", number},     {"title", title},
            {"status", "pending"},  {"createdAt", "2024-03-01T09:00:00-03:00"},
            {"deletedAt", nullptr}, {"isSynced", false}};
}

json::object writer_options(const std::string& db) {
    auto o = test::common_options(test::mongo_server().uri(), db);
    o["upsert_key"] = json::array{"number"};
    o["date_fields"] = json::array{"createdAt", "deletedAt"};
    return o;
}

std::vector<sdk::Rejection> write(mongodb::MongoWriter& w, std::vector<json::object> payloads,
                                  sdk::Status* status = nullptr) {
    std::vector<sdk::Record> batch;
    for (auto& p : payloads)
        batch.push_back(test::record(std::move(p)));
    std::vector<sdk::Rejection> rejected;
    const auto s = w.write(batch, rejected);
    if (status)
        *status = s;
    else
        REQUIRE_MESSAGE(s.is_ok(), s.message());
    return rejected;
}

}  // namespace

TEST_CASE("the test server enforces unique indexes: a duplicate insert fails with E11000") {
    const auto db = test::unique_db("unique");
    test::Direct direct(test::mongo_server().uri(), db);
    std::string message;
    REQUIRE(direct.command(
        R"({"createIndexes": "workorders", "indexes": [{"key": {"number": 1}, "name": "number_1", "unique": true}]})",
        &message));
    CHECK(direct.insert(R"({"number": 1})").first == 0);
    const auto [code, text] = direct.insert(R"({"number": 1})");
    CHECK(code == 11000);
    CHECK(text.find("E11000") != std::string::npos);
    CHECK(direct.count() == 1);
}

TEST_CASE("writer open creates a unique index on upsert_key") {
    const auto db = test::unique_db("index");
    auto ctx = test::writer_context(writer_options(db));
    mongodb::MongoWriter w;
    REQUIRE_MESSAGE(w.open(*ctx).is_ok(), "open");
    test::Direct direct(test::mongo_server().uri(), db);
    CHECK(direct.insert(R"({"number": 5})").first == 0);
    CHECK(direct.insert(R"({"number": 5})").first == 11000);
    w.close();
}

TEST_CASE("writer upsert is idempotent: the same batch twice gives the same documents and _ids") {
    const auto db = test::unique_db("idem");
    auto ctx = test::writer_context(writer_options(db));
    mongodb::MongoWriter w;
    REQUIRE(w.open(*ctx).is_ok());
    CHECK(write(w, {order(1), order(2), order(3)}).empty());
    test::Direct direct(test::mongo_server().uri(), db);
    const auto first = direct.find();
    REQUIRE(first.size() == 3);
    CHECK(write(w, {order(1), order(2), order(3)}).empty());
    const auto second = direct.find();
    REQUIRE(second.size() == 3);
    for (std::size_t i = 0; i < 3; ++i)
        CHECK(second[i].at("_id") == first[i].at("_id"));

    // an update by key changes the fields it carries and keeps the rest
    CHECK(
        direct.command(R"({"update": "workorders", "updates": [{"q": {"number": 2}, "u": {"$set": {"extra": 1}}}]})"));
    CHECK(write(w, {order(2, "Valve")}).empty());
    const auto doc = direct.find(R"({"number": 2})");
    REQUIRE(doc.size() == 1);
    CHECK(doc[0].at("title") == "Valve");
    CHECK(doc[0].contains("extra"));
    CHECK(doc[0].at("_id") == first[1].at("_id"));
    CHECK(direct.count() == 3);
}

TEST_CASE("writer stores date_fields as BSON dates in UTC") {
    const auto db = test::unique_db("dates");
    auto ctx = test::writer_context(writer_options(db));
    mongodb::MongoWriter w;
    REQUIRE(w.open(*ctx).is_ok());
    CHECK(write(w, {order(1)}).empty());
    test::Direct direct(test::mongo_server().uri(), db);
    CHECK(direct.count(R"({"createdAt": {"$type": "date"}})") == 1);
    CHECK(direct.count(R"({"createdAt": {"$date": "2024-03-01T12:00:00Z"}})") == 1);
    CHECK(direct.count(R"({"deletedAt": null})") == 1);
}

TEST_CASE("writer rejects a record missing a key field, or with a bad date, and writes the others") {
    const auto db = test::unique_db("missing");
    auto ctx = test::writer_context(writer_options(db));
    mongodb::MongoWriter w;
    REQUIRE(w.open(*ctx).is_ok());
    auto no_key = order(0);
    no_key.erase("number");
    auto bad_date = order(9);
    bad_date["createdAt"] = "not a date";
    const auto rejected = write(w, {order(1), no_key, bad_date, order(2)});
    REQUIRE(rejected.size() == 2);
    CHECK(rejected[0].index == 1);
    CHECK(rejected[0].reason == "missing upsert key field 'number'");
    CHECK(rejected[1].index == 2);
    CHECK(rejected[1].reason.find("createdAt") != std::string::npos);
    test::Direct direct(test::mongo_server().uri(), db);
    CHECK(direct.count() == 2);
}

TEST_CASE("writer turns a server duplicate-key error into a rejection of that record only") {
    const auto db = test::unique_db("dup");
    auto ctx = test::writer_context(writer_options(db));
    mongodb::MongoWriter w;
    REQUIRE(w.open(*ctx).is_ok());
    test::Direct direct(test::mongo_server().uri(), db);
    REQUIRE(direct.command(
        R"({"createIndexes": "workorders", "indexes": [{"key": {"title": 1}, "name": "title_1", "unique": true}]})"));
    const auto rejected = write(w, {order(1, "A"), order(2, "A"), order(3, "B")});
    REQUIRE(rejected.size() == 1);
    CHECK(rejected[0].index == 1);
    CHECK(rejected[0].reason.find("E11000") != std::string::npos);
    CHECK(direct.count() == 2);
}
