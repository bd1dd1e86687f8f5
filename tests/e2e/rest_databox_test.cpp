// Job 2 end to end through the `junction` binary: the rest reader into the databox writer,
// against the fake GitHub and HubSpot (tests/servers/rest-apis.mjs) and the fake Databox
// (tests/servers/databox-server.mjs) over real sockets. Every page followed, every row
// once, incremental second runs, a row the dataset schema refuses, OAuth2 tokens expiring
// mid-run, a 429 storm, Databox going down mid-run, and no secret anywhere.
#include <doctest/doctest.h>

#include <algorithm>
#include <map>
#include <set>

#include <boost/json/parse.hpp>

#include "databox_server.hpp"
#include "rest_apis.hpp"
#include "subprocess.hpp"

using namespace junction::test;
namespace json = boost::json;

namespace {

const std::string bounded = "timeout -k 5 120 ";
const std::string schemas = std::string(JUNCTION_SOURCE_DIR) + "/examples/databox/schemas/";

// The GitHub-like issues reader: a list of repositories, Link pagination with 2 issues a
// page, pull requests filtered out, incremental by updated_at (sorted, no lookback).
std::string github_reader(const std::string& repos) {
    return R"({"plugin": "rest", "options": {
      "connection": "github", "base_url": "${GITHUB_API}",
      "request": {"path": "/repos/${partition.value}/issues",
                  "query": {"state": "all", "per_page": "2", "sort": "updated", "direction": "asc",
                            "since": "${cursor.start}"},
                  "headers": {"Accept": "application/vnd.github+json"}},
      "records": {"filter": [{"path": "$.pull_request", "exists": false}]},
      "key": "$.id", "paginator": {"type": "link"},
      "partitions": {"values": )" +
           repos + R"(},
      "incremental": {"cursor_field": "$.updated_at", "sorted": true}}})";
}

// HubSpot's contact search behind an OAuth2 refresh token, 5 contacts a page.
const std::string hubspot_reader = R"({"plugin": "rest", "options": {
      "connection": "hubspot", "base_url": "${HUBSPOT_API}",
      "request": {"method": "POST", "path": "/crm/v3/objects/contacts/search",
                  "body": {"filterGroups": [{"filters": [{"propertyName": "lastmodifieddate",
                                                          "operator": "GTE", "value": "${cursor.start}"}]}],
                           "sorts": [{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}],
                           "limit": 5}},
      "records": {"path": "$.results"},
      "key": "$.id",
      "paginator": {"type": "cursor", "cursor_path": "$.paging.next.after", "param": "after", "inject": "body"},
      "incremental": {"cursor_field": "$.updatedAt", "format": "epoch_ms", "start": "2024-01-01T00:00:00Z",
                      "sorted": true}}})";

// The fakes, a state folder, and a config with one rest -> databox pipeline.
struct Job {
    RestApis api;
    FakeDatabox databox;
    TempDir dir;
    std::string pipeline;
    std::vector<std::string> texts;  // everything junction printed, for the secrets check

