// The rest reader end to end through the real `junction` binary against the fake GitHub
// of tests/servers/rest-apis.mjs: Link pagination, a list of repositories as partitions,
// incremental sync by updated_at, a 429 storm, a deleted repository, no token in any log.
#include <doctest/doctest.h>

#include <map>
#include <set>

#include <boost/json/parse.hpp>

#include "rest_apis.hpp"
#include "subprocess.hpp"

using namespace junction::test;
namespace json = boost::json;

namespace {

const std::string bounded = "timeout -k 5 120 ";

struct GitHubRun {
    RestApis api;
    TempDir dir;

    explicit GitHubRun(
        const std::string& partitions = R"({"values": ["acme/widgets", "acme/gone", "acme/gears"]})",
        const std::string& path = "/repos/${partition.value}/issues") {
        write_file(dir / "github.json", R"({
          "state": "state.db",
          "connections": {"github": {"type": "bearer", "token": "${GITHUB_TOKEN}"}},
          "pipelines": [{
            "name": "github-issues",
            "reader": {"plugin": "rest", "options": {
              "connection": "github",
              "base_url": "${GITHUB_API}",
              "request": {"path": ")" + path + R"(",
                          "query": {"state": "all", "per_page": "3", "sort": "updated", "direction": "asc",
                                    "since": "${cursor.start}"},
                          "headers": {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}},
              "records": {"filter": [{"path": "$.pull_request", "exists": false}]},
              "key": "$.id",
              "paginator": {"type": "link"},
              "partitions": )" + partitions + R"(,
              "incremental": {"cursor_field": "$.updated_at"}}},
            "writer": {"plugin": "files", "options": {"dir": "out", "format": "ndjson", "file": "issues.ndjson"}}
          }]})");
    }

    Result run_once() const {
        const std::string env =
            "env GITHUB_TOKEN=" + std::string(RestApis::github_token) + " GITHUB_API=" + sh_quote(api.url()) + " ";
        return run(bounded + env + sh_quote(JUNCTION_BIN) + " run --once " + sh_quote((dir / "github.json").string()));
    }

    // The ids of the NDJSON lines written so far, in order.
    std::vector<std::int64_t> written() const {
        std::vector<std::int64_t> ids;
        for (const auto& line : lines_of(read_file(dir / "out" / "issues.ndjson")))
            ids.push_back(json::parse(line).at("id").as_int64());
        return ids;
    }

    json::object stats() const { return json::parse(api.control("stats", "GET")).as_object(); }
};

std::int64_t path_hits(const json::object& stats, const std::string& path) {
    const auto* v = stats.at("paths").as_object().if_contains(path);
    return v == nullptr ? 0 : v->as_int64();
}

std::vector<std::string> lines_containing(const std::string& text, const std::string& what) {
    std::vector<std::string> out;
    for (const auto& l : lines_of(text))
        if (l.find(what) != std::string::npos) out.push_back(l);
    return out;
}

}  // namespace

