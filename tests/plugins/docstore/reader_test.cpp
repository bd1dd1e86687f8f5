// The docstore reader through the SDK interface: pages, meta, acknowledgements.
#include <doctest/doctest.h>

#include <regex>
#include <set>

#include "docstore_test_util.hpp"
#include "reader.hpp"
#include "store.hpp"
#include "writer.hpp"

using namespace docstore_test;
using junction::docstore::compile_filter;
using junction::docstore::Cursor;
using junction::docstore::DocStore;
using junction::docstore::DocstoreReader;
using junction::docstore::DocstoreWriter;
using junction::sdk::Acknowledgement;
using junction::sdk::Batch;
using junction::sdk::Code;
using junction::sdk::Outcome;
namespace json = boost::json;

namespace {

void seed(const std::string& db, int from, int to) {
    auto ctx = writer_context(db);
    DocstoreWriter writer;
    REQUIRE(writer.open(ctx).is_ok());
    auto batch = work_orders(from, to);
    std::vector<junction::sdk::Rejection> rejected;
    REQUIRE(writer.write(batch, rejected).is_ok());
    REQUIRE(rejected.empty());
}

// Reads until end_of_input, counting the pages.
Batch read_all(DocstoreReader& reader, std::size_t page, int& pages) {
    Batch all;
    bool end = false;
    pages = 0;
    while (!end && pages < 100) {
        Batch b;
        REQUIRE(reader.read(b, page, end).is_ok());
        CHECK(b.size() <= page);
        ++pages;
        for (auto& r : b)
            all.push_back(std::move(r));
    }
    return all;
}

std::vector<Acknowledgement> acks_for(const Batch& batch, Outcome outcome, std::string reason = {}) {
    std::vector<Acknowledgement> acks;
    for (const auto& r : batch)
        acks.push_back({.meta = r.meta, .outcome = outcome, .reason = reason});
    return acks;
}

const std::regex iso_ms_utc(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)");

}  // namespace

TEST_CASE("the reader pages through more than three pages, each document once, with its meta") {
    TempDir dir;
    seed(dir.db(), 1, 23);
    auto ctx = reader_context(dir.db(), {{"key_field", "number"}});
    DocstoreReader reader;
    REQUIRE(reader.open(ctx).is_ok());
    int pages = 0;
    const auto all = read_all(reader, 5, pages);
    CHECK(pages == 5);
    REQUIRE(all.size() == 23);
    std::set<std::string> positions;
    for (const auto& r : all) {
        positions.insert(r.meta.position);
        CHECK(r.meta.position == std::string(r.payload.at("_id").as_string()));
        CHECK(r.meta.key == std::to_string(r.payload.at("number").as_int64()));
        CHECK(r.meta.source == "docstore:orders");
    }
    CHECK(positions.size() == 23);
    CHECK(std::is_sorted(all.begin(), all.end(),
                         [](const auto& a, const auto& b) { return a.meta.position < b.meta.position; }));
}

TEST_CASE("a last page that comes back full is followed by an empty one that ends the input") {
    TempDir dir;
    seed(dir.db(), 1, 10);
    auto ctx = reader_context(dir.db());
    DocstoreReader reader;
    REQUIRE(reader.open(ctx).is_ok());
    int pages = 0;
    CHECK(read_all(reader, 5, pages).size() == 10);
    CHECK(pages == 3);
}

TEST_CASE("ack_set with $now marks written documents so isSynced $ne true no longer matches them") {
    TempDir dir;
    seed(dir.db(), 1, 4);
    json::object options{{"filter", json::parse(R"({"isSynced": {"$ne": true}})")},
                         {"ack_set", json::parse(R"({"isSynced": true, "syncedAt": "$now"})")}};
    auto ctx = reader_context(dir.db(), options);
    DocstoreReader reader;
    REQUIRE(reader.open(ctx).is_ok());
    Batch batch;
    bool end = false;
    REQUIRE(reader.read(batch, 10, end).is_ok());
    CHECK(end);
    REQUIRE(batch.size() == 4);
    batch.pop_back();  // the engine has not acknowledged this one yet
    REQUIRE(reader.acknowledge(junction::test::Acks(acks_for(batch, Outcome::written))).is_ok());
    reader.close();

    DocStore check(dir.db(), "orders");
    Cursor c;
    for (const auto& d : check.page(compile_filter(json::parse(R"({"isSynced": true})").as_object()), "_id", c, 10)) {
        CHECK(std::regex_match(std::string(d.body.at("syncedAt").as_string()), iso_ms_utc));
        CHECK(d.body.at("status") == "pending");  // other fields untouched
    }
    CHECK(check.count(compile_filter(json::parse(R"({"isSynced": true})").as_object())) == 3);

    DocstoreReader next_run;
    auto ctx2 = reader_context(dir.db(), options);
    REQUIRE(next_run.open(ctx2).is_ok());
    Batch rest;
    REQUIRE(next_run.read(rest, 10, end).is_ok());
    REQUIRE(rest.size() == 1);
    CHECK(rest[0].payload.at("number") == 4);
    for (const auto& acked : batch)
        CHECK(rest[0].meta.position != acked.meta.position);
}

