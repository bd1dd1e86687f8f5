// The databox writer against the fake Databox over a real socket, through the host's HTTP
// client: dataset creation with the primary key, upserts, rejections by the schema,
// batches, failures and resends, the push log, and no API key anywhere.
#include <doctest/doctest.h>

#include "databox_fixture.hpp"
#include "writer.hpp"

using namespace databox_test;
using junction::databox::DataboxWriter;
using junction::sdk::Code;
using junction::test::TempDir;

namespace {

struct Setup {
    Setup() { write_file(dir / "github_issues.v1.json", issues_schema(1)); }
    json::object options(json::object extra = {}) {
        json::object o = {{"connection", "databox"},
                          {"base_url", databox.url()},
                          {"schema", (dir / "github_issues.v1.json").string()}};
        for (auto& kv : extra)
            o[kv.key()] = kv.value();
        return o;
    }
    // The rows in the fake, by id.
    std::map<std::int64_t, json::object> rows() {
        std::map<std::int64_t, json::object> out;
        const auto dataset = databox.only_dataset();
        for (const auto& r : dataset.at("rows").as_array())
            out[r.at("id").as_int64()] = r.as_object();
        return out;
    }

    TempDir dir;
    FakeDatabox databox;
    Durable durable;
};

std::vector<std::size_t> indexes_of(const std::vector<sdk::Rejection>& rejected) {
    std::vector<std::size_t> out;
    for (const auto& r : rejected)
        out.push_back(r.index);
    return out;
}

}  // namespace

TEST_CASE("the dataset is created with the schema's primary key, and rows with the same key are updated") {
    Setup s;
    LiveContext ctx(s.durable, s.options());
    DataboxWriter writer;
    const auto opened = writer.open(ctx);
    REQUIRE_MESSAGE(opened.is_ok(), opened.message());
    std::vector<sdk::Rejection> rejected;
    auto batch = issues(1, 3);
    REQUIRE(writer.write(batch, rejected).is_ok());
    std::vector<sdk::Record> changed = {issue(2, "renamed")};
    REQUIRE(writer.write(changed, rejected).is_ok());
    REQUIRE(writer.flush().is_ok());
    CHECK(rejected.empty());

    const auto dataset = s.databox.only_dataset();
    CHECK(dataset.at("title").as_string() == "github_issues");
    CHECK(dataset.at("primaryKeys").as_array() == json::array{"id"});
    const auto rows = s.rows();
    REQUIRE(rows.size() == 3);
    CHECK(rows.at(2).at("title").as_string() == "renamed");
    // only the schema's fields, from their sources, datetimes in UTC
    CHECK(rows.at(1) == json::object{{"id", 1},
                                     {"title", "issue 1"},
                                     {"author", "ann"},
                                     {"updated_at", "2024-03-01T11:00:00.000Z"},
                                     {"closed_at", nullptr}});
    CHECK(ctx.state().get("dataset_id:github_issues") == std::optional<std::string>(dataset.at("id").as_string()));
    REQUIRE(writer.close().is_ok());

    // the next run finds the same dataset and creates nothing
    LiveContext again(s.durable, s.options());
    DataboxWriter second;
    REQUIRE(second.open(again).is_ok());
    CHECK(s.databox.datasets().size() == 1);
}

TEST_CASE("a row that does not fit the schema is rejected with the field and the reason; the others go") {
    Setup s;
    LiveContext ctx(s.durable, s.options());
    DataboxWriter writer;
    REQUIRE(writer.open(ctx).is_ok());
    auto batch = issues(1, 4);
    batch[1].payload.erase("title");
    batch[2].payload["updated_at"] = "yesterday";
    batch[3].payload["user"] = json::object{};
    std::vector<sdk::Rejection> rejected;
    REQUIRE(writer.write(batch, rejected).is_ok());
    REQUIRE(indexes_of(rejected) == std::vector<std::size_t>{1, 2, 3});
    CHECK(rejected[0].reason ==
          "does not fit dataset schema github_issues v1: title: missing, and the field is not "
          "nullable");
    CHECK(rejected[1].reason ==
          "does not fit dataset schema github_issues v1: updated_at: \"yesterday\" is not an "
          "ISO 8601 date-time with an offset (e.g. 2024-03-01T12:00:00Z)");
    CHECK(rejected[2].reason ==
          "does not fit dataset schema github_issues v1: author: missing, and the field is not "
          "nullable");
    CHECK(s.rows().size() == 1);
    CHECK(s.rows().count(1) == 1);
}

