// The docstore intake (SDK 2.4) through its interface: stored, duplicate, replayed and
// key_reused; keys that expire; find() and the published state; the outbox relayed in
// commit order by the reader with outbox: true; and one identity stored once when eight
// instances submit it at once.
#include <doctest/doctest.h>

#include <atomic>
#include <set>
#include <thread>

#include <junction/sdk/testing.hpp>

#include "docstore_test_util.hpp"
#include "intake.hpp"
#include "reader.hpp"

using namespace docstore_test;
using junction::docstore::DocstoreIntake;
using junction::docstore::DocstoreReader;
using junction::sdk::Admission;
using junction::sdk::Receipt;
using junction::sdk::Submission;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

junction::test::TestContext intake_context(const std::string& db) {
    return {junction::docstore::intake_schema(), {{"path", db}, {"collection", "formulas"}}};
}

const auto t0 = std::chrono::system_clock::time_point(std::chrono::seconds(1798000000));

Submission submission(const std::string& identity, const std::string& key = "", const std::string& fingerprint = "f1",
                      std::chrono::system_clock::time_point at = t0) {
    return {.payload = {{"name", "formula " + identity}},
            .identity = std::string(64 - identity.size(), '0') + identity,
            .received_at = at,
            .idempotency_key = key,
            .fingerprint = fingerprint,
            .keys_expire_before = at - 1h};
}

Receipt submit(DocstoreIntake& intake, const Submission& s) {
    Receipt r;
    REQUIRE(intake.submit(s, r).is_ok());
    return r;
}

}  // namespace

TEST_CASE("stored once per identity; a key replays its first answer, and another body is key_reused") {
    TempDir dir;
    auto ctx = intake_context(dir.db());
    DocstoreIntake intake;
    REQUIRE(intake.open(ctx).is_ok());

    const auto a = submit(intake, submission("a", "k1"));
    CHECK(a.admission == Admission::stored);
    CHECK(a.id.size() == 24);
    const auto dup = submit(intake, submission("a"));
    CHECK(dup.admission == Admission::duplicate);
    CHECK(dup.id == a.id);
    const auto replay = submit(intake, submission("a", "k1"));
    CHECK(replay.admission == Admission::replayed);
    CHECK(replay.id == a.id);
    CHECK_FALSE(replay.first_was_duplicate);
    const auto reused = submit(intake, submission("b", "k1", "f2"));
    CHECK(reused.admission == Admission::key_reused);
    CHECK(reused.id.empty());
    // A key first used for a duplicate replays the duplicate.
    CHECK(submit(intake, submission("a", "k2")).admission == Admission::duplicate);
    const auto dup_replay = submit(intake, submission("a", "k2"));
    CHECK(dup_replay.admission == Admission::replayed);
    CHECK(dup_replay.first_was_duplicate);
    // The key_reused request stored nothing: b is new.
    CHECK(submit(intake, submission("b")).admission == Admission::stored);

    std::optional<junction::sdk::StoredSubmission> found;
    REQUIRE(intake.find(a.id, found).is_ok());
    REQUIRE(found);
    CHECK(found->payload.at("name") == "formula a");
    CHECK(found->received_at == t0);
    CHECK_FALSE(found->published);
    REQUIRE(intake.find("000000000000000000000000", found).is_ok());
    CHECK_FALSE(found);
    (void)intake.close();
}

TEST_CASE("an idempotency key is forgotten once older than the window") {
    TempDir dir;
    auto ctx = intake_context(dir.db());
    DocstoreIntake intake;
    REQUIRE(intake.open(ctx).is_ok());
    CHECK(submit(intake, submission("a", "k", "f1", t0)).admission == Admission::stored);
    // 30 minutes on (the window is an hour): replayed.
    CHECK(submit(intake, submission("a", "k", "f1", t0 + 30min)).admission == Admission::replayed);
    // Two hours on: a new key, so the request is judged by its identity (a duplicate),
    // and another body with it is stored, not refused.
    CHECK(submit(intake, submission("a", "k", "f1", t0 + 2h)).admission == Admission::duplicate);
    CHECK(submit(intake, submission("c", "k", "f3", t0 + 4h)).admission == Admission::stored);
    (void)intake.close();
}

