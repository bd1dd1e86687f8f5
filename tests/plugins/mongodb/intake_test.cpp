// The mongodb intake (SDK 2.4) against a MongoDB-wire server (a standalone one, so without
// transactions; and with `transactions: always`, the same steps inside a session's
// transaction, which the test server accepts without isolating): stored, duplicate,
// replayed, key_reused, an expired key, find() and the published state after the mongodb
// reader relays the outbox; one identity stored once by eight instances at once.
#include <doctest/doctest.h>

#include <atomic>
#include <set>
#include <thread>

#include "intake.hpp"
#include "mongo_fixture.hpp"
#include "reader.hpp"

using namespace junction;
namespace json = boost::json;
using sdk::Admission;
using sdk::Receipt;
using sdk::Submission;
using namespace std::chrono_literals;

namespace {

const auto t0 = std::chrono::system_clock::time_point(std::chrono::seconds(1798000000));

std::unique_ptr<test::TestContext> intake_context(const std::string& db, const std::string& transactions = "auto") {
    auto o = test::common_options(test::mongo_server().uri(), db, "formulas");
    o["transactions"] = transactions;
    return std::make_unique<test::TestContext>(mongodb::intake_options(), std::move(o));
}

// A hex identity from a short name (the host's is a SHA-256).
std::string identity(const std::string& name) {
    std::string hex;
    for (const char c : name) {
        static constexpr char digits[] = "0123456789abcdef";
        hex += digits[(static_cast<unsigned char>(c) >> 4) & 0xF];
        hex += digits[static_cast<unsigned char>(c) & 0xF];
    }
    return hex + std::string(64 - hex.size(), '0');
}

Submission submission(const std::string& name, const std::string& key = "", const std::string& fingerprint = "f1",
                      std::chrono::system_clock::time_point at = t0) {
    return {.payload = {{"name", "formula " + name}, {"materials", json::array{{{"concentration", 15.5}}}}},
            .identity = identity(name),
            .received_at = at,
            .idempotency_key = key,
            .fingerprint = fingerprint,
            .keys_expire_before = at - 1h};
}

Receipt submit(mongodb::MongoIntake& intake, const Submission& s) {
    Receipt r;
    const auto st = intake.submit(s, r);
    REQUIRE_MESSAGE(st.is_ok(), st.message());
    return r;
}

void answers(const std::string& transactions) {
    const auto db = test::unique_db("intake");
    auto ctx = intake_context(db, transactions);
    mongodb::MongoIntake intake;
    REQUIRE(intake.open(*ctx).is_ok());
    CHECK(intake.transactional() == (transactions == "always"));

    const auto a = submit(intake, submission("a", "k1"));
    CHECK(a.admission == Admission::stored);
    CHECK(a.id == identity("a").substr(0, 24));
    const auto dup = submit(intake, submission("a"));
    CHECK(dup.admission == Admission::duplicate);
    CHECK(dup.id == a.id);
    const auto replay = submit(intake, submission("a", "k1"));
    CHECK(replay.admission == Admission::replayed);
    CHECK(replay.id == a.id);
    CHECK_FALSE(replay.first_was_duplicate);
    CHECK(submit(intake, submission("b", "k1", "f2")).admission == Admission::key_reused);
    CHECK(submit(intake, submission("a", "k2")).admission == Admission::duplicate);
    const auto dup_replay = submit(intake, submission("a", "k2"));
    CHECK(dup_replay.admission == Admission::replayed);
    CHECK(dup_replay.first_was_duplicate);
    // Two hours on, k1 has expired: judged by identity again.
    CHECK(submit(intake, submission("a", "k1", "f1", t0 + 2h)).admission == Admission::duplicate);
    CHECK(submit(intake, submission("c", "k1", "f3", t0 + 4h)).admission == Admission::stored);

    std::optional<sdk::StoredSubmission> found;
    REQUIRE(intake.find(a.id, found).is_ok());
    REQUIRE(found);
    CHECK(found->payload.at("name") == "formula a");
    CHECK(found->payload.at("materials").at(0).at("concentration") == 15.5);
    CHECK(found->received_at == t0);
    CHECK(found->identity == identity("a"));
    CHECK_FALSE(found->published);
    REQUIRE(intake.find("000000000000000000000000", found).is_ok());
    CHECK_FALSE(found);
    REQUIRE(intake.find("not an id", found).is_ok());
    CHECK_FALSE(found);
    (void)intake.close();
}

}  // namespace

TEST_CASE("mongodb intake: stored once per identity, keys replayed or refused, expired keys forgotten") {
    SUBCASE("without transactions (a standalone server)") { answers("auto"); }
    SUBCASE("inside a transaction") { answers("always"); }
}

TEST_CASE("mongodb intake: the mongodb reader relays the pending submissions and marks them published") {
    const auto db = test::unique_db("intake_relay");
    auto ictx = intake_context(db);
    mongodb::MongoIntake intake;
    REQUIRE(intake.open(*ictx).is_ok());
    std::vector<std::string> ids;
    for (int i = 0; i < 3; ++i)
        ids.push_back(submit(intake, submission("s" + std::to_string(i), "", "f", t0 + std::chrono::seconds(i))).id);

    auto o = test::common_options(test::mongo_server().uri(), db, "formulas");
    o["filter"] = json::object{{"outbox", "pending"}};
    o["sort"] = "received_at";
    o["ack_set"] = json::object{{"outbox", "published"}, {"published_at", "$now"}};
    auto rctx = test::reader_context(o);
    mongodb::MongoReader reader;
    REQUIRE(reader.open(*rctx).is_ok());
    const auto records = sdk::testing::read_all(reader, *rctx);
    REQUIRE(records.size() == 3);
    for (std::size_t i = 0; i < 3; ++i)
        CHECK(records[i].payload.at("_id").as_string() == ids[i]);  // in the order received
    (void)reader.close();
    std::optional<sdk::StoredSubmission> found;
    REQUIRE(intake.find(ids[1], found).is_ok());
    REQUIRE(found);
    CHECK(found->published);
    CHECK(found->published_at.has_value());
    (void)intake.close();
}

TEST_CASE("mongodb intake: eight instances submitting one identity at once store it once") {
    const auto db = test::unique_db("intake_race");
    std::vector<Admission> admissions(8);
    std::atomic<int> ready{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 8; ++i)
        threads.emplace_back([&, i] {
            auto ctx = intake_context(db);
            mongodb::MongoIntake intake;
            REQUIRE(intake.open(*ctx).is_ok());
            ++ready;
            while (ready < 8)
                std::this_thread::yield();
            admissions[static_cast<std::size_t>(i)] = submit(intake, submission("same")).admission;
            (void)intake.close();
        });
    for (auto& t : threads)
        t.join();
    CHECK(std::count(admissions.begin(), admissions.end(), Admission::stored) == 1);
    CHECK(std::count(admissions.begin(), admissions.end(), Admission::duplicate) == 7);
    test::Direct direct(test::mongo_server().uri(), db, "formulas");
    CHECK(direct.count("{}") == 1);
}