TEST_CASE("a batch is split into ingestions of at most batch_rows rows, each one in the push log") {
    Setup s;
    LiveContext ctx(s.durable, s.options({{"batch_rows", 2}}));
    DataboxWriter writer;
    REQUIRE(writer.open(ctx).is_ok());
    auto batch = issues(1, 5);
    std::vector<sdk::Rejection> rejected;
    REQUIRE(writer.write(batch, rejected).is_ok());

    std::vector<std::int64_t> sizes;
    for (const auto& r : s.databox.requests())
        if (r.at("method").as_string() == "POST" && r.at("path").as_string().ends_with("/data"))
            sizes.push_back(r.at("records").as_int64());
    CHECK(sizes == std::vector<std::int64_t>{2, 2, 1});
    CHECK(s.rows().size() == 5);

    const auto pushes = s.durable.pushes.pushes();
    REQUIRE(pushes.size() == 3);
    const auto id = std::string(s.databox.only_dataset().at("id").as_string());
    for (const auto& p : pushes) {
        CHECK(p.provider == "databox");
        CHECK(p.target == "github_issues (" + id + ")");
        CHECK(p.ok);
        CHECK(p.error.empty());
        CHECK_FALSE(p.request_id.empty());
        CHECK(p.columns == std::vector<std::string>{"id", "title", "author", "updated_at", "closed_at"});
    }
    CHECK(pushes[0].rows == 2);
    CHECK(pushes[2].rows == 1);
}

TEST_CASE("Databox failing mid-push: retry, failures in the push log, and the next run sends what was not sent") {
    Setup s;
    {
        LiveContext ctx(s.durable, s.options({{"batch_rows", 2}}));
        DataboxWriter writer;
        REQUIRE(writer.open(ctx).is_ok());
        s.databox.fail_next(100, 503);  // more than the HTTP client's attempts
        auto batch = issues(1, 4);
        std::vector<sdk::Rejection> rejected;
        const auto status = writer.write(batch, rejected);
        CHECK(status.code() == Code::retry);
        CHECK(status.message().find("503") != std::string::npos);
        s.databox.set_down(true);  // then it goes away altogether
        CHECK(writer.write(batch, rejected).code() == Code::retry);
        REQUIRE(writer.close().is_ok());
    }
    CHECK(s.databox.only_dataset().at("rows").as_array().empty());
    auto pushes = s.durable.pushes.pushes();
    REQUIRE(pushes.size() == 2);
    CHECK_FALSE(pushes[0].ok);
    CHECK(pushes[0].error.find("503") != std::string::npos);
    CHECK(pushes[0].error.find("simulated failure (503)") != std::string::npos);
    CHECK_FALSE(pushes[1].ok);
    CHECK_FALSE(pushes[1].error.empty());

    // the next run: Databox is back, the same records come again (their positions were not committed)
    s.databox.set_down(false);
    s.databox.fail_next(0, 503);
    LiveContext ctx(s.durable, s.options({{"batch_rows", 2}}));
    DataboxWriter writer;
    REQUIRE(writer.open(ctx).is_ok());
    auto batch = issues(1, 4);
    std::vector<sdk::Rejection> rejected;
    REQUIRE(writer.write(batch, rejected).is_ok());
    CHECK(s.rows().size() == 4);
    pushes = s.durable.pushes.pushes();
    REQUIRE(pushes.size() == 4);
    CHECK(pushes[2].ok);
    CHECK(pushes[3].ok);
}

TEST_CASE("a batch resent after Databox stored it but the answer was lost counts each row once") {
    Setup s;
    LiveContext ctx(s.durable, s.options());
    DataboxWriter writer;
    REQUIRE(writer.open(ctx).is_ok());
    // every attempt of the HTTP client stores the rows, then answers 500
    s.databox.fail_next(100, 500, "store_then_fail");
    auto batch = issues(1, 3);
    std::vector<sdk::Rejection> rejected;
    CHECK(writer.write(batch, rejected).code() == Code::retry);
    const auto stored = s.databox.only_dataset();
    CHECK(stored.at("rows").as_array().size() == 3);
    const auto ingestions_before = stored.at("ingestions").as_int64();
    CHECK(ingestions_before >= 2);  // the client resent it: an ingestion is idempotent by primary key

    s.databox.fail_next(0, 500);
    REQUIRE(writer.write(batch, rejected).is_ok());  // the engine's retry
    const auto after = s.databox.only_dataset();
    CHECK(after.at("ingestions").as_int64() == ingestions_before + 1);
    CHECK(after.at("rows").as_array().size() == 3);
    CHECK(s.rows().at(2).at("title").as_string() == "issue 2");
}

TEST_CASE("a 4xx refusal of an ingestion rejects its rows with Databox's message; a 403 stops the run") {
    Setup s;
    LiveContext ctx(s.durable, s.options({{"batch_rows", 2}}));
    DataboxWriter writer;
    REQUIRE(writer.open(ctx).is_ok());
    s.databox.fail_next(1, 400);
    auto batch = issues(1, 3);
    std::vector<sdk::Rejection> rejected;
    REQUIRE(writer.write(batch, rejected).is_ok());
    REQUIRE(indexes_of(rejected) == std::vector<std::size_t>{0, 1});
    CHECK(rejected[0].reason.starts_with("Databox refused the ingestion: POST "));
    CHECK(rejected[0].reason.find("400") != std::string::npos);
    CHECK(rejected[0].reason.ends_with("(server_error: simulated failure (400))"));
    CHECK(s.rows().size() == 1);

    s.databox.fail_next(1, 403);
    rejected.clear();
    const auto status = writer.write(batch, rejected);
    CHECK(status.code() == Code::fatal);
    CHECK(status.message().starts_with("databox: the API key may not push to dataset github_issues ("));
}