TEST_CASE("the reader with outbox: true relays submissions in the order stored, once each, and marks them") {
    TempDir dir;
    auto ictx = intake_context(dir.db());
    DocstoreIntake intake;
    REQUIRE(intake.open(ictx).is_ok());
    std::vector<std::string> ids;
    for (const auto* identity : {"c", "a", "b"})
        ids.push_back(submit(intake, submission(identity)).id);

    auto rctx = reader_context(dir.db(), {{"collection", "formulas"}, {"outbox", true},
                                          {"ack_set", json::object{{"published_at", "$now"}}}});
    DocstoreReader reader;
    REQUIRE(reader.open(rctx).is_ok());
    junction::sdk::Batch batch;
    bool end = false;
    REQUIRE(reader.read(batch, 2, end).is_ok());
    REQUIRE(batch.size() == 2);
    CHECK(batch[0].payload.at("_id").as_string() == ids[0]);
    CHECK(batch[1].payload.at("_id").as_string() == ids[1]);
    CHECK(batch[0].payload.at("payload").at("name") == "formula c");
    REQUIRE(reader.acknowledge(junction::test::AckBatch::all_written({batch.data(), 1})).is_ok());
    std::optional<junction::sdk::StoredSubmission> found;
    REQUIRE(intake.find(ids[0], found).is_ok());
    CHECK(found->published);
    CHECK(found->published_at.has_value());
    REQUIRE(intake.find(ids[1], found).is_ok());
    CHECK_FALSE(found->published);  // read, not yet acknowledged
    (void)reader.close();

    // The next run reads what is left, from the outbox's start: the second and the third.
    DocstoreReader again;
    REQUIRE(again.open(rctx).is_ok());
    junction::sdk::Batch rest;
    REQUIRE(again.read(rest, 10, end).is_ok());
    REQUIRE(rest.size() == 2);
    CHECK(rest[0].payload.at("_id").as_string() == ids[1]);
    CHECK(rest[1].payload.at("_id").as_string() == ids[2]);
    CHECK(end);
    (void)again.close();
    (void)intake.close();
}

TEST_CASE("a reader with outbox: true refuses a filter or a sort") {
    TempDir dir;
    auto with_filter = reader_context(dir.db(), {{"outbox", true}, {"filter", json::object{{"a", 1}}}});
    CHECK(junction::docstore::check_reader_config(with_filter.options()).message().find("filter") == 0);
    auto with_sort = reader_context(dir.db(), {{"outbox", true}, {"sort", "number"}});
    CHECK(junction::docstore::check_reader_config(with_sort.options()).message().find("sort") == 0);
}

TEST_CASE("eight instances submitting one identity at once store it once, and all get its id") {
    TempDir dir;
    std::vector<std::string> ids(8);
    std::vector<Admission> admissions(8);
    std::atomic<int> ready{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 8; ++i)
        threads.emplace_back([&, i] {
            auto ctx = intake_context(dir.db());
            DocstoreIntake intake;
            REQUIRE(intake.open(ctx).is_ok());
            ++ready;
            while (ready < 8)
                std::this_thread::yield();
            Receipt r;
            REQUIRE(intake.submit(submission("same"), r).is_ok());
            ids[static_cast<std::size_t>(i)] = r.id;
            admissions[static_cast<std::size_t>(i)] = r.admission;
            (void)intake.close();
        });
    for (auto& t : threads)
        t.join();
    CHECK(std::count(admissions.begin(), admissions.end(), Admission::stored) == 1);
    CHECK(std::count(admissions.begin(), admissions.end(), Admission::duplicate) == 7);
    CHECK(std::set<std::string>(ids.begin(), ids.end()).size() == 1);
}