TEST_CASE("reject_set records the reason on documents rejected downstream, ack_set on the rest") {
    TempDir dir;
    seed(dir.db(), 1, 2);
    json::object options{{"ack_set", json::parse(R"({"isSynced": true})")},
                         {"reject_set", json::parse(R"({"syncError": "$reason", "syncErrorAt": "$now"})")}};
    auto ctx = reader_context(dir.db(), options);
    DocstoreReader reader;
    REQUIRE(reader.open(ctx).is_ok());
    Batch batch;
    bool end = false;
    REQUIRE(reader.read(batch, 10, end).is_ok());
    REQUIRE(batch.size() == 2);
    std::vector<Acknowledgement> acks = {{.meta = batch[0].meta, .outcome = Outcome::written, .reason = {}},
                                         {.meta = batch[1].meta, .outcome = Outcome::rejected, .reason = "bad status"}};
    REQUIRE(reader.acknowledge(junction::test::Acks(std::move(acks))).is_ok());

    DocStore check(dir.db(), "orders");
    Cursor c;
    const auto docs = check.page(compile_filter({}), "_id", c, 10);
    REQUIRE(docs.size() == 2);
    const auto& ok = docs[0].id == batch[0].meta.position ? docs[0] : docs[1];
    const auto& bad = docs[0].id == batch[0].meta.position ? docs[1] : docs[0];
    CHECK(ok.body.at("isSynced") == true);
    CHECK_FALSE(ok.body.contains("syncError"));
    CHECK(bad.body.at("syncError") == "bad status");
    CHECK(std::regex_match(std::string(bad.body.at("syncErrorAt").as_string()), iso_ms_utc));
    CHECK(bad.body.at("isSynced") == false);
    CHECK(bad.id == batch[1].meta.position);  // _id never changes
}

TEST_CASE("an unsupported filter operator is refused at open() with a fatal naming it") {
    TempDir dir;
    auto ctx = reader_context(dir.db(), {{"filter", json::parse(R"({"title": {"$regex": "^order"}})")}});
    DocstoreReader reader;
    const auto s = reader.open(ctx);
    CHECK(s.code() == Code::fatal);
    CHECK(s.message().find("$regex") != std::string::npos);
    CHECK(s.message().find('\n') == std::string::npos);
}

TEST_CASE("the reader refuses a corrupt database file with one fatal line") {
    TempDir dir;
    write_garbage(dir.db());
    auto ctx = reader_context(dir.db());
    DocstoreReader reader;
    const auto s = reader.open(ctx);
    CHECK(s.code() == Code::fatal);
    CHECK(s.message() == "docstore: cannot open " + dir.db() + ": file is not a database");
}

TEST_CASE("the reader's default path is junction-docstore.db in the config's folder") {
    TempDir dir;
    junction::test::TestContext ctx(junction::docstore::reader_schema(), {{"collection", "orders"}},
                                    dir.path().string());
    DocstoreReader reader;
    REQUIRE(reader.open(ctx).is_ok());
    Batch b;
    bool end = false;
    REQUIRE(reader.read(b, 10, end).is_ok());
    CHECK(end);
    CHECK(b.empty());
    CHECK(std::filesystem::exists(dir.path() / "junction-docstore.db"));
}

TEST_CASE("without ack_set a run resumes after the committed _id; with ack_set it starts over") {
    TempDir dir;
    seed(dir.db(), 1, 6);
    auto first_ctx = reader_context(dir.db());
    DocstoreReader first;
    REQUIRE(first.open(first_ctx).is_ok());
    Batch batch;
    bool end = false;
    REQUIRE(first.read(batch, 4, end).is_ok());
    REQUIRE(batch.size() == 4);

    auto resumed_ctx = reader_context(dir.db());
    resumed_ctx.set_committed_position(batch.back().meta.position);
    DocstoreReader resumed;
    REQUIRE(resumed.open(resumed_ctx).is_ok());
    Batch rest;
    REQUIRE(resumed.read(rest, 10, end).is_ok());
    REQUIRE(rest.size() == 2);
    CHECK(rest[0].payload.at("number") == 5);

    auto queue_ctx = reader_context(dir.db(), {{"ack_set", json::parse(R"({"isSynced": true})")}});
    queue_ctx.set_committed_position(batch.back().meta.position);
    DocstoreReader queue;
    REQUIRE(queue.open(queue_ctx).is_ok());
    Batch all;
    REQUIRE(queue.read(all, 10, end).is_ok());
    CHECK(all.size() == 6);
}
