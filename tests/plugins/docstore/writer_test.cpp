// The docstore writer through the SDK interface, as the engine drives it.
#include <doctest/doctest.h>

#include <sqlite3.h>

#include "docstore_test_util.hpp"
#include "store.hpp"
#include "writer.hpp"

using namespace docstore_test;
using junction::docstore::compile_filter;
using junction::docstore::Cursor;
using junction::docstore::DocStore;
using junction::docstore::DocstoreWriter;
using junction::sdk::Code;
namespace json = boost::json;

TEST_CASE("writing the same batch twice through the writer changes nothing the second time") {
    TempDir dir;
    auto ctx = writer_context(dir.db());
    DocstoreWriter writer;
    REQUIRE(writer.open(ctx).is_ok());
    auto batch = work_orders(1, 5);
    std::vector<junction::sdk::Rejection> rejected;
    REQUIRE(writer.write(batch, rejected).is_ok());
    REQUIRE(writer.flush().is_ok());

    DocStore check(dir.db(), "orders");
    Cursor c1;
    const auto before = check.page(compile_filter({}), "_id", c1, 100);
    auto again = work_orders(1, 5);
    REQUIRE(writer.write(again, rejected).is_ok());
    CHECK(rejected.empty());
    Cursor c2;
    const auto after = check.page(compile_filter({}), "_id", c2, 100);
    REQUIRE(after.size() == 5);
    REQUIRE(before.size() == 5);
    for (std::size_t i = 0; i < 5; ++i) {
        CHECK(after[i].id == before[i].id);
        CHECK(after[i].body == before[i].body);
    }
    CHECK(writer.close().is_ok());
}

TEST_CASE("a record missing a key field is rejected with the field named, the others written") {
    TempDir dir;
    auto ctx = writer_context(dir.db());
    DocstoreWriter writer;
    REQUIRE(writer.open(ctx).is_ok());
    auto batch = work_orders(1, 3);
    batch[1].payload.erase("number");
    batch[2].payload["number"] = nullptr;
    std::vector<junction::sdk::Rejection> rejected;
    REQUIRE(writer.write(batch, rejected).is_ok());
    REQUIRE(rejected.size() == 2);
    CHECK(rejected[0].index == 1);
    CHECK(rejected[1].index == 2);
    CHECK(rejected[0].reason.find("'number'") != std::string::npos);
    DocStore check(dir.db(), "orders");
    CHECK(check.count(compile_filter({})) == 1);
}

TEST_CASE("the writer's relative path resolves against the config's folder") {
    TempDir dir;
    auto ctx = writer_context("data/docs.db", "orders", dir.path().string());
    std::filesystem::create_directories(dir.path() / "data");
    DocstoreWriter writer;
    REQUIRE(writer.open(ctx).is_ok());
    auto batch = work_orders(1, 1);
    std::vector<junction::sdk::Rejection> rejected;
    REQUIRE(writer.write(batch, rejected).is_ok());
    writer.close();
    CHECK(std::filesystem::exists(dir.path() / "data" / "docs.db"));
    DocStore check((dir.path() / "data" / "docs.db").string(), "orders");
    CHECK(check.count(compile_filter({})) == 1);
}

TEST_CASE("a corrupt database file makes open() fatal with one line") {
    TempDir dir;
    write_garbage(dir.db());
    auto ctx = writer_context(dir.db());
    DocstoreWriter writer;
    const auto s = writer.open(ctx);
    CHECK(s.code() == Code::fatal);
    CHECK(s.message() == "docstore: cannot open " + dir.db() + ": file is not a database");
    CHECK(writer.close().is_ok());
}

TEST_CASE("an unopenable path makes open() fatal naming it") {  // a parent that is a file
    TempDir dir;
    std::ofstream(dir.path() / "plain-file") << "a file, not a folder";
    const auto path = (dir.path() / "plain-file" / "docs.db").string();
    auto ctx = writer_context(path);
    DocstoreWriter writer;
    const auto s = writer.open(ctx);
    CHECK(s.code() == Code::fatal);
    CHECK(s.message().find("docstore: cannot create the folder " + (dir.path() / "plain-file").string() + ": ") == 0);
    CHECK(s.message().find('\n') == std::string::npos);
}

TEST_CASE("a database locked by another writer is a retry, and the batch goes through after") {
    TempDir dir;
    auto ctx = writer_context(dir.db());
    DocstoreWriter writer;
    REQUIRE(writer.open(ctx).is_ok());

    sqlite3* other = nullptr;
    REQUIRE(sqlite3_open(dir.db().c_str(), &other) == SQLITE_OK);
    REQUIRE(sqlite3_exec(other, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) == SQLITE_OK);
    auto batch = work_orders(1, 2);
    std::vector<junction::sdk::Rejection> rejected;
    const auto s = writer.write(batch, rejected);
    CHECK(s.code() == Code::retry);
    CHECK(s.message().find("locked") != std::string::npos);
    REQUIRE(sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(other);

    CHECK(writer.write(batch, rejected).is_ok());
    DocStore check(dir.db(), "orders");
    CHECK(check.count(compile_filter({})) == 2);
}