    Job(const std::string& name, const std::string& reader, const std::string& schema, int batch_size = 5)
        : pipeline(name) {
        write_file(dir / "job.json", R"({
          "state": "state.db",
          "connections": {
            "github": {"type": "bearer", "token": "${GITHUB_TOKEN}"},
            "hubspot": {"type": "oauth2", "token_url": "${HUBSPOT_API}/oauth/v1/token",
                        "client_id": "${HUBSPOT_CLIENT_ID}", "client_secret": "${HUBSPOT_CLIENT_SECRET}",
                        "refresh_token": "${HUBSPOT_REFRESH_TOKEN}"},
            "databox": {"type": "api_key", "key": "${DATABOX_API_KEY}", "header": "x-api-key"}},
          "pipelines": [{
            "name": ")" + name + R"(",
            "reader": )" + reader + R"(,
            "batch_size": )" + std::to_string(batch_size) + R"(,
            "writer": {"plugin": "databox", "options": {"connection": "databox", "base_url": "${DATABOX_URL}",
                                                        "schema": ")" +
                                         schemas + schema + R"("}},
            "retry": {"max_attempts": 2, "initial_backoff_ms": 100, "max_backoff_ms": 200}
          }]})");
    }

    [[nodiscard]] std::string junction(const std::string& args) const {
        return std::string("env GITHUB_TOKEN=") + RestApis::github_token + " GITHUB_API=" + sh_quote(api.url()) +
               " HUBSPOT_API=" + sh_quote(api.url()) + " HUBSPOT_CLIENT_ID=" + RestApis::client_id +
               " HUBSPOT_CLIENT_SECRET=" + RestApis::client_secret +
               " HUBSPOT_REFRESH_TOKEN=" + RestApis::initial_refresh_token + " DATABOX_URL=" +
               sh_quote(databox.url()) + " DATABOX_API_KEY=" + FakeDatabox::api_key + " " + sh_quote(JUNCTION_BIN) +
               " " + args;
    }
    [[nodiscard]] std::string config() const { return sh_quote((dir / "job.json").string()); }
    Result cli(const std::string& args) {
        auto r = run(bounded + junction(args));
        texts.push_back(r.out);
        texts.push_back(r.err);
        return r;
    }
    Result run_once() { return cli("run --once " + config()); }

    json::object stats() const { return json::parse(api.control("stats", "GET")).as_object(); }

    // The push log, oldest first.
    std::vector<json::object> pushes() {
        const auto r = cli("runs " + config() + " --pushes --json --limit 0");
        REQUIRE_MESSAGE(r.exit_code == 0, r.err);
        std::vector<json::object> out;
        for (const auto& line : lines_of(r.out)) out.push_back(json::parse(line).as_object());
        std::reverse(out.begin(), out.end());
        return out;
    }
    // Rows of the successful pushes of run `run_id`.
    std::int64_t rows_pushed(std::int64_t run_id) {
        std::int64_t n = 0;
        for (const auto& p : pushes())
            if (p.at("ok").as_bool() && p.at("run_id").is_int64() && p.at("run_id").as_int64() == run_id)
                n += p.at("rows").as_int64();
        return n;
    }
    // Records Databox stored over every ingestion that succeeded.
    std::int64_t rows_ingested() {
        std::int64_t n = 0;
        for (const auto& r : databox.requests()) {
            const auto& o = r.as_object();
            if (o.at("method").as_string() == "POST" && o.at("path").as_string().ends_with("/data") &&
                o.at("status").as_int64() == 200)
                n += o.at("records").as_int64();
        }
        return n;
    }
    json::array rows() { return databox.only_dataset().at("rows").as_array(); }

    // No client secret, access token, API key nor GitHub token in anything junction printed,
    // its dead letters, run history, push log or state store files.
    void check_no_secrets() {
        const auto dead = cli("dead-letters " + config() + " " + pipeline + " --json");
        CHECK_MESSAGE(dead.exit_code == 0, dead.err);
        (void)cli("runs " + config() + " --json --limit 0");
        (void)pushes();
        std::string state;
        for (const char* f : {"state.db", "state.db-wal", "state.db-shm"}) state += read_file(dir / f);
        CHECK(state.find(pipeline) != std::string::npos);  // the search reads something
        std::vector<std::pair<std::string, std::string>> places{{"the state store", state}};
        for (std::size_t i = 0; i < texts.size(); ++i) places.emplace_back("output " + std::to_string(i), texts[i]);
        for (const auto& entry : places) {
            const auto& where = entry.first;
            const auto& text = entry.second;
            CAPTURE(where);
            CHECK(text.find(RestApis::client_secret) == std::string::npos);
            CHECK(text.find("hs-at-s3cret") == std::string::npos);  // every access token the fake issued
            CHECK(text.find(FakeDatabox::api_key) == std::string::npos);
            CHECK(text.find(RestApis::github_token) == std::string::npos);
            CHECK(text.find(RestApis::initial_refresh_token) == std::string::npos);
            // Rotated refresh tokens are kept encrypted (AES-256-GCM, the key in state.db.key).
            CHECK(text.find("hs-rt-rotated-s3cret") == std::string::npos);
        }
    }
};

std::vector<std::string> lines_containing(const std::string& text, const std::string& what) {
    std::vector<std::string> out;
    for (const auto& l : lines_of(text))
        if (l.find(what) != std::string::npos) out.push_back(l);
    return out;
}

std::int64_t hits(const json::object& stats, const std::string& path) {
    const auto* v = stats.at("paths").as_object().if_contains(path);
    return v == nullptr ? 0 : v->as_int64();
}

// The `since` of every request of one path, in order (an empty string when absent).
std::vector<std::string> since_of(const json::object& stats, const std::string& path) {
    std::vector<std::string> out;
    for (const auto& s : stats.at("since").as_array())
        if (s.at("path").as_string() == path)
            out.emplace_back(s.at("since").is_null() ? "" : std::string(s.at("since").as_string()));
    return out;
}

