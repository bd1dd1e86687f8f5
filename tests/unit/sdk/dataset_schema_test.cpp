// The dataset schema (sdk/dataset_schema.hpp): parsing with one clear error, rows checked
// field by field, evolutions refused with what to do, the Markdown table.
#include <doctest/doctest.h>

#include <string>

#include <boost/json.hpp>
#include <junction/sdk/dataset_schema.hpp>

using namespace junction::sdk;
namespace json = boost::json;

namespace {

const char* const issues_v1 = R"json({
  "dataset": "github_issues", "version": 1, "description": "Issues of a repository",
  "primary_key": ["id"],
  "fields": [
    {"name": "id", "type": "integer", "description": "GitHub's id", "source": "$.id"},
    {"name": "title", "type": "string", "source": "$.title"},
    {"name": "author", "type": "string", "source": "$.user.login"},
    {"name": "labels_count", "type": "integer", "source": "$.labels.length()"},
    {"name": "label_names", "type": "string", "source": "$.labels[*].name"},
    {"name": "score", "type": "number", "nullable": true},
    {"name": "locked", "type": "boolean"},
    {"name": "updated_at", "type": "datetime", "source": "$.updated_at"},
    {"name": "due_on", "type": "date", "nullable": true},
    {"name": "closed_at", "type": "datetime", "nullable": true, "description": "a | pipe"}
  ]})json";

DatasetSchema v1() {
    return parse_dataset_schema(issues_v1);
}

std::string parse_error(const std::string& text) {
    try {
        (void)parse_dataset_schema(text);
    } catch (const SchemaError& e) {
        return e.what();
    }
    return "(parsed)";
}

std::string with(std::string_view key_value) {
    return std::string(R"({"dataset": "d", "version": 1, "primary_key": ["id"], )") + std::string(key_value) + "}";
}

json::object good_row() {
    return json::parse(R"({"id": 7, "title": "t", "author": "ann", "labels_count": 2, "label_names": "a, b",
                          "score": 1.5, "locked": false, "updated_at": "2024-03-01T12:00:00+02:00",
                          "due_on": "2024-02-29", "closed_at": null})")
        .as_object();
}

}  // namespace

TEST_CASE("a schema file parses into its fields, types, nullability, key and sources") {
    const auto s = v1();
    CHECK(s.dataset == "github_issues");
    CHECK(s.version == 1);
    CHECK(s.primary_key == std::vector<std::string>{"id"});
    REQUIRE(s.fields.size() == 10);
    CHECK(s.fields[2].source == "$.user.login");
    CHECK(s.fields[5].type == FieldType::number);
    CHECK(s.fields[5].nullable);
    CHECK_FALSE(s.fields[0].nullable);
    CHECK(s.field("closed_at")->type == FieldType::datetime);
}

TEST_CASE("a bad schema file is refused with one line naming where") {
    CHECK(parse_error("{").starts_with("invalid JSON: "));
    CHECK(parse_error("[]") == "expected a JSON object, got array");
    CHECK(parse_error(R"({"version": 1})") == "dataset: required, missing");
    CHECK(parse_error(R"({"dataset": "1x", "version": 1})") ==
          "dataset: \"1x\" is not a dataset name: letters, digits and _, starting with a letter");
    CHECK(parse_error(R"({"dataset": "d"})") == "version: required, missing (1 for a new dataset)");
    CHECK(parse_error(R"({"dataset": "d", "version": 0})") == "version: must be 1 or more, got 0");
    CHECK(parse_error(R"({"dataset": "d", "version": "2"})") == "version: expected an integer, got string");
    CHECK(parse_error(with(R"("fields": [])")) == "fields: must have at least 1 field");
    CHECK(parse_error(with(R"("fields": [{"name": "id", "type": "int"}])")) ==
          "fields[0].type: \"int\" is not a type; one of string, integer, number, boolean, datetime, date");
    CHECK(parse_error(with(R"("fields": [{"name": "id", "type": "integer"}, {"name": "id", "type": "string"}])")) ==
          "fields[1].name: \"id\" is given twice");
    CHECK(parse_error(with(R"("fields": [{"name": "id", "type": "integer", "nullable": "no"}])")) ==
          "fields[0].nullable: expected a boolean, got string");
    CHECK(parse_error(with(R"("fields": [{"name": "id", "type": "integer", "colour": 1}])")) ==
          "fields[0].colour: unknown key; valid keys: name, type, nullable, description, source");
    CHECK(parse_error(with(R"("fields": [{"name": "id", "type": "integer", "source": "id"}])")) ==
          "fields[0].source: \"id\" is not a source field; write \"$.a.b\", \"$.a.length()\" or \"$.a[*].b\"");
    CHECK(parse_error(with(R"("fields": [{"name": "x", "type": "integer"}])")) ==
          "primary_key[0]: \"id\" is not one of the fields");
    CHECK(parse_error(with(R"("fields": [{"name": "id", "type": "integer", "nullable": true}])")) ==
          "primary_key[0]: \"id\" is nullable; a primary key field cannot be");
    CHECK(parse_error(
              R"({"dataset": "d", "version": 1, "primary_key": [], "fields": [{"name": "id", "type": "string"}]})") ==
          "primary_key: must name at least 1 field: without one a resent row is counted twice");
    CHECK(parse_error(R"({"dataset": "d", "version": 1, "colour": 1})") ==
          "colour: unknown key; valid keys: dataset, version, description, primary_key, fields");
}

