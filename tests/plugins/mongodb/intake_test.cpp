// The mongodb intake (SDK 2.4) against a MongoDB-wire server: the intake contract
// (../intake_contract.hpp), once without transactions (the server is standalone) and once
// with `transactions: always` (the same steps in a session's transaction, which the test
// server accepts without isolating); then the relay by the mongodb reader.
#include <doctest/doctest.h>

#include "intake.hpp"
#include "intake_contract.hpp"
#include "mongo_fixture.hpp"
#include "reader.hpp"

using namespace junction;
namespace json = boost::json;
using test::intake_contract::Opened;
using test::intake_contract::submission;
using test::intake_contract::t0;

namespace {

template <bool Transactions>
struct MongoBackend {
    static constexpr const char* name = Transactions ? "mongodb intake, in transactions" : "mongodb intake";
    std::string db = test::unique_db("intake");
    std::unique_ptr<sdk::Intake> make_intake() { return std::make_unique<mongodb::MongoIntake>(); }
    std::unique_ptr<sdk::testing::TestContext> context() {
        auto o = test::common_options(test::mongo_server().uri(), db, "formulas");
        o["transactions"] = Transactions ? "always" : "auto";
        return std::make_unique<sdk::testing::TestContext>(mongodb::intake_options(), std::move(o));
    }
};
using Standalone = MongoBackend<false>;
using InTransactions = MongoBackend<true>;

}  // namespace

using namespace test::intake_contract;
TEST_CASE_TEMPLATE_INVOKE(intake_contract, Standalone, InTransactions);

TEST_CASE("mongodb intake: `transactions: auto` finds none on a standalone server; ids are the identity's") {
    Standalone b;
    auto ctx = b.context();
    mongodb::MongoIntake intake;
    REQUIRE(intake.open(*ctx).is_ok());
    CHECK_FALSE(intake.transactional());
    sdk::Receipt r;
    REQUIRE(intake.submit(submission("a"), r).is_ok());
    CHECK(r.id == test::intake_contract::identity("a").substr(0, 24));
    (void)intake.close();
    InTransactions t;
    auto tctx = t.context();
    mongodb::MongoIntake in_txn;
    REQUIRE(in_txn.open(*tctx).is_ok());
    CHECK(in_txn.transactional());
    (void)in_txn.close();
}

TEST_CASE("mongodb intake: the mongodb reader relays the pending submissions and marks them published") {
    Standalone b;
    const auto& db = b.db;
    Opened<Standalone> intake(b);
    std::vector<std::string> ids;
    for (int i = 0; i < 3; ++i)
        ids.push_back(intake.submit(submission("s" + std::to_string(i), "", "f", t0 + std::chrono::seconds(i))).id);

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
    const auto found = intake.find(ids[1]);
    REQUIRE(found);
    CHECK(found->published);
    CHECK(found->published_at.has_value());
}
