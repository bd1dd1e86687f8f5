// The databox writer's options and check_options(): the schema file, and its earlier
// versions beside it, refused with one line naming the file, the field and what to do.
#include <doctest/doctest.h>

#include "databox_fixture.hpp"

using namespace databox_test;
using junction::test::TempDir;

namespace {

json::object options_for(const std::filesystem::path& schema) {
    return {{"connection", "databox"}, {"schema", schema.string()}};
}

std::string check(const std::filesystem::path& schema) {
    const auto s = databox::check_writer_config(sdk::Options(options_for(schema)));
    return s.is_ok() ? "ok" : s.message();
}

}  // namespace

TEST_CASE("the example schemas pass, v1 -> v2 of github_issues included") {
    const std::filesystem::path dir = std::string(JUNCTION_SOURCE_DIR) + "/examples/databox/schemas";
    CHECK(check(dir / "github_issues.v1.json") == "ok");
    CHECK(check(dir / "github_issues.v2.json") == "ok");
    CHECK(check(dir / "hubspot_contacts.v1.json") == "ok");
}

TEST_CASE("a breaking v3 is refused at validate, naming the field and the new dataset to publish") {
    TempDir dir;
    write_file(dir / "github_issues.v1.json", issues_schema(1));
    write_file(dir / "github_issues.v2.json",
               issues_schema(2, R"(, {"name": "milestone", "type": "string", "nullable": true})"));
    CHECK(check(dir / "github_issues.v2.json") == "ok");

    auto v3 = issues_schema(3, R"(, {"name": "milestone", "type": "string", "nullable": true})");
    const std::string title = R"("title", "type": "string")";
    v3.replace(v3.find(title), title.size(), R"("title", "type": "integer")");
    write_file(dir / "github_issues.v3.json", v3);
    CHECK(check(dir / "github_issues.v3.json") ==
          "schema: " + (dir / "github_issues.v3.json").string() +
              ": not a compatible evolution of github_issues.v2.json: field title: type changes from string to "
              "integer (v2 -> v3): rows already sent hold string values; publish it as a new dataset (\"dataset\": "
              "\"github_issues_v3\", version 1) and point the writer at it");

    // a field dropped in v2 is found even when v3 is fine against v2
    auto without_author = issues_schema(2, R"(, {"name": "milestone", "type": "string", "nullable": true})");
    const std::string author = R"({"name": "author", "type": "string", "source": "$.user.login"},)";
    REQUIRE(without_author.find(author) != std::string::npos);
    without_author.erase(without_author.find(author), author.size());
    write_file(dir / "github_issues.v2.json", without_author);
    const auto message = check(dir / "github_issues.v3.json");
    CHECK(
        message.starts_with("schema: " + (dir / "github_issues.v2.json").string() +
                            ": not a compatible evolution of github_issues.v1.json: field author: removed or renamed"));
}

TEST_CASE("a schema file that does not parse, or is misnamed, is refused with one line") {
    TempDir dir;
    write_file(dir / "github_issues.v1.json", R"({"dataset": "github_issues", "version": 1, "primary_key": ["id"],
        "fields": [{"name": "id", "type": "int"}]})");
    CHECK(check(dir / "github_issues.v1.json") ==
          "schema: " + (dir / "github_issues.v1.json").string() +
              ": fields[0].type: \"int\" is not a type; one of string, integer, number, boolean, datetime, date");
    write_file(dir / "github_issues.v4.json", issues_schema(3));
    CHECK(check(dir / "github_issues.v4.json") == "schema: " + (dir / "github_issues.v4.json").string() +
                                                      ": holds dataset github_issues version 3; name it "
                                                      "github_issues.v3.json");
    CHECK(check(dir / "missing.json") ==
          "schema: " + (dir / "missing.json").string() + ": cannot read it (missing, or no permission)");
}

TEST_CASE("batch_rows stays within Databox's 100 records per ingestion") {
    const json::object base = {{"connection", "databox"}, {"schema", "s.json"}};
    auto too_many = base;
    too_many["batch_rows"] = 101;
    const auto errors = sdk::testing::option_errors(databox::writer_schema(), too_many);
    REQUIRE(errors.size() == 1);
    CHECK(errors[0] == "options.batch_rows: must be between 1 and 100, got 101");
    auto no_connection = base;
    no_connection.erase("connection");
    REQUIRE(sdk::testing::option_errors(databox::writer_schema(), no_connection).size() == 1);
    CHECK(sdk::testing::option_errors(databox::writer_schema(), no_connection)[0].starts_with(
        "options.connection: required option missing"));
    CHECK(sdk::testing::option_errors(databox::writer_schema(), base).empty());
}
