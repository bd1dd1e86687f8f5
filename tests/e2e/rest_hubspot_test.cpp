// The rest reader end to end against the fake HubSpot of tests/servers/rest-apis.mjs,
// behind an OAuth2 connection whose access tokens expire in seconds and whose refresh
// tokens rotate: the search endpoint paged by paging.next.after in the POST body,
// updatedAt incremental, a token renewed mid-run, a rotated refresh token surviving a
// SIGKILL, a 429 storm, a revoked refresh token, and no secret in any log line.
#include <doctest/doctest.h>

#include <csignal>
#include <filesystem>
#include <set>

#include <boost/json/parse.hpp>

#include "rest_apis.hpp"
#include "subprocess.hpp"

using namespace junction::test;
namespace json = boost::json;

namespace {

const std::string bounded = "timeout -k 5 120 ";

struct HubSpotRun {
    RestApis api;
    TempDir dir;

    HubSpotRun() {
        write_file(dir / "hubspot.json", R"({
          "state": "state.db",
          "connections": {"hubspot": {"type": "oauth2", "token_url": "${HUBSPOT_API}/oauth/v1/token",
                                      "client_id": "${HUBSPOT_CLIENT_ID}", "client_secret": "${HUBSPOT_CLIENT_SECRET}",
                                      "refresh_token": "${HUBSPOT_REFRESH_TOKEN}"}},
          "pipelines": [{
            "name": "hubspot-contacts",
            "reader": {"plugin": "rest", "options": {
              "connection": "hubspot",
              "base_url": "${HUBSPOT_API}",
              "request": {"method": "POST", "path": "/crm/v3/objects/contacts/search",
                          "body": {"filterGroups": [{"filters": [{"propertyName": "lastmodifieddate",
                                                                  "operator": "GTE", "value": "${cursor.start}"}]}],
                                   "sorts": [{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}],
                                   "properties": ["email", "firstname", "lastname", "lastmodifieddate"],
                                   "limit": 5}},
              "records": {"path": "$.results"},
              "key": "$.id",
              "paginator": {"type": "cursor", "cursor_path": "$.paging.next.after", "param": "after", "inject": "body"},
              "incremental": {"cursor_field": "$.updatedAt", "format": "epoch_ms", "start": "2024-01-01T00:00:00Z",
                              "sorted": true}}},
            "batch_size": 5,
            "writer": {"plugin": "files", "options": {"dir": "out", "format": "ndjson", "file": "contacts.ndjson"}}
          }]})");
    }

    [[nodiscard]] std::string command(const std::string& flags = "") const {
        const std::string env = std::string("env HUBSPOT_CLIENT_ID=") + RestApis::client_id +
                                " HUBSPOT_CLIENT_SECRET=" + RestApis::client_secret +
                                " HUBSPOT_REFRESH_TOKEN=" + RestApis::initial_refresh_token +
                                " HUBSPOT_API=" + sh_quote(api.url()) + " ";
        return env + sh_quote(JUNCTION_BIN) + flags + " run --once " + sh_quote((dir / "hubspot.json").string());
    }
    Result run_once(const std::string& flags = "") const { return run(bounded + command(flags)); }

    std::vector<std::string> written() const {
        std::vector<std::string> ids;
        for (const auto& line : lines_of(read_file(dir / "out" / "contacts.ndjson")))
            ids.emplace_back(json::parse(line).at("id").as_string());
        return ids;
    }
    json::object stats() const { return json::parse(api.control("stats", "GET")).as_object(); }

    // No client secret, access token nor refresh token in the text (the state store keeps
    // the current rotated refresh token encrypted, so none there either).
    void check_no_secrets(const std::string& text, const std::string& what) const {
        CHECK_MESSAGE(text.find(RestApis::client_secret) == std::string::npos, what);
        CHECK_MESSAGE(text.find("hs-at-s3cret") == std::string::npos, what);
        CHECK_MESSAGE(text.find(RestApis::initial_refresh_token) == std::string::npos, what);
        CHECK_MESSAGE(text.find("hs-rt-rotated-s3cret") == std::string::npos, what);
    }
};

