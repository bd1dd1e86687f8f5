// The document store itself (no Context): upserts, filters, keyset pages.
#include <doctest/doctest.h>

#include <sqlite3.h>

#include <algorithm>
#include <regex>
#include <set>

#include "docstore_test_util.hpp"
#include "store.hpp"

using namespace docstore_test;
using junction::docstore::compile_filter;
using junction::docstore::Cursor;
using junction::docstore::DocStore;
using junction::docstore::Document;
using junction::docstore::FilterError;
using junction::docstore::StoreError;
using junction::docstore::UpsertResult;
namespace json = boost::json;

namespace {

std::vector<Document> everything(DocStore& store) {
    Cursor c;
    return store.page(compile_filter({}), "_id", c, 10'000);
}

std::size_t count(DocStore& store, const char* filter) {
    return store.count(compile_filter(json::parse(filter).as_object()));
}

}  // namespace

TEST_CASE("upsert is idempotent: writing the same batch twice leaves the same documents and _ids") {
    TempDir dir;
    DocStore store(dir.db(), "orders");
    store.ensure_unique_index({"number"});
    auto batch = work_orders(1, 3);

    auto first = store.upsert(batch, {"number"});
    REQUIRE(first.size() == 3);
    for (const auto& o : first)
        CHECK(o.result == UpsertResult::inserted);
    const auto before = everything(store);
    REQUIRE(before.size() == 3);
    for (const auto& d : before)
        CHECK(std::regex_match(d.id, std::regex("[0-9a-f]{24}")));

    auto second = store.upsert(batch, {"number"});
    for (const auto& o : second)
        CHECK(o.result == UpsertResult::unchanged);
    const auto after = everything(store);
    REQUIRE(after.size() == 3);
    for (std::size_t i = 0; i < 3; ++i) {
        CHECK(after[i].id == before[i].id);
        CHECK(after[i].body == before[i].body);
    }
}

TEST_CASE("an update replaces the document's fields but keeps its _id") {
    TempDir dir;
    DocStore store(dir.db(), "orders");
    store.ensure_unique_index({"number"});
    store.upsert(work_orders(7, 7), {"number"});
    const auto id = everything(store).at(0).id;

    json::object changed{{"number", 7}, {"title", "renamed"}};
    auto out = store.upsert(std::vector{record(changed)}, {"number"});
    CHECK(out.at(0).result == UpsertResult::updated);
    CHECK(out.at(0).id == id);
    const auto docs = everything(store);
    REQUIRE(docs.size() == 1);
    CHECK(docs[0].id == id);
    CHECK(docs[0].body == json::object{{"number", 7}, {"title", "renamed"}, {"_id", id}});
}

TEST_CASE("the unique key index refuses a second document with the same key") {
    TempDir dir;
    DocStore store(dir.db(), "orders");
    store.ensure_unique_index({"number"});
    auto batch = work_orders(1, 1);
    batch[0].payload["_id"] = "aaaaaaaaaaaaaaaaaaaaaaaa";  // a given string _id is kept on insert
    store.upsert(batch, {"number"});
    CHECK(everything(store).at(0).id == "aaaaaaaaaaaaaaaaaaaaaaaa");
    // Another writer that bypasses upsert still cannot duplicate a key.
    sqlite3* other = nullptr;
    REQUIRE(sqlite3_open(dir.db().c_str(), &other) == SQLITE_OK);
    CHECK(sqlite3_exec(other, R"(INSERT INTO orders(_id, doc) VALUES('b', '{"number": 1}'))", nullptr, nullptr,
                       nullptr) == SQLITE_CONSTRAINT);
    sqlite3_close(other);
}

TEST_CASE("filter operators select what MongoDB would on top-level fields") {
    TempDir dir;
    DocStore store(dir.db(), "things");
    store.ensure_unique_index({"k"});
    std::vector<junction::sdk::Record> docs;
    docs.push_back(record({{"k", 1}, {"n", 1}, {"s", "a"}, {"b", true}, {"d", "2024-01-01T00:00:00.000Z"}}));
    docs.push_back(record({{"k", 2}, {"n", 2}, {"s", "b"}, {"b", false}, {"d", "2023-06-01T00:00:00.000Z"}}));
    docs.push_back(record({{"k", 3}, {"n", 3}, {"s", "c"}}));
    docs.push_back(record({{"k", 4}, {"n", "3"}, {"b", nullptr}}));
    store.upsert(docs, {"k"});

    CHECK(count(store, "{}") == 4);
    CHECK(count(store, R"({"n": 2})") == 1);
    CHECK(count(store, R"({"n": {"$eq": 3}})") == 1);  // the string "3" is not the number 3
    CHECK(count(store, R"({"n": "3"})") == 1);
    CHECK(count(store, R"({"b": true})") == 1);
    CHECK(count(store, R"({"b": {"$ne": true}})") == 3);  // false, missing and null
    CHECK(count(store, R"({"b": null})") == 2);           // missing or null
    CHECK(count(store, R"({"b": {"$exists": true}})") == 3);
    CHECK(count(store, R"({"b": {"$exists": false}})") == 1);
    CHECK(count(store, R"({"n": {"$in": [1, 3]}})") == 2);
    CHECK(count(store, R"({"n": {"$in": []}})") == 0);
    CHECK(count(store, R"({"n": {"$gt": 1}})") == 2);
    CHECK(count(store, R"({"n": {"$gte": 1, "$lt": 3}})") == 2);
    CHECK(count(store, R"({"n": {"$lte": 1}})") == 1);
    CHECK(count(store, R"({"d": {"$gte": "2024-01-01T00:00:00.000Z"}})") == 1);
    CHECK(count(store, R"({"d": {"$lt": "2024-01-01T00:00:00.000Z"}})") == 1);
    CHECK(count(store, R"({"s": "a", "n": 1})") == 1);
    CHECK(count(store, R"({"s": "a", "n": 2})") == 0);
    CHECK(count(store, R"({"k": {"$ne": 1}, "s": {"$in": ["a", "b", "c"]}})") == 2);
}

TEST_CASE("unsupported filter operators are refused, naming the operator") {
    CHECK_THROWS_WITH_AS(compile_filter(json::parse(R"({"s": {"$regex": "^a"}})").as_object()),
                         doctest::Contains("$regex"), FilterError);
    CHECK_THROWS_WITH_AS(compile_filter(json::parse(R"({"$or": [{"a": 1}]})").as_object()), doctest::Contains("$or"),
                         FilterError);
    CHECK_THROWS_WITH_AS(compile_filter(json::parse(R"({"n": {"$in": 3}})").as_object()), doctest::Contains("$in"),
                         FilterError);
    CHECK_THROWS_WITH_AS(compile_filter(json::parse(R"({"n": {"$gt": true}})").as_object()), doctest::Contains("$gt"),
                         FilterError);
}

TEST_CASE("keyset pages by a sort field with ties and gaps return each document once, in order") {
    TempDir dir;
    DocStore store(dir.db(), "orders");
    store.ensure_unique_index({"number"});
    std::vector<junction::sdk::Record> batch;
    for (int n = 0; n < 17; ++n) {
        json::object doc{{"number", n}};
        if (n % 4 != 0) doc["group"] = n % 3;  // ties, and some with no group at all
        if (n == 5) doc["group"] = "text sorts after numbers";
        batch.push_back(record(std::move(doc)));
    }
    store.upsert(batch, {"number"});

    Cursor cursor;
    std::vector<Document> seen;
    int pages = 0;
    while (true) {
        auto page = store.page(compile_filter({}), "group", cursor, 4);
        ++pages;
        seen.insert(seen.end(), page.begin(), page.end());
        if (page.size() < 4) break;
    }
    CHECK(pages == 5);
    REQUIRE(seen.size() == 17);
    std::set<std::string> ids;
    for (const auto& d : seen)
        ids.insert(d.id);
    CHECK(ids.size() == 17);
    // Missing groups first, then 0, 1, 2, then the string.
    auto rank = [](const Document& d) {
        const auto* g = d.body.if_contains("group");
        if (g == nullptr) return -1;
        return g->is_string() ? 9 : static_cast<int>(g->as_int64());
    };
    for (std::size_t i = 1; i < seen.size(); ++i) {
        const auto a = rank(seen[i - 1]), b = rank(seen[i]);
        CHECK((a < b || (a == b && seen[i - 1].id < seen[i].id)));
    }
}

TEST_CASE("collection names that could reach SQL unquoted are refused") {
    TempDir dir;
    CHECK_THROWS_WITH_AS(DocStore(dir.db(), "orders; DROP TABLE x"), doctest::Contains("not valid"), StoreError);
    CHECK_THROWS_AS(DocStore(dir.db(), "1orders"), StoreError);
    CHECK_NOTHROW(DocStore(dir.db(), "_work_orders2"));
}

TEST_CASE("a corrupt file is refused in one line naming it and SQLite's reason") {
    TempDir dir;
    write_garbage(dir.db());
    try {
        DocStore store(dir.db(), "orders");
        FAIL("a corrupt file was opened");
    } catch (const StoreError& e) {
        CHECK(std::string(e.what()) == "docstore: cannot open " + dir.db() + ": file is not a database");
        CHECK_FALSE(e.transient());
    }
}

TEST_CASE("a missing parent folder of the store's file is created, as the host does for the state store") {
    TempDir dir;
    const auto file = dir.path() / "data" / "nested" / "docs.db";
    {
        DocStore store(file, "orders");
        store.ensure_unique_index({"number"});
        CHECK(store.upsert(work_orders(1, 2), {"number"}).size() == 2);
    }
    CHECK(std::filesystem::is_regular_file(file));
    DocStore again(file, "orders");
    CHECK(everything(again).size() == 2);
}

TEST_CASE("a parent that cannot be a folder is refused in one line naming it") {
    TempDir dir;
    std::ofstream(dir.path() / "plain") << "not a folder";
    const auto parent = dir.path() / "plain" / "sub";
    try {
        DocStore store(parent / "docs.db", "orders");
        FAIL("opened a store under a file");
    } catch (const StoreError& e) {
        CHECK(std::string(e.what()).rfind("docstore: cannot create the folder " + parent.string() + ": ", 0) == 0);
        CHECK(std::string(e.what()).find('\n') == std::string::npos);
        CHECK_FALSE(e.transient());
    }
}
