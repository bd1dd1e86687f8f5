// The example configs run as shipped: the no-code mapping example end to end.
#include <map>

#include <boost/json/parse.hpp>

#include "databox_server.hpp"
#include "rest_apis.hpp"
#include "subprocess.hpp"

#include <doctest/doctest.h>

using namespace junction::test;
namespace json = boost::json;

TEST_CASE("the no-code mapping example reshapes contacts and rejects the one without an email") {
    TempDir dir;
    const std::string env = "env CONTACTS_OUT=" + sh_quote((dir / "out").string()) +
                            " JUNCTION_STATE=" + sh_quote((dir / "state.db").string()) + " ";
    const std::string config = std::string(JUNCTION_SOURCE_DIR) + "/examples/no-code/contacts.json";
    auto valid = run(env + sh_quote(JUNCTION_BIN) + " validate " + sh_quote(config));
    CHECK_MESSAGE(valid.exit_code == 0, valid.err);
    auto r = run(env + sh_quote(JUNCTION_BIN) + " run --once " + sh_quote(config));
    CHECK_MESSAGE(r.exit_code == 0, r.err);
    CHECK(r.err.find("read=4 written=3 invalid=1") != std::string::npos);
    CHECK(r.err.find("properties.email") != std::string::npos);  // the reject names the missing field
    auto ada = json::parse(read_file(dir / "out" / "contact-101.json")).as_object();
    CHECK(ada.at("first_name").as_string() == "Ada");
    CHECK(ada.at("email").as_string() == "ada@example.com");
    CHECK(ada.at("stage").as_string() == "customer");
    CHECK(ada.at("created_at").as_string() == "2025-03-01T12:15:00.000Z");
    CHECK(ada.at("source").as_string() == "crm");
    CHECK_FALSE(ada.contains("properties"));
    auto edsger = json::parse(read_file(dir / "out" / "contact-104.json")).as_object();
    CHECK(edsger.at("stage").as_string() == "other");
    CHECK(edsger.at("created_at").as_string() == "2025-03-04T07:00:00.000Z");
    CHECK_FALSE(std::filesystem::exists(dir / "out" / "contact-103.json"));
}

TEST_CASE("validate runs the plugin's own checks: a files writer without file_name is refused before running") {
    TempDir dir;
    write_file(dir / "c.json", R"({"pipelines": [{"name": "a",
        "reader": {"plugin": "files", "options": {"dir": "in"}},
        "writer": {"plugin": "files", "options": {"dir": "out"}}}]})");
    auto r = run(sh_quote(JUNCTION_BIN) + " validate " + sh_quote((dir / "c.json").string()));
    CHECK(r.exit_code == 3);
    CHECK(r.err.find("pipelines[0].writer.options.file_name: required for format object, e.g. \"{orderNo}.json\"") !=
          std::string::npos);
}

TEST_CASE("the state store's folder is created when missing") {
    TempDir dir;
    write_file(dir / "c.json", R"({"state": "deep/er/state.db", "pipelines": [{"name": "a",
        "reader": {"plugin": "files", "options": {"dir": "in"}},
        "writer": {"plugin": "files", "options": {"dir": "out", "format": "ndjson"}}}]})");
    auto r = run(sh_quote(JUNCTION_BIN) + " run --once " + sh_quote((dir / "c.json").string()));
    CHECK_MESSAGE(r.exit_code == 0, r.err);
    CHECK(std::filesystem::exists(dir / "deep" / "er" / "state.db"));
    CHECK(std::filesystem::is_directory(dir / "in"));  // the reader creates its missing folder too
}

TEST_CASE("the rest examples validate and run against the local fake APIs and fake Databox as the README says") {
    RestApis api;
    FakeDatabox databox;
    api.control("github/repo?name=acme/widgets&issues=12&prs=3&commits=8");
    api.control("github/repo?name=acme/gears&issues=5&commits=4");
    api.control("hubspot/contacts?count=25");
    TempDir dir;
    const std::string env = "env REST_OUT=" + sh_quote((dir / "out").string()) +
                            " JUNCTION_STATE=" + sh_quote((dir / "state.db").string()) +
                            " GITHUB_API=" + sh_quote(api.url()) + " GITHUB_TOKEN=" + RestApis::github_token +
                            " HUBSPOT_API=" + sh_quote(api.url()) + " HUBSPOT_CLIENT_ID=" + RestApis::client_id +
                            " HUBSPOT_CLIENT_SECRET=" + RestApis::client_secret +
                            " HUBSPOT_REFRESH_TOKEN=" + RestApis::initial_refresh_token +
                            " OPENDATA_API=" + sh_quote(api.url()) + " DATABOX_URL=" + sh_quote(databox.url()) +
                            " DATABOX_API_KEY=" + FakeDatabox::api_key + " ";
    const std::string examples = std::string(JUNCTION_SOURCE_DIR) + "/examples/rest/";
    for (const char* name : {"github-issues.json", "hubspot-contacts.json", "open-data.json"}) {
        CAPTURE(name);
        auto valid = run(env + sh_quote(JUNCTION_BIN) + " validate " + sh_quote(examples + name));
        CHECK_MESSAGE(valid.exit_code == 0, valid.err);
        auto r = run("timeout -k 5 120 " + env + sh_quote(JUNCTION_BIN) + " run --once " + sh_quote(examples + name));
        CHECK_MESSAGE(r.exit_code == 0, r.err);
        CHECK(r.err.find(RestApis::github_token) == std::string::npos);
        CHECK(r.err.find(RestApis::client_secret) == std::string::npos);
        CHECK(r.err.find(FakeDatabox::api_key) == std::string::npos);
    }
    std::map<std::string, std::size_t> rows;
    for (const auto& d : databox.datasets())
        rows[std::string(d.at("title").as_string())] = d.at("rows").as_array().size();
    CHECK(rows == std::map<std::string, std::size_t>{{"github_issues", 17}, {"hubspot_contacts", 25}});  // no PRs
    CHECK_FALSE(std::filesystem::exists(dir / "out" / "github-issues.ndjson"));
    CHECK(lines_of(read_file(dir / "out" / "github-commits.ndjson")).size() == 12);  // no dataset schema: a file
    CHECK(std::filesystem::exists(dir / "out" / "10000.json"));  // the first of 237 Velib' stations
    CHECK(std::filesystem::exists(dir / "out" / "10236.json"));
}
