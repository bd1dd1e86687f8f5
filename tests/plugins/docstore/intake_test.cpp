// The docstore intake (SDK 2.4): the intake contract (../intake_contract.hpp), then what is
// its own: the outbox relayed in commit order by the reader with outbox: true, and a reader
// config that mixes the outbox with a filter or a sort.
#include <doctest/doctest.h>

#include <junction/sdk/testing.hpp>

#include "docstore_test_util.hpp"
#include "intake.hpp"
#include "intake_contract.hpp"
#include "reader.hpp"

using namespace docstore_test;
using junction::docstore::DocstoreIntake;
using junction::docstore::DocstoreReader;
using junction::test::intake_contract::Opened;
using junction::test::intake_contract::submission;
namespace json = boost::json;

namespace {

struct DocstoreBackend {
    static constexpr const char* name = "docstore intake";
    TempDir dir;
    std::unique_ptr<junction::sdk::Intake> make_intake() { return std::make_unique<DocstoreIntake>(); }
    std::unique_ptr<junction::sdk::testing::TestContext> context() {
        return std::make_unique<junction::sdk::testing::TestContext>(
            junction::docstore::intake_schema(), json::object{{"path", dir.db()}, {"collection", "formulas"}});
    }
};

}  // namespace

using namespace junction::test::intake_contract;
TEST_CASE_TEMPLATE_INVOKE(intake_contract, DocstoreBackend);

TEST_CASE("the reader with outbox: true relays submissions in the order stored, once each, and marks them") {
    DocstoreBackend b;
    const auto& dir = b.dir;
    Opened<DocstoreBackend> intake(b);
    std::vector<std::string> ids;
    for (const auto* identity : {"c", "a", "b"})
        ids.push_back(intake.submit(submission(identity)).id);

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
    auto found = intake.find(ids[0]);
    REQUIRE(found);
    CHECK(found->published);
    CHECK(found->published_at.has_value());
    found = intake.find(ids[1]);
    REQUIRE(found);
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
}

TEST_CASE("a reader with outbox: true refuses a filter or a sort") {
    TempDir dir;
    auto with_filter = reader_context(dir.db(), {{"outbox", true}, {"filter", json::object{{"a", 1}}}});
    CHECK(junction::docstore::check_reader_config(with_filter.options()).message().find("filter") == 0);
    auto with_sort = reader_context(dir.db(), {{"outbox", true}, {"sort", "number"}});
    CHECK(junction::docstore::check_reader_config(with_sort.options()).message().find("sort") == 0);
}
