// The databox writer through the `junction` binary: the example config (files reader of
// GitHub-like issues -> databox) against the fake Databox on 127.0.0.1; a Databox outage
// mid-run; `validate` refusing a breaking schema version; `junction schema doc` and the
// README's tables, which must not drift apart.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "databox_server.hpp"
#include "subprocess.hpp"

using namespace junction::test;
namespace json = boost::json;

namespace {

const std::string source_dir = JUNCTION_SOURCE_DIR;
const std::string example = source_dir + "/examples/databox/issues_to_databox.json";

std::string env_for(const FakeDatabox& databox, const TempDir& dir, const std::string& issues_in = "") {
    return "env DATABOX_URL=" + sh_quote(databox.url()) + " DATABOX_API_KEY=" + FakeDatabox::api_key +
           " JUNCTION_STATE=" + sh_quote((dir / "state.db").string()) +
           (issues_in.empty() ? "" : " ISSUES_IN=" + sh_quote(issues_in)) + " ";
}

std::string file_bytes(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Every file the run left in `dir` (the state store and its WAL included), as bytes.
std::string everything_in(const std::filesystem::path& dir) {
    std::string out;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
        if (e.is_regular_file()) out += file_bytes(e.path());
    return out;
}

}  // namespace

TEST_CASE("the example pushes GitHub-like issues into a Databox dataset; the bad one is dead-lettered") {
    FakeDatabox databox;
    TempDir dir;
    const auto env = env_for(databox, dir);
    const auto valid = run(env + sh_quote(JUNCTION_BIN) + " validate " + sh_quote(example));
    CHECK_MESSAGE(valid.exit_code == 0, valid.err);

    const auto r = run(env + sh_quote(JUNCTION_BIN) + " run --once " + sh_quote(example));
    CHECK_MESSAGE(r.exit_code == 0, r.err);
    CHECK(r.err.find("read=4 written=3 invalid=1") != std::string::npos);
    CHECK(r.err.find("title: missing, and the field is not nullable") != std::string::npos);
    CHECK(r.err.find("push provider=databox target=github_issues (") != std::string::npos);

    const auto dataset = databox.only_dataset();
    CHECK(dataset.at("primaryKeys").as_array() == json::array{"id"});
    const auto& rows = dataset.at("rows").as_array();
    REQUIRE(rows.size() == 3);
    const auto& first = rows[0].as_object();
    CHECK(first.at("id").as_int64() == 2000101);
    CHECK(first.at("labels").as_string() == "bug, p1");
    CHECK(first.at("labels_count").as_int64() == 2);
    CHECK(first.at("milestone").as_string() == "1.0");
    CHECK(first.at("author").as_string() == "ada");
    CHECK(rows[1].at("created_at").as_string() == "2025-03-02T09:15:00.000Z");
    CHECK(rows[1].at("milestone").is_null());
    CHECK_FALSE(first.contains("body"));

    // the key is in no line of output and nowhere in the state store (run history, dead letters)
    CHECK(r.err.find(FakeDatabox::api_key) == std::string::npos);
    CHECK(r.out.find(FakeDatabox::api_key) == std::string::npos);
    CHECK(everything_in(dir.path()).find(FakeDatabox::api_key) == std::string::npos);
    CHECK(everything_in(dir.path()).find("github_issues") != std::string::npos);  // the search had something to read
}

TEST_CASE("Databox down mid-run: the run fails with one line, the next run sends what was not sent, once") {
    FakeDatabox databox;
    TempDir dir;
    // two files, so one is pushed before Databox fails
    write_file(dir / "issues" / "a.json", R"([{"id": 1, "number": 1, "title": "one", "state": "open",
        "user": {"login": "ann"}, "labels": [], "created_at": "2025-01-01T00:00:00Z",
        "updated_at": "2025-01-01T00:00:00Z", "closed_at": null}])");
    write_file(dir / "issues" / "b.json", R"([{"id": 2, "number": 2, "title": "two", "state": "open",
        "user": {"login": "bob"}, "labels": [], "created_at": "2025-01-02T00:00:00Z",
        "updated_at": "2025-01-02T00:00:00Z", "closed_at": null}])");
    const auto env = env_for(databox, dir, (dir / "issues").string());
    databox.fail_next(1000, 503);
    const auto failed = run(env + sh_quote(JUNCTION_BIN) + " run --once " + sh_quote(example));
    CHECK(failed.exit_code == 1);
    CHECK_MESSAGE(failed.err.find("503") != std::string::npos, failed.err);
    CHECK(failed.err.find("push provider=databox") != std::string::npos);
    CHECK(failed.err.find(" failed: POST ") != std::string::npos);
    CHECK(databox.only_dataset().at("rows").as_array().empty());

    databox.fail_next(0, 503);
    const auto again = run(env + sh_quote(JUNCTION_BIN) + " run --once " + sh_quote(example));
    CHECK_MESSAGE(again.exit_code == 0, again.err);
    const auto dataset = databox.only_dataset();
    CHECK(dataset.at("rows").as_array().size() == 2);
    CHECK(again.err.find(FakeDatabox::api_key) == std::string::npos);
    CHECK(failed.err.find(FakeDatabox::api_key) == std::string::npos);

    // a third run has nothing new to send
    const auto third = run(env + sh_quote(JUNCTION_BIN) + " run --once " + sh_quote(example));
    CHECK_MESSAGE(third.exit_code == 0, third.err);
    CHECK(databox.only_dataset().at("rows").as_array().size() == 2);
}