TEST_CASE("GitHub issues of a list of repositories: every page once, a deleted repository skipped, then only changes") {
    GitHubRun gh;
    gh.api.control("github/repo?name=acme/widgets&issues=7&prs=2");
    gh.api.control("github/repo?name=acme/gone&issues=2");
    gh.api.control("github/repo?name=acme/gears&issues=4");
    gh.api.control("github/delete?name=acme/gone");

    auto first = gh.run_once();
    REQUIRE_MESSAGE(first.exit_code == 0, first.err);
    auto ids = gh.written();
    CHECK(ids.size() == 11);  // 7 + 4 issues; the 2 pull requests filtered out; nothing of acme/gone
    CHECK(std::set<std::int64_t>(ids.begin(), ids.end()).size() == ids.size());
    for (const auto& line : lines_of(read_file(gh.dir / "out" / "issues.ndjson")))
        CHECK(line.find("pull_request") == std::string::npos);
    auto stats = gh.stats();
    CHECK(path_hits(stats, "/repos/acme/widgets/issues") == 3);  // 9 items, 3 a page
    CHECK(path_hits(stats, "/repos/acme/gears/issues") == 2);
    CHECK(path_hits(stats, "/repos/acme/gone/issues") == 1);
    const auto skipped = lines_containing(first.err, "acme/gone");
    REQUIRE(skipped.size() == 1);
    CHECK_MESSAGE(skipped[0].find("skipped: GET " + gh.api.url("/repos/acme/gone/issues") +
                                  ": 404 Not Found; nothing committed for it, the others go on") != std::string::npos,
                  skipped[0]);
    CHECK(lines_containing(first.err, "partition acme/widgets: done: 7 records, 3 pages").size() == 1);
    CHECK(first.err.find("read=11 written=11") != std::string::npos);

    // one issue edited, one added: the second run reads those two only
    gh.api.control("github/issue?repo=acme/widgets&number=1");
    gh.api.control("github/issue?repo=acme/gears");
    auto second = gh.run_once();
    REQUIRE_MESSAGE(second.exit_code == 0, second.err);
    ids = gh.written();
    REQUIRE(ids.size() == 13);
    CHECK(ids[11] == ids[0]);                                 // widgets #1, edited (updated_at now the newest)
    CHECK(std::count(ids.begin(), ids.end(), ids[12]) == 1);  // the new gears issue
    CHECK(second.err.find("read=2 written=2") != std::string::npos);
    stats = gh.stats();
    CHECK(path_hits(stats, "/repos/acme/widgets/issues") == 4);  // one page this time: since= did the work

    // nothing changed: nothing read, and the token is in no log line nor in the state store
    auto third = gh.run_once();
    REQUIRE_MESSAGE(third.exit_code == 0, third.err);
    CHECK(gh.written().size() == 13);
    for (const auto* text : {&first.err, &first.out, &second.err, &third.err})
        CHECK(text->find(RestApis::github_token) == std::string::npos);
    CHECK(read_file(gh.dir / "state.db").find(RestApis::github_token) == std::string::npos);
    CHECK(stats.at("unauthorized").as_int64() == 0);
}

TEST_CASE("a 429 storm with Retry-After is waited out: every issue arrives once") {
    GitHubRun gh;
    gh.api.control("github/repo?name=acme/widgets&issues=5");
    gh.api.control("github/repo?name=acme/gears&issues=2");
    gh.api.control("github/repo?name=acme/gone&issues=1");
    // the host's client tries each request 3 times, then the engine retries the read: 4
    // failures in a row outlast the client's own attempts
    gh.api.control("fail?count=4&status=429&retry_after=1&prefix=/repos/acme/widgets");
    auto r = gh.run_once();
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    const auto ids = gh.written();
    CHECK(ids.size() == 8);
    CHECK(std::set<std::int64_t>(ids.begin(), ids.end()).size() == 8);
    CHECK(gh.stats().at("failures").as_int64() == 4);
    CHECK(r.err.find("429") != std::string::npos);  // the engine says what it waited for
}

TEST_CASE("a wrong token fails the run with one line and writes nothing") {
    GitHubRun gh;
    gh.api.control("github/repo?name=acme/widgets&issues=2");
    const std::string env = "env GITHUB_TOKEN=ghp_wrong_token_value GITHUB_API=" + sh_quote(gh.api.url()) + " ";
    auto r = run(bounded + env + sh_quote(JUNCTION_BIN) + " run --once " + sh_quote((gh.dir / "github.json").string()));
    CHECK(r.exit_code == 1);
    const auto lines =
        lines_containing(r.err, "401 Unauthorized after refreshing the credentials of connection github");
    CHECK_MESSAGE(lines.size() == 1, r.err);
    CHECK(r.err.find("ghp_wrong_token_value") == std::string::npos);
    CHECK(read_file(gh.dir / "out" / "issues.ndjson").empty());
}

TEST_CASE("partitions from a parent request: the organisation's repositories, then each one's issues") {
    GitHubRun gh(R"({"parent": {"request": {"path": "/orgs/acme/repos", "query": {"per_page": "1"}},
                                "paginator": {"type": "link"}, "fields": {"repo": "$.full_name"}}})",
                 "/repos/${partition.repo}/issues");
    gh.api.control("github/repo?name=acme/widgets&issues=4&prs=1");
    gh.api.control("github/repo?name=acme/gears&issues=2");
    gh.api.control("github/repo?name=other/thing&issues=3");
    auto r = gh.run_once();
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    CHECK(gh.written().size() == 6);
    const auto stats = gh.stats();
    CHECK(path_hits(stats, "/orgs/acme/repos") == 2);  // one repository a page
    CHECK(path_hits(stats, "/repos/other/thing/issues") == 0);
    CHECK(lines_containing(r.err, "rest: partitions.parent done: 2 partitions, 2 pages").size() == 1);
}
