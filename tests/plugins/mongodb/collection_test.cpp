// The mongodb collection (SDK 2.3) against a MongoDB-wire server: keyset pages by _id over
// ObjectId and string ids, equality filters, get, cursors it did not make, a server down.
#include <doctest/doctest.h>

#include <set>
#include <thread>

#include "collection.hpp"
#include "free_port.hpp"
#include "mongo_fixture.hpp"

using namespace junction;
namespace json = boost::json;
using sdk::CollectionPage;
using sdk::testing::list_all;

namespace {

json::object collection_options(const std::string& uri, const std::string& db,
                                const std::string& collection = "contacts") {
    auto o = test::common_options(uri, db, collection);
    o["date_fields"] = json::array{"createdAt"};
    return o;
}

std::unique_ptr<test::TestContext> collection_context(json::object options) {
    return std::make_unique<test::TestContext>(mongodb::collection_options(), std::move(options));
}

std::string oid_hex(int n) {
    char buf[25];
    std::snprintf(buf, sizeof buf, "%024x", n);
    return buf;
}

// Documents numbered 1..count: odd ones with an ObjectId _id (in order of number), even
// ones with a string _id ("c-<number>", zero-padded), inserted in a shuffled order.
void seed(test::Direct& direct, int count) {
    std::vector<int> order;
    for (int n = count; n >= 1; --n)
        order.push_back(n);
    for (const int n : order) {
        char padded[8];
        std::snprintf(padded, sizeof padded, "%03d", n);
        const std::string id =
            n % 2 == 1 ? R"({"$oid": ")" + oid_hex(n) + R"("})" : R"("c-)" + std::string(padded) + R"(")";
        const std::string status = n % 3 == 0 ? "done" : "pending";
        const std::string city = n <= 5 ? "Lisbon" : "Porto";
        const auto r =
            direct.insert(R"({"_id": )" + id + R"(, "number": )" + std::to_string(n) + R"(, "status": ")" + status +
                          R"(", "vip": )" + (n % 4 == 0 ? "true" : "false") + R"(, "address": {"city": ")" + city +
                          R"("}, "createdAt": {"$date": "2024-03-0)" + std::to_string(1 + n % 2) + R"(T12:00:00Z"}})");
        REQUIRE_MESSAGE(r.first == 0, r.second);
    }
}

std::set<std::int64_t> numbers_of(const std::vector<json::object>& items) {
    std::set<std::int64_t> out;
    for (const auto& item : items)
        out.insert(item.at("number").to_number<std::int64_t>());
    return out;
}

std::set<std::int64_t> range(std::int64_t from, std::int64_t to) {
    std::set<std::int64_t> out;
    for (auto n = from; n <= to; ++n)
        out.insert(n);
    return out;
}

struct Opened {
    std::unique_ptr<test::TestContext> ctx;
    mongodb::MongoCollection c;
};

void open(Opened& o, const std::string& db, const std::string& collection = "contacts") {
    o.ctx = collection_context(collection_options(test::mongo_server().uri(), db, collection));
    const auto st = o.c.open(*o.ctx);
    REQUIRE_MESSAGE(st.is_ok(), st.message());
}

}  // namespace

TEST_CASE("mongodb collection: pages visit every document once: string ids, then ObjectIds, each ascending") {
    const auto db = test::unique_db("coll_pages");
    test::Direct direct(test::mongo_server().uri(), db, "contacts");
    seed(direct, 21);
    Opened o;
    open(o, db);

    const auto walk = list_all(o.c, {.limit = 4});
    CHECK(walk.pages == 6);
    REQUIRE(walk.items.size() == 21);
    CHECK(numbers_of(walk.items) == range(1, 21));
    // the 10 string ids first ("c-002" .. "c-020"), then the 11 ObjectIds, as 24-hex text
    for (std::size_t i = 0; i < 10; ++i)
        CHECK(walk.items[i].at("number").to_number<int>() == static_cast<int>(2 * (i + 1)));
    for (std::size_t i = 10; i < 21; ++i) {
        const int n = static_cast<int>(2 * (i - 10) + 1);
        CHECK(walk.items[i].at("number").to_number<int>() == n);
        CHECK(walk.items[i].at("_id").as_string() == oid_hex(n));
    }
    CHECK(walk.items[0].at("_id").as_string() == "c-002");
    CHECK(walk.items[0].at("createdAt").as_string() == "2024-03-01T12:00:00.000Z");

    // 21 in pages of 7: three pages, no empty fourth (limit + 1 read)
    CHECK(list_all(o.c, {.limit = 7}).pages == 3);
    CollectionPage all;
    REQUIRE(o.c.list({.limit = 21}, all).is_ok());
    CHECK(all.items.size() == 21);
    CHECK(all.next_after.empty());
}

