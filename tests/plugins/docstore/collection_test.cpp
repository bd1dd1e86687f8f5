// The docstore collection (SDK 2.3) through its interface: keyset pages by _id, equality
// filters, get by _id, cursors it did not make, and a writer writing while it serves.
#include <doctest/doctest.h>

#include <atomic>
#include <set>
#include <thread>

#include <junction/sdk/testing.hpp>

#include "collection.hpp"
#include "docstore_test_util.hpp"
#include "writer.hpp"

using namespace docstore_test;
using junction::docstore::DocstoreCollection;
using junction::docstore::DocstoreWriter;
using junction::sdk::Code;
using junction::sdk::CollectionPage;
using junction::sdk::CollectionQuery;
using junction::sdk::testing::list_all;
namespace json = boost::json;

namespace {

void write(const std::string& db, junction::sdk::Batch batch, const std::string& collection = "orders") {
    auto ctx = writer_context(db, collection);
    DocstoreWriter writer;
    REQUIRE(writer.open(ctx).is_ok());
    std::vector<junction::sdk::Rejection> rejected;
    REQUIRE(writer.write(batch, rejected).is_ok());
    REQUIRE(writer.flush().is_ok());
    REQUIRE(rejected.empty());
}

junction::test::TestContext collection_context(const std::string& db, const std::string& collection = "orders") {
    return {junction::docstore::collection_schema(), {{"path", db}, {"collection", collection}}};
}

std::vector<std::string> ids_of(const std::vector<json::object>& items) {
    std::vector<std::string> ids;
    for (const auto& item : items)
        ids.emplace_back(item.at("_id").as_string());
    return ids;
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

}  // namespace

TEST_CASE("docstore collection: pages visit every document once, in _id order, the last page says so") {
    TempDir tmp;
    write(tmp.db(), work_orders(1, 23));
    auto ctx = collection_context(tmp.db());
    DocstoreCollection c;
    REQUIRE(c.open(ctx).is_ok());

    const auto walk = list_all(c, {.limit = 5});
    CHECK(walk.pages == 5);
    CHECK(walk.items.size() == 23);
    CHECK(numbers_of(walk.items) == range(1, 23));
    const auto ids = ids_of(walk.items);
    for (std::size_t i = 1; i < ids.size(); ++i)
        CHECK(ids[i - 1] < ids[i]);

    // 20 documents in pages of 5: the fourth page is the last (limit + 1 read, no empty fifth page).
    TempDir even;
    write(even.db(), work_orders(1, 20));
    auto ctx2 = collection_context(even.db());
    DocstoreCollection c2;
    REQUIRE(c2.open(ctx2).is_ok());
    CHECK(list_all(c2, {.limit = 5}).pages == 4);
    CollectionPage all;
    REQUIRE(c2.list({.limit = 20}, all).is_ok());
    CHECK(all.items.size() == 20);
    CHECK(all.next_after.empty());
    CHECK(c.close().is_ok());
}

TEST_CASE("docstore collection: equality filters on strings, numbers, booleans and nested fields") {
    TempDir tmp;
    junction::sdk::Batch batch;
    for (int n = 1; n <= 12; ++n)
        batch.push_back(record({{"number", n},
                                {"status", n % 3 == 0 ? "done" : "pending"},
                                {"vip", n % 4 == 0},
                                {"address", {{"city", n <= 5 ? "Lisbon" : "Porto"}}}}));
    write(tmp.db(), std::move(batch));
    auto ctx = collection_context(tmp.db());
    DocstoreCollection c;
    REQUIRE(c.open(ctx).is_ok());

    CHECK(numbers_of(list_all(c, {.equals = {{"status", "done"}}, .limit = 2}).items) ==
          std::set<std::int64_t>{3, 6, 9, 12});
    CHECK(numbers_of(list_all(c, {.equals = {{"number", 7}}}).items) == std::set<std::int64_t>{7});
    CHECK(numbers_of(list_all(c, {.equals = {{"vip", true}}}).items) == std::set<std::int64_t>{4, 8, 12});
    CHECK(numbers_of(list_all(c, {.equals = {{"address.city", "Lisbon"}}, .limit = 3}).items) == range(1, 5));
    // every filter must hold
    CHECK(numbers_of(list_all(c, {.equals = {{"address.city", "Porto"}, {"status", "done"}}}).items) ==
          std::set<std::int64_t>{6, 9, 12});
    // a number is not its text, and a missing field equals null
    CHECK(list_all(c, {.equals = {{"number", "7"}}}).items.empty());
    CHECK(list_all(c, {.equals = {{"missing", nullptr}}}).items.size() == 12);

    CollectionPage none;
    REQUIRE(c.list({.equals = {{"status", "lost"}}, .limit = 5}, none).is_ok());
    CHECK(none.items.empty());
    CHECK(none.next_after.empty());

    CollectionPage bad;
    const auto st = c.list({.equals = {{"address", json::object{{"city", "Porto"}}}}}, bad);
    CHECK(st.code() == Code::reject);
    CHECK(st.message() == "filter address: expected a string, number, boolean or null, got {\"city\":\"Porto\"}");
    const auto op = c.list({.equals = {{"$where", 1}}}, bad);
    CHECK(op.code() == Code::reject);
    CHECK(op.message().find("$where") != std::string::npos);
}

TEST_CASE("docstore collection: get finds a document by _id, or nothing") {
    TempDir tmp;
    write(tmp.db(), work_orders(1, 3));
    auto ctx = collection_context(tmp.db());
    DocstoreCollection c;
    REQUIRE(c.open(ctx).is_ok());
    CollectionPage page;
    REQUIRE(c.list({.equals = {{"number", 2}}}, page).is_ok());
    REQUIRE(page.items.size() == 1);
    const std::string id(page.items[0].at("_id").as_string());

    std::optional<json::object> found;
    REQUIRE(c.get(id, found).is_ok());
    REQUIRE(found.has_value());
    CHECK(found->at("number").to_number<int>() == 2);
    CHECK(found->at("_id").as_string() == id);

    std::optional<json::object> missing = json::object{{"stale", true}};
    REQUIRE(c.get("000000000000000000000000", missing).is_ok());
    CHECK_FALSE(missing.has_value());
    REQUIRE(c.get("' OR 1=1 --", missing).is_ok());
    CHECK_FALSE(missing.has_value());
}

TEST_CASE("docstore collection: a cursor it did not make is rejected with one line") {
    TempDir tmp;
    write(tmp.db(), work_orders(1, 6));
    write(tmp.db(), work_orders(1, 6), "other");
    auto ctx = collection_context(tmp.db());
    DocstoreCollection c;
    REQUIRE(c.open(ctx).is_ok());
    auto other_ctx = collection_context(tmp.db(), "other");
    DocstoreCollection other;
    REQUIRE(other.open(other_ctx).is_ok());

    CollectionPage first;
    REQUIRE(c.list({.limit = 2}, first).is_ok());
    REQUIRE_FALSE(first.next_after.empty());
    CollectionPage second;
    REQUIRE(c.list({.after = first.next_after, .limit = 2}, second).is_ok());
    CHECK(second.items.size() == 2);

    CollectionPage other_first;
    REQUIRE(other.list({.limit = 2}, other_first).is_ok());

    std::string edited = first.next_after;
    edited[0] = edited[0] == '6' ? '7' : '6';
    for (const std::string& bad : {std::string("garbage"), std::string("zz.12345678"), edited,
                                   first.next_after.substr(0, first.next_after.size() - 1), other_first.next_after}) {
        CAPTURE(bad);
        CollectionPage page;
        const auto st = c.list({.after = bad, .limit = 2}, page);
        CHECK(st.code() == Code::reject);
        CHECK(st.message() ==
              "after: \"" + bad + "\" is not a cursor of collection orders (pass the next_after of its previous page)");
        CHECK(page.items.empty());
    }
}

TEST_CASE("docstore collection: serves while a pipeline's writer writes to the same file") {
    TempDir tmp;
    write(tmp.db(), work_orders(1, 10));
    auto ctx = collection_context(tmp.db());
    DocstoreCollection c;
    REQUIRE(c.open(ctx).is_ok());

    std::atomic<bool> done{false};
    std::atomic<int> write_failures{0};
    std::thread writer_thread([&] {
        auto wctx = writer_context(tmp.db());
        DocstoreWriter writer;
        if (!writer.open(wctx).is_ok()) ++write_failures;
        for (int b = 0; b < 40; ++b) {
            auto batch = work_orders(11 + b * 10, 20 + b * 10);
            std::vector<junction::sdk::Rejection> rejected;
            if (!writer.write(batch, rejected).is_ok() || !writer.flush().is_ok()) ++write_failures;
        }
        done = true;
    });
    std::size_t lists = 0;
    std::size_t last_count = 0;
    std::string failure;
    while (!done || lists == 0) {
        try {
            const auto walk = list_all(c, {.limit = 50});
            ++lists;
            if (walk.items.size() < last_count) failure = "a later walk saw fewer documents";
            last_count = walk.items.size();
        } catch (const std::exception& e) {
            failure = e.what();
            break;
        }
    }
    writer_thread.join();
    CHECK_MESSAGE(failure.empty(), failure);
    CHECK(write_failures == 0);
    CHECK(lists > 0);
    const auto final_walk = list_all(c, {.limit = 50});
    CHECK(numbers_of(final_walk.items) == range(1, 410));
}