TEST_CASE("a record becomes a row of the schema's fields only, taken from their sources") {
    const auto record = json::parse(R"({"id": 7, "title": "t", "user": {"login": "ann", "id": 9},
        "labels": [{"name": "bug"}, {"name": "p1"}], "locked": true, "updated_at": "2024-03-01T12:00:00Z",
        "body": "not sent"})")
                            .as_object();
    const auto row = extract_row(v1(), record);
    CHECK(row.at("author").as_string() == "ann");
    CHECK(row.at("labels_count").as_int64() == 2);
    CHECK(row.at("label_names").as_string() == "bug, p1");
    CHECK(row.at("locked").as_bool());
    CHECK_FALSE(row.contains("body"));
    CHECK_FALSE(row.contains("user"));
    CHECK_FALSE(row.contains("closed_at"));
    CHECK(check_row(v1(), row).empty());
}

TEST_CASE("a row that fits has no problems; each misfit names the field and the reason") {
    const auto s = v1();
    CHECK(check_row(s, good_row()).empty());

    auto row = good_row();
    row.erase("title");
    row["author"] = nullptr;
    row["labels_count"] = "2";
    row["score"] = "high";
    row["locked"] = 1;
    row["updated_at"] = "2024-03-01 noon";
    row["due_on"] = "2023-02-29";
    row["closed_at"] = "2024-03-01T12:00:00";  // no offset: its instant is unknown
    const auto problems = check_row(s, row);
    REQUIRE(problems.size() == 8);
    CHECK(describe(problems) ==
          "title: missing, and the field is not nullable; author: null, and the field is not nullable; "
          "labels_count: expected integer, got string; score: expected number, got string; "
          "locked: expected boolean, got integer; "
          "updated_at: \"2024-03-01 noon\" is not an ISO 8601 date-time with an offset (e.g. 2024-03-01T12:00:00Z); "
          "due_on: \"2023-02-29\" is not a date (YYYY-MM-DD); "
          "closed_at: \"2024-03-01T12:00:00\" is not an ISO 8601 date-time with an offset (e.g. 2024-03-01T12:00:00Z)");
}

TEST_CASE("datetimes are sent in UTC with milliseconds and Z, absent nullable fields as null") {
    auto row = good_row();
    normalize_row(v1(), row);
    CHECK(row.at("updated_at").as_string() == "2024-03-01T10:00:00.000Z");
    CHECK(row.at("due_on").as_string() == "2024-02-29");
    auto sparse = good_row();
    sparse.erase("score");
    normalize_row(v1(), sparse);
    CHECK(sparse.at("score").is_null());
}

TEST_CASE("an evolution adding nullable fields and changing descriptions is compatible") {
    auto next = v1();
    next.version = 2;
    next.fields.push_back({.name = "milestone", .type = FieldType::string, .nullable = true});
    next.fields[0].description = "changed";
    next.fields[1].nullable = true;  // loosened
    CHECK(check_evolution(v1(), next).empty());
    CHECK(check_evolution(v1(), v1()).empty());
}

TEST_CASE("a breaking evolution is refused naming the field and what to do") {
    const auto before = v1();
    auto after = v1();
    after.version = 3;
    after.fields[1].type = FieldType::integer;                                 // title: type change
    after.fields.erase(after.fields.begin() + 2);                              // author: removed
    after.fields[4].nullable = false;                                          // score: tightened
    after.fields.push_back({.name = "milestone", .type = FieldType::string});  // new, not nullable
    const auto problems = check_evolution(before, after);
    REQUIRE(problems.size() == 4);
    const std::string advice =
        "publish it as a new dataset (\"dataset\": \"github_issues_v3\", version 1) and point the writer at it";
    CHECK(problems[0] ==
          "field title: type changes from string to integer (v1 -> v3): rows already sent hold "
          "string values; " +
              advice);
    CHECK(problems[1] ==
          "field author: removed or renamed (v1 -> v3): rows already sent have it; keep it (nullable "
          "if it is no longer filled) or " +
              advice);
    CHECK(problems[2] ==
          "field score: becomes non-nullable (v1 -> v3): rows already sent may hold null; keep it "
          "nullable or " +
              advice);
    CHECK(problems[3] ==
          "field milestone: new and not nullable (v1 -> v3): rows already sent have no value for it; "
          "make it \"nullable\": true or " +
              advice);

    auto rekeyed = v1();
    rekeyed.version = 2;
    rekeyed.primary_key = {"title"};
    REQUIRE(check_evolution(before, rekeyed).size() == 1);
    CHECK(check_evolution(before, rekeyed)[0].starts_with("primary_key: changes from [id] to [title] (v1 -> v2)"));

    auto renamed = v1();
    renamed.dataset = "gh_issues";
    renamed.version = 2;
    REQUIRE(check_evolution(before, renamed).size() == 1);
    CHECK(check_evolution(before, renamed)[0].starts_with("dataset: renamed from \"github_issues\" to \"gh_issues\""));

    auto older = v1();
    older.version = 2;
    CHECK(check_evolution(older, before) ==
          std::vector<std::string>{"version: goes back from 2 to 1: a new version has a higher number"});
}

TEST_CASE("the Markdown table has a row per field with its type, nullability, key, source and description") {
    const auto md = render_markdown(v1());
    CHECK(md.starts_with(
        "#### Dataset `github_issues`, version 1\n\nIssues of a repository\n\n"
        "| field | type | nullable | primary key | source field | description |\n|---|---|---|---|---|---|\n"));
    CHECK(md.find("| `id` | integer | no | yes | `$.id` | GitHub's id |\n") != std::string::npos);
    CHECK(md.find("| `author` | string | no |  | `$.user.login` |  |\n") != std::string::npos);
    CHECK(md.find("| `score` | number | yes |  | `$.score` |  |\n") != std::string::npos);
    CHECK(md.find("| `closed_at` | datetime | yes |  | `$.closed_at` | a \\| pipe |\n") != std::string::npos);
}