TEST_CASE("mongodb collection: equality filters on strings, numbers, booleans, nested fields and dates") {
    const auto db = test::unique_db("coll_filters");
    test::Direct direct(test::mongo_server().uri(), db, "contacts");
    seed(direct, 12);
    Opened o;
    open(o, db);

    CHECK(numbers_of(list_all(o.c, {.equals = {{"status", "done"}}, .limit = 2}).items) ==
          std::set<std::int64_t>{3, 6, 9, 12});
    CHECK(numbers_of(list_all(o.c, {.equals = {{"number", 7}}}).items) == std::set<std::int64_t>{7});
    CHECK(numbers_of(list_all(o.c, {.equals = {{"vip", true}}}).items) == std::set<std::int64_t>{4, 8, 12});
    CHECK(numbers_of(list_all(o.c, {.equals = {{"address.city", "Lisbon"}}, .limit = 2}).items) == range(1, 5));
    CHECK(numbers_of(list_all(o.c, {.equals = {{"address.city", "Porto"}, {"status", "done"}}}).items) ==
          std::set<std::int64_t>{6, 9, 12});
    CHECK(numbers_of(list_all(o.c, {.equals = {{"createdAt", "2024-03-02T12:00:00Z"}}}).items) ==
          std::set<std::int64_t>{1, 3, 5, 7, 9, 11});
    CHECK(numbers_of(list_all(o.c, {.equals = {{"_id", json::value(oid_hex(5))}}}).items) == std::set<std::int64_t>{5});
    CHECK(list_all(o.c, {.equals = {{"number", "7"}}}).items.empty());

    CollectionPage none;
    REQUIRE(o.c.list({.equals = {{"status", "lost"}}, .limit = 5}, none).is_ok());
    CHECK(none.items.empty());
    CHECK(none.next_after.empty());

    CollectionPage bad;
    const auto st = o.c.list({.equals = {{"address", json::object{{"city", "Porto"}}}}}, bad);
    CHECK(st.code() == sdk::Code::reject);
    CHECK(st.message() == "filter address: expected a string, number, boolean or null, got {\"city\":\"Porto\"}");
    const auto op = o.c.list({.equals = {{"$where", 1}}}, bad);
    CHECK(op.code() == sdk::Code::reject);
    CHECK(op.message() == "filter $where: not a field path");
}

TEST_CASE("mongodb collection: get finds a document by ObjectId hex or string id, or nothing") {
    const auto db = test::unique_db("coll_get");
    test::Direct direct(test::mongo_server().uri(), db, "contacts");
    seed(direct, 4);
    Opened o;
    open(o, db);

    std::optional<json::object> found;
    REQUIRE(o.c.get(oid_hex(3), found).is_ok());
    REQUIRE(found.has_value());
    CHECK(found->at("number").to_number<int>() == 3);
    CHECK(found->at("_id").as_string() == oid_hex(3));

    REQUIRE(o.c.get("c-004", found).is_ok());
    REQUIRE(found.has_value());
    CHECK(found->at("number").to_number<int>() == 4);

    REQUIRE(o.c.get(oid_hex(99), found).is_ok());
    CHECK_FALSE(found.has_value());
    found = json::object{};
    REQUIRE(o.c.get("nobody", found).is_ok());
    CHECK_FALSE(found.has_value());
}

TEST_CASE("mongodb collection: a cursor it did not make is rejected with one line") {
    const auto db = test::unique_db("coll_cursor");
    test::Direct direct(test::mongo_server().uri(), db, "contacts");
    seed(direct, 6);
    test::Direct other_direct(test::mongo_server().uri(), db, "others");
    seed(other_direct, 6);
    Opened o;
    open(o, db);
    Opened other;
    open(other, db, "others");

    CollectionPage first;
    REQUIRE(o.c.list({.limit = 2}, first).is_ok());
    REQUIRE_FALSE(first.next_after.empty());
    CollectionPage other_first;
    REQUIRE(other.c.list({.limit = 2}, other_first).is_ok());

    std::string edited = first.next_after;
    edited[0] = edited[0] == '6' ? '7' : '6';
    for (const std::string& bad : {std::string("garbage"), edited, other_first.next_after,
                                   sdk::encode_cursor("mongodb:" + db + ".contacts", "x123")}) {
        CAPTURE(bad);
        CollectionPage page;
        const auto st = o.c.list({.after = bad, .limit = 2}, page);
        CHECK(st.code() == sdk::Code::reject);
        CHECK(st.message() ==
              "after: \"" + bad +
                  "\" is not a cursor of collection contacts (pass the next_after of its previous page)");
    }
}

TEST_CASE("mongodb collection: a server that is down is a retry naming host:port, and served again once back") {
    // never up: open() is a retry
    const int port = test::free_loopback_port();
    auto opts = collection_options("mongodb://127.0.0.1:" + std::to_string(port), "down");
    opts["timeout_ms"] = 500;
    auto down_ctx = collection_context(opts);
    mongodb::MongoCollection never;
    const auto st = never.open(*down_ctx);
    CHECK(st.code() == sdk::Code::retry);
    CHECK(st.message().find("mongodb 127.0.0.1:" + std::to_string(port) + ": ") == 0);
    CHECK(st.message().find('\n') == std::string::npos);

    if (std::getenv("MONGO_URI") != nullptr) return;  // cannot kill a server we did not start
    test::MongoServer server;
    const auto db = test::unique_db("coll_outage");
    {
        test::Direct direct(server.uri(), db, "contacts");
        seed(direct, 3);
    }
    auto live = collection_options(server.uri(), db);
    live["timeout_ms"] = 700;
    auto live_ctx = collection_context(live);
    mongodb::MongoCollection c;
    REQUIRE(c.open(*live_ctx).is_ok());
    CollectionPage page;
    REQUIRE(c.list({.limit = 2}, page).is_ok());

    server.kill();
    CollectionPage during;
    const auto down = c.list({.limit = 2}, during);
    CHECK(down.code() == sdk::Code::retry);
    CHECK(down.message().find("mongodb " + server.host_port() + ": ") == 0);
    CHECK(down.message().find('\n') == std::string::npos);
    CHECK(during.items.empty());
    std::optional<json::object> one;
    CHECK(c.get("c-002", one).code() == sdk::Code::retry);

    server.restart();  // empty: the page is served again, from nothing
    sdk::Status after = sdk::Status::retry("not tried");
    for (int attempt = 0; attempt < 20 && !after.is_ok(); ++attempt) {
        CollectionPage again;
        after = c.list({.limit = 2}, again);
        if (!after.is_ok()) std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    CHECK_MESSAGE(after.is_ok(), after.message());
}
