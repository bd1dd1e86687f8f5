// The reader against a MongoDB-wire server: filter, keyset paging, JSON form of
// documents, ack_set and reject_set.
#include <doctest/doctest.h>

#include "mongo_fixture.hpp"
#include "reader.hpp"

using namespace junction;
namespace json = boost::json;

namespace {

void seed(test::Direct& direct, int count) {
    for (int i = 1; i <= count; ++i) {
        const std::string synced = i % 3 == 0 ? "true" : "false";
        REQUIRE(direct
                    .insert(R"({"number": )" + std::to_string(i) + R"(, "isSynced": )" + synced +
                            R"(, "createdAt": {"$date": "2024-03-01T12:00:00Z"}, "big": {"$numberLong": "5"}})")
                    .first == 0);
    }
}

json::object reader_options(const std::string& db) {
    auto o = test::common_options(test::mongo_server().uri(), db);
    o["filter"] = json::parse(R"({"isSynced": {"$ne": true}})");
    o["ack_set"] = json::parse(R"({"isSynced": true, "syncedAt": "$now"})");
    o["reject_set"] = json::parse(R"({"syncError": "$reason", "isSynced": true})");
    o["key_field"] = "number";
    return o;
}

std::vector<sdk::Record> read_all(mongodb::MongoReader& r, std::size_t page, int* pages) {
    std::vector<sdk::Record> all;
    bool end = false;
    *pages = 0;
    while (!end && *pages < 100) {
        sdk::Batch batch;
        const auto s = r.read(batch, page, end);
        REQUIRE_MESSAGE(s.is_ok(), s.message());
        ++*pages;
        for (auto& rec : batch)
            all.push_back(std::move(rec));
    }
    return all;
}

}  // namespace

TEST_CASE("reader returns the documents matching the filter across pages, as JSON records") {
    const auto db = test::unique_db("read");
    test::Direct direct(test::mongo_server().uri(), db);
    seed(direct, 25);  // 17 unsynced
    auto ctx = test::reader_context(reader_options(db));
    mongodb::MongoReader r;
    REQUIRE(r.open(*ctx).is_ok());
    int pages = 0;
    const auto records = read_all(r, 5, &pages);
    REQUIRE(records.size() == 17);
    CHECK(pages == 4);  // 5 + 5 + 5 + 2 (short page: end of input)
    std::vector<std::int64_t> numbers;
    for (const auto& rec : records)
        numbers.push_back(rec.payload.at("number").as_int64());
    CHECK(std::is_sorted(numbers.begin(), numbers.end()));
    CHECK(std::adjacent_find(numbers.begin(), numbers.end()) == numbers.end());
    const auto& first = records.front();
    CHECK(first.meta.key == "1");
    CHECK(first.meta.source == "mongodb:" + db + ".workorders");
    CHECK(first.meta.position.size() == 24);
    CHECK(first.payload.at("_id").as_string() == first.meta.position);
    CHECK(first.payload.at("createdAt") == "2024-03-01T12:00:00.000Z");
    CHECK(first.payload.at("big").as_int64() == 5);
    CHECK(first.payload.at("isSynced") == false);
}

TEST_CASE("reader acknowledge sets isSynced and a BSON date syncedAt; rejected records get reject_set") {
    const auto db = test::unique_db("ack");
    test::Direct direct(test::mongo_server().uri(), db);
    seed(direct, 4);  // numbers 1, 2, 4 unsynced
    auto ctx = test::reader_context(reader_options(db));
    mongodb::MongoReader r;
    REQUIRE(r.open(*ctx).is_ok());
    sdk::Batch batch;
    bool end = false;
    REQUIRE(r.read(batch, 10, end).is_ok());
    CHECK(end);
    REQUIRE(batch.size() == 3);
    std::vector<sdk::Acknowledgement> acks;
    acks.push_back({batch[0].meta, sdk::Outcome::written, {}});
    acks.push_back({batch[1].meta, sdk::Outcome::rejected, "status missing"});
    REQUIRE(r.acknowledge(test::Acks(std::move(acks))).is_ok());
    CHECK(direct.count(R"({"number": 1, "isSynced": true, "syncedAt": {"$type": "date"}})") == 1);
    CHECK(direct.count(R"({"number": 2, "isSynced": true, "syncError": "status missing"})") == 1);
    CHECK(direct.count(R"({"number": 2, "syncedAt": {"$exists": true}})") == 0);
    CHECK(direct.count(R"({"number": 4, "isSynced": false})") == 1);
    r.close();

    // a new run sees only what is still unsynced
    mongodb::MongoReader again;
    REQUIRE(again.open(*ctx).is_ok());
    int pages = 0;
    const auto rest = read_all(again, 10, &pages);
    REQUIRE(rest.size() == 1);
    CHECK(rest[0].payload.at("number").as_int64() == 4);
}

TEST_CASE("reader without ack_set resumes after the committed position") {
    const auto db = test::unique_db("resume");
    test::Direct direct(test::mongo_server().uri(), db);
    seed(direct, 6);
    auto options = test::common_options(test::mongo_server().uri(), db);
    auto ctx = test::reader_context(options);
    mongodb::MongoReader r;
    REQUIRE(r.open(*ctx).is_ok());
    sdk::Batch batch;
    bool end = false;
    REQUIRE(r.read(batch, 4, end).is_ok());
    REQUIRE(batch.size() == 4);
    CHECK_FALSE(end);
    r.close();
    ctx->set_committed_position(batch[3].meta.position);
    mongodb::MongoReader next;
    REQUIRE(next.open(*ctx).is_ok());
    sdk::Batch rest;
    REQUIRE(next.read(rest, 4, end).is_ok());
    CHECK(end);
    REQUIRE(rest.size() == 2);
    CHECK(rest[0].payload.at("number").as_int64() == 5);
}

TEST_CASE("reader pages by another sort field with ties broken by _id") {
    const auto db = test::unique_db("sort");
    test::Direct direct(test::mongo_server().uri(), db);
    for (int i = 0; i < 7; ++i)
        REQUIRE(direct.insert(R"({"prio": )" + std::to_string(i % 2) + R"(, "n": )" + std::to_string(i) + "}").first ==
                0);
    auto options = test::common_options(test::mongo_server().uri(), db);
    options["sort"] = "prio";
    auto ctx = test::reader_context(options);
    mongodb::MongoReader r;
    REQUIRE(r.open(*ctx).is_ok());
    int pages = 0;
    const auto records = read_all(r, 2, &pages);
    std::vector<std::int64_t> n;
    for (const auto& rec : records)
        n.push_back(rec.payload.at("n").as_int64());
    CHECK(n == std::vector<std::int64_t>{0, 2, 4, 6, 1, 3, 5});
}

TEST_CASE("reader refuses at open a filter that does not convert (validate refused it first)") {
    auto options = test::common_options("mongodb://127.0.0.1:1", "x");
    options["filter"] = json::parse(R"({"_id": {"$oid": "nope"}})");
    auto ctx = test::reader_context(options);
    mongodb::MongoReader r;
    const auto s = r.open(*ctx);
    CHECK(s.code() == sdk::Code::fatal);
    CHECK(s.message().rfind("mongodb: filter: not a valid MongoDB query: ", 0) == 0);
}