// "2024-01-01T09:00:00.000Z" (Databox's rows) as GitHub writes it: "2024-01-01T09:00:00Z".
std::string github_time(std::string t) {
    if (const auto at = t.find(".000Z"); at != std::string::npos) t.replace(at, 5, "Z");
    return t;
}

}  // namespace

TEST_CASE("GitHub issues into Databox: every page, every row once, a bad row dead-lettered, then only changes") {
    Job job("github-issues", github_reader(R"(["acme/widgets", "acme/gears", "acme/tools"])"),
            "github_issues.v2.json");
    job.api.control("github/repo?name=acme/widgets&issues=7&prs=2");  // 9 items: 5 pages of 2
    job.api.control("github/repo?name=acme/gears&issues=5");          // 3 pages
    job.api.control("github/repo?name=acme/tools&issues=4&prs=1");    // 3 pages
    // one issue whose number is a string: the schema says integer
    const auto bad =
        json::parse(job.api.control("github/set?repo=acme/gears&number=2&field=number&json=%22two%22")).as_object();

    const auto first = job.run_once();
    REQUIRE_MESSAGE(first.exit_code == 0, first.err);
    auto stats = job.stats();
    CHECK(hits(stats, "/repos/acme/widgets/issues") == 5);
    CHECK(hits(stats, "/repos/acme/gears/issues") == 3);
    CHECK(hits(stats, "/repos/acme/tools/issues") == 3);
    CHECK(first.err.find("read=16 written=15 invalid=1") != std::string::npos);

    // 16 issues, the bad one refused: 15 rows, each sent once, no pull request among them
    auto rows = job.rows();
    CHECK(rows.size() == 15);
    CHECK(job.rows_ingested() == 15);
    CHECK(job.rows_pushed(1) == 15);
    std::set<std::int64_t> ids;
    std::map<std::string, std::string> newest;  // repository -> newest updated_at of its rows
    for (const auto& row : rows) {
        ids.insert(row.at("id").as_int64());
        const std::string title(row.at("title").as_string());
        const auto repo = title.substr(title.rfind(' ') + 1);
        newest[repo] = std::max(newest[repo], github_time(std::string(row.at("updated_at").as_string())));
    }
    CHECK(ids.size() == 15);
    CHECK_FALSE(ids.contains(bad.at("id").as_int64()));

    // the dead letter names the field and the reason
    const auto dead = job.cli("dead-letters " + job.config() + " github-issues --json");
    REQUIRE_MESSAGE(dead.exit_code == 0, dead.err);
    const auto letters = lines_of(dead.out);
    REQUIRE(letters.size() == 1);
    const auto letter = json::parse(letters[0]).as_object();
    CHECK(letter.at("reason").as_string() ==
          "does not fit dataset schema github_issues v2: number: expected integer, got string");
    CHECK(letter.at("payload").at("id") == bad.at("id"));
    CHECK(lines_containing(first.err, "record rejected: does not fit dataset schema github_issues v2: number: "
                                      "expected integer, got string")
              .size() == 1);

    // one issue edited, one added: the second run asks for what changed since each
    // repository's newest issue of the first run, and pushes those two only
    job.api.control("github/issue?repo=acme/widgets&number=1");
    job.api.control("github/issue?repo=acme/tools");
    const auto second = job.run_once();
    REQUIRE_MESSAGE(second.exit_code == 0, second.err);
    stats = job.stats();
    const auto widgets_since = since_of(stats, "/repos/acme/widgets/issues");
    const auto gears_since = since_of(stats, "/repos/acme/gears/issues");
    const auto tools_since = since_of(stats, "/repos/acme/tools/issues");
    REQUIRE(widgets_since.size() == 6);  // one page this time
    REQUIRE(gears_since.size() == 4);
    REQUIRE(tools_since.size() == 4);
    CHECK(std::all_of(widgets_since.begin(), widgets_since.end() - 1, [](const auto& s) { return s.empty(); }));
    CHECK(widgets_since.back() == newest["acme/widgets"]);
    CHECK(gears_since.back() == std::string(bad.at("updated_at").as_string()));  // dead-lettered, still read
    CHECK(tools_since.back() == newest["acme/tools"]);
    CHECK(second.err.find("read=2 written=2 invalid=0") != std::string::npos);
    CHECK(job.rows_pushed(2) == 2);
    CHECK(job.rows_ingested() == 17);
    rows = job.rows();
    CHECK(rows.size() == 16);  // the edited one updated in place, the new one added
    const auto edited = std::count_if(rows.begin(), rows.end(), [](const json::value& r) {
        return r.at("title").as_string() == "Issue 1 of acme/widgets (edited)";
    });
    CHECK(edited == 1);
    job.check_no_secrets();
}