std::int64_t hits(const json::object& stats, const std::string& path) {
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

TEST_CASE(
    "HubSpot contacts over OAuth2: tokens expiring mid-run are renewed, a 429 storm waited out, then only updates") {
    HubSpotRun hs;
    hs.api.control("hubspot/contacts?count=20");
    hs.api.control("oauth?expires_in=2&rotate=1");
    // every page takes 600 ms, so four pages outlive a 2 s token; 4 x 429 outlast the
    // client's own three attempts
    hs.api.control("delay?ms=600&count=4&prefix=/crm");
    auto first = hs.run_once();
    REQUIRE_MESSAGE(first.exit_code == 0, first.err);
    auto ids = hs.written();
    CHECK(ids.size() == 20);
    CHECK(std::set<std::string>(ids.begin(), ids.end()).size() == 20);
    auto stats = hs.stats();
    CHECK(stats.at("token_requests").as_int64() >= 2);  // renewed before it expired
    CHECK(stats.at("unauthorized").as_int64() == 0);
    CHECK(hits(stats, "/crm/v3/objects/contacts/search") == 4);

    hs.api.control("hubspot/update?id=105");
    hs.api.control("hubspot/contacts?count=1");
    hs.api.control("fail?count=4&status=429&retry_after=1&prefix=/crm");
    auto second = hs.run_once();
    REQUIRE_MESSAGE(second.exit_code == 0, second.err);
    ids = hs.written();
    // the last contact of the first run comes again (GTE its updatedAt), with the two changes
    REQUIRE(ids.size() == 23);
    CHECK(std::set<std::string>(ids.begin() + 20, ids.end()) == std::set<std::string>{"120", "105", "121"});
    CHECK(hs.stats().at("failures").as_int64() == 4);

    const auto refresh = hs.stats().at("refresh_tokens").as_array().at(0).as_string();
    for (const auto* text : {&first.err, &first.out, &second.err, &second.out})
        hs.check_no_secrets(*text, "a log");
    CHECK(refresh.starts_with("hs-rt-rotated-s3cret"));  // what the state store must not show
    hs.check_no_secrets(read_file(hs.dir / "state.db") + read_file(hs.dir / "state.db-wal"), "the state store");
    CHECK((std::filesystem::status(hs.dir / "state.db.key").permissions() & std::filesystem::perms::all) ==
          (std::filesystem::perms::owner_read | std::filesystem::perms::owner_write));
}

TEST_CASE("a rotated refresh token survives a SIGKILL between its refresh and its first use") {
    HubSpotRun hs;
    hs.api.control("hubspot/contacts?count=3");
    hs.api.control("oauth?expires_in=3600&rotate=1");
    hs.api.control("delay?ms=30000&count=1&prefix=/crm");  // the first API call hangs
    {
        Background host(hs.command(), hs.dir / "kill.out", hs.dir / "kill.err");
        REQUIRE(eventually([&] { return hits(hs.stats(), "/crm/v3/objects/contacts/search") == 1; }));
        CHECK(hs.stats().at("token_requests").as_int64() == 1);  // refreshed: the initial token is spent
        host.signal(SIGKILL);
        CHECK(host.wait() == 128 + SIGKILL);
    }
    auto again = hs.run_once();
    REQUIRE_MESSAGE(again.exit_code == 0, again.err);
    CHECK(hs.written().size() == 3);
    const auto stats = hs.stats();
    CHECK(stats.at("token_requests").as_int64() == 2);  // with the rotated token the killed run stored
    CHECK(stats.at("unauthorized").as_int64() == 0);
    CHECK(again.err.find("invalid_grant") == std::string::npos);
}

TEST_CASE("a token key file readable by others refuses the run with one line naming it and the fix") {
    HubSpotRun hs;
    write_file(hs.dir / "state.db.key", std::string(32, 'k'));
    std::filesystem::permissions(hs.dir / "state.db.key", std::filesystem::perms(0644));
    auto r = hs.run_once();
    CHECK(r.exit_code == 1);
    const auto key = (hs.dir / "state.db.key").string();
    CHECK(lines_containing(r.err, key).size() == 1);
    CHECK(r.err.find("has mode 0644, readable by others: run chmod 600 " + key) != std::string::npos);
    CHECK(hs.stats().at("token_requests").as_int64() == 0);
}

TEST_CASE("a revoked refresh token fails the run with one clear line and no secret, in JSON lines too") {
    HubSpotRun hs;
    hs.api.control("hubspot/contacts?count=2");
    hs.api.control("oauth/revoke");
    auto r = hs.run_once(" --log-format json");
    CHECK(r.exit_code == 1);
    for (const auto& line : lines_of(r.err)) {
        boost::system::error_code ec;
        (void)json::parse(line, ec);
        CHECK_MESSAGE(!ec, "not a JSON line: " << line);
    }
    const auto lines = lines_containing(r.err, "invalid_grant");
    CHECK(lines.size() == 1);
    CHECK(lines_containing(r.err, "connection hubspot").size() >= 1);
    hs.check_no_secrets(r.err + r.out, "the log");
    hs.check_no_secrets(read_file(hs.dir / "state.db") + read_file(hs.dir / "state.db-wal"), "the state store");
    CHECK(read_file(hs.dir / "out" / "contacts.ndjson").empty());
}