TEST_CASE("a compatible new version pushes into the same dataset; a breaking one is refused at open") {
    Setup s;
    {
        LiveContext ctx(s.durable, s.options());
        DataboxWriter writer;
        REQUIRE(writer.open(ctx).is_ok());
        auto batch = issues(1, 2);
        std::vector<sdk::Rejection> rejected;
        REQUIRE(writer.write(batch, rejected).is_ok());
    }
    write_file(s.dir / "github_issues.v2.json",
               issues_schema(
                   2, R"(, {"name": "milestone", "type": "string", "nullable": true, "source": "$.milestone.title"})"));
    {
        LiveContext ctx(s.durable, s.options({{"schema", (s.dir / "github_issues.v2.json").string()}}));
        DataboxWriter writer;
        const auto opened = writer.open(ctx);
        REQUIRE_MESSAGE(opened.is_ok(), opened.message());
        auto batch = issues(3, 3);
        batch[0].payload["milestone"] = {{"title", "1.0"}};
        std::vector<sdk::Rejection> rejected;
        REQUIRE(writer.write(batch, rejected).is_ok());
        CHECK(s.databox.datasets().size() == 1);
        CHECK(s.rows().at(3).at("milestone").as_string() == "1.0");
    }
    // a file elsewhere (no earlier versions beside it) that breaks what was pushed: the state remembers v2
    std::filesystem::create_directories(s.dir / "elsewhere");
    auto broken = issues_schema(3, R"(, {"name": "milestone", "type": "integer", "nullable": true})");
    write_file(s.dir / "elsewhere" / "github_issues.v3.json", broken);
    LiveContext ctx(s.durable, s.options({{"schema", (s.dir / "elsewhere" / "github_issues.v3.json").string()}}));
    DataboxWriter writer;
    const auto opened = writer.open(ctx);
    CHECK(opened.code() == Code::fatal);
    const auto id = std::string(s.databox.only_dataset().at("id").as_string());
    CHECK(opened.message() ==
          "schema: dataset github_issues (" + id +
              ") was last pushed with github_issues v2, and github_issues.v3.json is not a compatible evolution of "
              "it: field milestone: type changes from string to integer (v2 -> v3): rows already sent hold string "
              "values; publish it as a new dataset (\"dataset\": \"github_issues_v3\", version 1) and point the "
              "writer at it");
}

TEST_CASE("a refused API key stops the run at open with one line; no key in any line or push record") {
    Setup s;
    {
        LiveContext ctx(s.durable, s.options(), ".", "wrong-key-0123456789");
        DataboxWriter writer;
        const auto opened = writer.open(ctx);
        CHECK(opened.code() == Code::fatal);
        CHECK(opened.message().starts_with("databox: the API key of connection 'databox' was refused: GET "));
        CHECK(opened.message().find("401") != std::string::npos);
        CHECK(opened.message().find("wrong-key-0123456789") == std::string::npos);
    }
    // a run with failures and successes: grep everything it left for the key
    LiveContext ctx(s.durable, s.options({{"batch_rows", 2}}));
    DataboxWriter writer;
    REQUIRE(writer.open(ctx).is_ok());
    s.databox.fail_next(1, 429);
    s.databox.fail_next(100, 500);
    auto batch = issues(1, 3);
    std::vector<sdk::Rejection> rejected;
    CHECK(writer.write(batch, rejected).code() == Code::retry);
    s.databox.fail_next(0, 500);
    REQUIRE(writer.write(batch, rejected).is_ok());
    std::string everything;
    for (const auto& line : s.durable.log.lines())
        everything += line.message + "\n";
    for (const auto& p : s.durable.pushes.pushes()) {
        everything += p.provider + p.target + p.error + p.request_id + "\n";
        for (const auto& c : p.columns)
            everything += c + "\n";
    }
    CHECK(everything.find("databox") != std::string::npos);  // there is something to search
    CHECK(everything.find(api_key) == std::string::npos);
    CHECK(everything.find("wrong-key-0123456789") == std::string::npos);
}

TEST_CASE("a connection missing from the config stops the run at open, naming it") {
    Setup s;
    auto options = s.options();
    options["connection"] = "nowhere";
    LiveContext ctx(s.durable, options);
    DataboxWriter writer;
    const auto opened = writer.open(ctx);
    CHECK(opened.code() == Code::fatal);
    CHECK_MESSAGE(opened.message().starts_with("databox: cannot validate the API key: "), opened.message());
    CHECK(opened.message().find("nowhere") != std::string::npos);
}