TEST_CASE("HubSpot contacts into Databox over OAuth2: a token expiring mid-run, a 429 storm, every contact once") {
    Job job("hubspot-contacts", hubspot_reader, "hubspot_contacts.v1.json");
    job.api.control("hubspot/contacts?count=20");
    job.api.control("oauth?expires_in=2&rotate=1");
    // four pages each wait 600 ms and four 429s (Retry-After: 1) outlast the client's three
    // attempts: the run outlives its first 2 s access token
    job.api.control("delay?ms=600&count=4&prefix=/crm");
    job.api.control("fail?count=4&status=429&retry_after=1&prefix=/crm");
    const auto r = job.run_once();
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    const auto stats = job.stats();
    CHECK(stats.at("failures").as_int64() == 4);
    CHECK(stats.at("token_requests").as_int64() >= 2);  // the first token expired and was renewed
    const auto grants = stats.at("grants").as_array();
    CHECK(std::all_of(grants.begin(), grants.end(), [](const json::value& g) { return g.as_string() == "refresh_token"; }));
    CHECK(r.err.find("429") != std::string::npos);

    const auto rows = job.rows();
    CHECK(rows.size() == 20);
    CHECK(job.rows_ingested() == 20);  // each contact sent once: the 429s were waited out, not replayed
    CHECK(job.rows_pushed(1) == 20);
    std::set<std::string> ids;
    for (const auto& row : rows) ids.emplace(row.at("id").as_string());
    CHECK(ids.size() == 20);
    CHECK(ids.contains("101"));
    CHECK(ids.contains("120"));
    CHECK(rows.at(0).at("email").as_string().ends_with("@example.com"));
    job.check_no_secrets();
}

TEST_CASE("Databox down mid-run: retried, the run fails with one line, the next run sends the rest; both logged") {
    // a batch a page, so each page's rows are pushed before the next page is read
    Job job("github-issues", github_reader(R"(["acme/widgets", "acme/gears"])"), "github_issues.v2.json", 2);
    job.api.control("github/repo?name=acme/widgets&issues=6");
    job.api.control("github/repo?name=acme/gears&issues=5");
    // Databox goes down once acme/widgets's three pages are in: every connection reset
    job.databox.down_after(3);
    const auto failed_run = job.run_once();
    const auto& err = failed_run.err;
    CHECK(failed_run.exit_code == 1);
    const auto errors = lines_containing(err, " ERROR ");
    REQUIRE_MESSAGE(errors.size() == 1, err);
    CHECK(errors[0].find("pipeline github-issues failed: writer databox") != std::string::npos);
    CHECK(errors[0].find("databox: POST " + job.databox.url("/v1/datasets/")) != std::string::npos);
    CHECK(lines_containing(err, "run finished pipeline=github-issues outcome=failed").size() == 1);
    const auto sent = static_cast<std::int64_t>(job.rows().size());  // 6 when a batch is a page
    CHECK(sent > 0);
    CHECK(sent < 11);
    CHECK(job.rows_pushed(1) == sent);

    job.databox.set_down(false);
    const auto again = job.run_once();
    REQUIRE_MESSAGE(again.exit_code == 0, again.err);
    CHECK(job.rows().size() == 11);  // each issue once
    // Everything not sent goes now. The engine commits the batches of a write group
    // together, so those of the group that failed may be sent again (at least once;
    // Databox updates them in place by primary key); anything committed is not.
    const auto resent = job.rows_pushed(2);
    CHECK(resent >= 11 - sent);
    CHECK(resent <= 11);
    CHECK(job.rows_ingested() == sent + resent);

    // the push log holds the failed pushes of run 1 (with their error) and the good ones of both
    std::int64_t failed = 0;
    for (const auto& p : job.pushes()) {
        CHECK(p.at("provider").as_string() == "databox");
        if (p.at("ok").as_bool()) continue;
        ++failed;
        CHECK(p.at("run_id").as_int64() == 1);
        CHECK(p.at("error").as_string().find("POST " + job.databox.url("/v1/datasets/")) != std::string::npos);
    }
    CHECK(failed >= 2);  // the engine tried the batch twice (retry.max_attempts)
    job.check_no_secrets();
}