TEST_CASE("validate refuses a breaking schema version with what to do, and accepts a compatible one") {
    TempDir dir;
    const std::string v1 = file_bytes(source_dir + "/examples/databox/schemas/github_issues.v1.json");
    const std::string v2 = file_bytes(source_dir + "/examples/databox/schemas/github_issues.v2.json");
    write_file(dir / "schemas" / "github_issues.v1.json", v1);
    write_file(dir / "schemas" / "github_issues.v2.json", v2);
    auto v3 = json::parse(v2).as_object();
    v3["version"] = 3;
    v3["fields"].as_array()[2].as_object()["type"] = "integer";  // title
    write_file(dir / "schemas" / "github_issues.v3.json", json::serialize(v3));
    const auto config = [&](const std::string& schema) {
        write_file(dir / "c.json",
                   R"({"connections": {"databox": {"type": "api_key", "key": "k", "header": "x-api-key"}},
          "pipelines": [{"name": "p", "reader": {"plugin": "files", "options": {"dir": "in"}},
          "writer": {"plugin": "databox", "options": {"connection": "databox", "schema": ")" +
                       schema + R"("}}}]})");
        return run(sh_quote(JUNCTION_BIN) + " validate " + sh_quote((dir / "c.json").string()));
    };
    const auto ok = config("schemas/github_issues.v2.json");
    CHECK_MESSAGE(ok.exit_code == 0, ok.err);
    const auto refused = config("schemas/github_issues.v3.json");
    CHECK(refused.exit_code == 3);
    CHECK_MESSAGE(refused.err.find("c.json: pipelines[0].writer.options.schema: " +
                                   (dir / "schemas" / "github_issues.v3.json").string() +
                                   ": not a compatible evolution of github_issues.v2.json: field title: type changes "
                                   "from string to integer (v2 -> v3): rows already sent hold string values; publish "
                                   "it as a new dataset (\"dataset\": \"github_issues_v3\", version 1) and point the "
                                   "writer at it\n") != std::string::npos,
                  refused.err);
}

TEST_CASE("junction schema doc prints the tables the README carries, and refuses a bad file with one line") {
    const std::string readme = file_bytes(source_dir + "/README.md");
    for (const std::string name : {"github_issues.v1.json", "github_issues.v2.json", "hubspot_contacts.v1.json"}) {
        const auto r =
            run(sh_quote(JUNCTION_BIN) + " schema doc " + sh_quote(source_dir + "/examples/databox/schemas/" + name));
        REQUIRE_MESSAGE(r.exit_code == 0, r.err);
        CHECK(r.out.find("| field | type | nullable | primary key | source field | description |") !=
              std::string::npos);
        CHECK_MESSAGE(readme.find(r.out) != std::string::npos, "README.md does not carry the table of "
                                                                   << name << " as `junction schema doc` prints it:\n"
                                                                   << r.out);
    }
    TempDir dir;
    write_file(dir / "bad.json",
               R"({"dataset": "x", "version": 1, "primary_key": ["id"], "fields": [{"name": "id"}]})");
    const auto bad = run(sh_quote(JUNCTION_BIN) + " schema doc " + sh_quote((dir / "bad.json").string()));
    CHECK(bad.exit_code == 3);
    CHECK(bad.out.empty());
    CHECK(bad.err == (dir / "bad.json").string() + ": fields[0].type: required, missing\n");
}
