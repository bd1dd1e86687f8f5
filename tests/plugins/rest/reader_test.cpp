// The rest reader against scripted HTTP replies: pages followed, records selected,
// partitions, incremental positions, and what each refusal does.
#include <doctest/doctest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <junction/sdk/testing.hpp>

#include "reader.hpp"
#include "rest_config.hpp"

using namespace junction;
using namespace junction::rest;
using sdk::testing::TestContext;
namespace json = boost::json;

namespace {

json::object options(std::string_view text) {
    return json::parse(text).as_object();
}

std::string issues(std::initializer_list<std::pair<int, const char*>> items) {
    json::array a;
    for (const auto& [id, updated] : items)
        a.push_back(json::object{{"id", id}, {"updated_at", updated}});
    return json::serialize(a);
}

sdk::HttpHeader link_next(const std::string& url) {
    return {"Link", "<" + url + ">; rel=\"next\", <" + url + "&last=1>; rel=\"last\""};
}

std::vector<std::string> ids(const std::vector<sdk::Record>& records) {
    std::vector<std::string> out;
    for (const auto& r : records)
        out.push_back(r.meta.key);
    return out;
}

std::vector<std::string> positions(const std::vector<sdk::Record>& records) {
    std::vector<std::string> out;
    for (const auto& r : records)
        out.push_back(r.meta.position);
    return out;
}

std::vector<std::string> urls(TestContext& ctx) {
    std::vector<std::string> out;
    for (const auto& r : ctx.http().requests())
        out.push_back(r.url);
    return out;
}

// One read() call.
sdk::Status read_once(RestReader& reader, std::vector<sdk::Record>& into, bool& end, std::size_t max = 100) {
    sdk::Batch batch;
    auto st = reader.read(batch, max, end);
    for (auto& r : batch)
        into.push_back(std::move(r));
    return st;
}

const char* github = R"({
    "base_url": "http://api.test",
    "request": {"path": "/repos/acme/widgets/issues", "query": {"state": "all", "per_page": "2"}},
    "key": "$.id",
    "paginator": {"type": "link"}})";

}  // namespace

TEST_CASE("link pagination: every page followed once, in order, until no next link") {
    TestContext ctx(reader_options(), options(github));
    ctx.http().add_response(200, issues({{1, "2024-01-01T00:00:00Z"}, {2, "2024-01-02T00:00:00Z"}}),
                            {link_next("http://api.test/repos/acme/widgets/issues?state=all&per_page=2&page=2")});
    ctx.http().add_response(200, issues({{3, "2024-01-03T00:00:00Z"}, {4, "2024-01-04T00:00:00Z"}}),
                            {link_next("http://api.test/repos/acme/widgets/issues?state=all&per_page=2&page=3")});
    ctx.http().add_response(200, issues({{5, "2024-01-05T00:00:00Z"}}));
    RestReader reader;
    REQUIRE(reader.open(ctx).is_ok());
    const auto records = sdk::testing::read_all(reader, ctx);
    CHECK(ids(records) == std::vector<std::string>{"1", "2", "3", "4", "5"});
    CHECK(urls(ctx) ==
          std::vector<std::string>{"http://api.test/repos/acme/widgets/issues?state=all&per_page=2",
                                   "http://api.test/repos/acme/widgets/issues?state=all&per_page=2&page=2",
                                   "http://api.test/repos/acme/widgets/issues?state=all&per_page=2&page=3"});
    CHECK(records[0].meta.source == "GET http://api.test/repos/acme/widgets/issues");
    CHECK(records[0].meta.partition.empty());
    CHECK(records[0].meta.position.empty());  // full refresh: nothing to commit
    CHECK(ctx.metrics().value("pages_total", {{"stream", ""}}) == 3);
    CHECK(ctx.metrics().value("records_total", {{"stream", ""}}) == 5);
    CHECK(ctx.logger().contains(sdk::LogLevel::info, "rest: done: 5 records, 3 pages"));
}

TEST_CASE("read() makes one request per call and never returns more records than asked") {
    TestContext ctx(reader_options(), options(github));
    ctx.http().add_response(200, issues({{1, "a"}, {2, "b"}, {3, "c"}}),
                            {link_next("http://api.test/repos/acme/widgets/issues?page=2")});
    ctx.http().add_response(200, issues({{4, "d"}}));
    RestReader reader;
    REQUIRE(reader.open(ctx).is_ok());
    std::vector<sdk::Record> got;
    bool end = false;
    REQUIRE(read_once(reader, got, end, 2).is_ok());
    CHECK(got.size() == 2);
    CHECK(ctx.http().requests().size() == 1);
    REQUIRE(read_once(reader, got, end, 2).is_ok());
    CHECK(got.size() == 3);  // the rest of the page, no new request
    CHECK(ctx.http().requests().size() == 1);
    CHECK_FALSE(end);
    REQUIRE(read_once(reader, got, end, 2).is_ok());
    CHECK(got.size() == 4);
    CHECK(end);
}

TEST_CASE("a Link to another origin is refused: the connection's credentials would go there") {
    TestContext ctx(reader_options(), options(github));
    ctx.http().add_response(200, issues({{1, "a"}}), {link_next("http://evil.test/steal?page=2")});
    RestReader reader;
    REQUIRE(reader.open(ctx).is_ok());
    std::vector<sdk::Record> got;
    bool end = false;
    const auto st = read_once(reader, got, end);
    CHECK(st.code() == sdk::Code::fatal);
    CHECK(st.message() ==
          "GET http://api.test/repos/acme/widgets/issues: the Link header's next page is on another origin "
          "(http://evil.test); refused, the connection's credentials would go there");
}

TEST_CASE("cursor pagination in the query: HubSpot's paging.next.after sent as after") {
    TestContext ctx(reader_options(), options(R"({
        "base_url": "http://hub.test", "connection": "hubspot",
        "request": {"path": "/crm/v3/objects/contacts", "query": {"limit": "2"}},
        "records": {"path": "$.results"}, "key": "$.id",
        "paginator": {"type": "cursor", "cursor_path": "$.paging.next.after", "param": "after"}})"));
    ctx.credentials().set_bearer("hubspot", "tok");
    ctx.http().add_response(200, R"({"results":[{"id":"1"},{"id":"2"}],"paging":{"next":{"after":"2"}}})");
    ctx.http().add_response(200, R"({"results":[{"id":"3"}]})");
    RestReader reader;
    REQUIRE(reader.open(ctx).is_ok());
    CHECK(ids(sdk::testing::read_all(reader, ctx)) == std::vector<std::string>{"1", "2", "3"});
    CHECK(urls(ctx) == std::vector<std::string>{"http://hub.test/crm/v3/objects/contacts?limit=2",
                                                "http://hub.test/crm/v3/objects/contacts?limit=2&after=2"});
    const auto sent = ctx.http().requests();
    CHECK(sent[0].connection == "hubspot");
    CHECK(sent[0].headers.back().value == "Bearer tok");
}

TEST_CASE("cursor pagination in a POST body, with the incremental start in the filter") {
    TestContext ctx(reader_options(), options(R"({
        "base_url": "http://hub.test",
        "request": {"method": "POST", "path": "/crm/v3/objects/contacts/search",
                    "body": {"filterGroups": [{"filters": [{"propertyName": "lastmodifieddate", "operator": "GTE",
                                                             "value": "${cursor.start}"}]}],
                             "sorts": [{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}], "limit": 2}},
        "records": {"path": "$.results"}, "key": "$.id",
        "paginator": {"type": "cursor", "cursor_path": "$.paging.next.after", "param": "after", "inject": "body"},
        "incremental": {"cursor_field": "$.updatedAt", "format": "epoch_ms", "start": "2024-01-01T00:00:00Z",
                        "sorted": true}})"));
    ctx.http().add_response(
        200,
        R"({"total":3,"results":[{"id":"1","updatedAt":"2024-02-01T00:00:00Z"},{"id":"2","updatedAt":"2024-03-01T00:00:00Z"}],"paging":{"next":{"after":"2"}}})");
    ctx.http().add_response(200, R"({"total":3,"results":[{"id":"3","updatedAt":"2024-04-01T00:00:00Z"}]})");
    RestReader reader;
    REQUIRE(reader.open(ctx).is_ok());
    const auto records = sdk::testing::read_all(reader, ctx);
    CHECK(positions(records) == std::vector<std::string>{R"({"cursor":"2024-02-01T00:00:00Z"})",
                                                         R"({"cursor":"2024-03-01T00:00:00Z"})",
                                                         R"({"cursor":"2024-04-01T00:00:00Z"})"});
    const auto sent = ctx.http().requests();
    REQUIRE(sent.size() == 2);
    auto first = json::parse(sent[0].body).as_object();
    CHECK(first.at("filterGroups").at(0).at("filters").at(0).at("value") == "1704067200000");
    CHECK_FALSE(first.contains("after"));
    CHECK(json::parse(sent[1].body).at("after") == "2");
    CHECK(sent[1].method == "POST");
}

TEST_CASE("offset pagination stops at the total; page pagination stops on a short page") {
    TestContext ctx(reader_options(), options(R"({
        "base_url": "http://open.test", "request": {"path": "/records"},
        "records": {"path": "$.results"}, "key": "$.n",
        "paginator": {"type": "offset", "limit": 2, "total_path": "$.total"}})"));
    ctx.http().add_response(200, R"({"total":4,"results":[{"n":1},{"n":2}]})");
    ctx.http().add_response(200, R"({"total":4,"results":[{"n":3},{"n":4}]})");
    RestReader reader;
    REQUIRE(reader.open(ctx).is_ok());
    CHECK(ids(sdk::testing::read_all(reader, ctx)) == std::vector<std::string>{"1", "2", "3", "4"});
    CHECK(urls(ctx) == std::vector<std::string>{"http://open.test/records?limit=2&offset=0",
                                                "http://open.test/records?limit=2&offset=2"});

    TestContext pages(reader_options(), options(R"({
        "base_url": "http://open.test", "request": {"path": "/p"}, "key": "$.n",
        "paginator": {"type": "page", "page_size": 2, "size_param": "per_page"}})"));
    pages.http().add_response(200, R"([{"n":1},{"n":2}])");
    pages.http().add_response(200, R"([{"n":3}])");
    RestReader paged;
    REQUIRE(paged.open(pages).is_ok());
    CHECK(ids(sdk::testing::read_all(paged, pages)) == std::vector<std::string>{"1", "2", "3"});
    CHECK(urls(pages) ==
          std::vector<std::string>{"http://open.test/p?page=1&per_page=2", "http://open.test/p?page=2&per_page=2"});
}

TEST_CASE("the filter drops GitHub's pull requests from /issues; non-object records are dead-lettered") {
    TestContext ctx(reader_options(), options(R"({
        "base_url": "http://api.test", "request": {"path": "/i"}, "key": "$.id",
        "records": {"filter": [{"path": "$.pull_request", "exists": false}]}})"));
    ctx.http().add_response(200,
                            R"([{"id":1},{"id":2,"pull_request":{"url":"x"}},{"id":3,"pull_request":null},"junk"])");
    RestReader reader;
    REQUIRE(reader.open(ctx).is_ok());
    const auto records = sdk::testing::read_all(reader, ctx);
    REQUIRE(records.size() == 3);
    CHECK(records[0].meta.key == "1");
    CHECK(records[1].meta.key == "3");
    CHECK(records[2].meta.error == "GET http://api.test/i: record 3 of page 1 is string, not an object");
    CHECK(ctx.metrics().value("records_total", {{"stream", ""}}) == 2);
}

TEST_CASE("partitions from a list: one stream each, named by the value, templates filled") {
    TestContext ctx(reader_options(), options(R"({
        "base_url": "http://api.test",
        "request": {"path": "/repos/${partition.value}/issues"}, "key": "$.id",
        "partitions": {"values": ["acme/widgets", "acme/gears", "acme/widgets"]}})"));
    ctx.http().add_response(200, issues({{1, "a"}}));
    ctx.http().add_response(200, issues({{2, "b"}}));
    RestReader reader;
    REQUIRE(reader.open(ctx).is_ok());
    const auto records = sdk::testing::read_all(reader, ctx);
    REQUIRE(records.size() == 2);
    CHECK(records[0].meta.partition == "acme/widgets");
    CHECK(records[1].meta.partition == "acme/gears");
    CHECK(urls(ctx) == std::vector<std::string>{"http://api.test/repos/acme/widgets/issues",
                                                "http://api.test/repos/acme/gears/issues"});
    CHECK(ctx.logger().contains("rest: partition acme/gears: done: 1 record, 1 page"));
    CHECK(ctx.metrics().value("pages_total", {{"stream", "acme/gears"}}) == 1);
}

TEST_CASE("partitions from a parent request: one per parent record, the parent's pages followed") {
    TestContext ctx(reader_options(), options(R"({
        "base_url": "http://api.test",
        "request": {"path": "/repos/${partition.repo}/commits"}, "key": "$.sha",
        "partitions": {"parent": {"request": {"path": "/orgs/acme/repos"}, "paginator": {"type": "link"},
                                  "records": {"filter": [{"path": "$.archived", "equals": false}]},
                                  "fields": {"repo": "$.full_name"}}}})"));
    // the parent is read a page at a time, as its partitions are needed
    ctx.http().add_response(200,
                            R"([{"full_name":"acme/a","archived":false},{"full_name":"acme/old","archived":true}])",
                            {{"Link", "</orgs/acme/repos?page=2>; rel=\"next\""}});
    ctx.http().add_response(200, R"([{"sha":"a1"}])");
    ctx.http().add_response(200, R"([{"full_name":"acme/b","archived":false},{"name":"nameless","archived":false}])");
    ctx.http().add_response(200, R"([{"sha":"b1"},{"sha":"b2"}])");
    RestReader reader;
    REQUIRE(reader.open(ctx).is_ok());
    const auto records = sdk::testing::read_all(reader, ctx);
    REQUIRE(ids(records) == std::vector<std::string>{"a1", "b1", "b2"});
    CHECK(records[0].meta.partition == "acme/a");
    CHECK(records[2].meta.partition == "acme/b");
    CHECK(urls(ctx) ==
          std::vector<std::string>{"http://api.test/orgs/acme/repos", "http://api.test/repos/acme/a/commits",
                                   "http://api.test/orgs/acme/repos?page=2", "http://api.test/repos/acme/b/commits"});
    CHECK(ctx.logger().contains("rest: partitions.parent done: 2 partitions, 2 pages"));
    CHECK(ctx.logger().contains(sdk::LogLevel::warning, "a record without every field of `fields`"));
}

namespace {

const char* incremental_unsorted = R"({
    "base_url": "http://api.test",
    "request": {"path": "/repos/${partition.value}/issues", "query": {"since": "${cursor.start}"}},
    "key": "$.id", "paginator": {"type": "link"},
    "partitions": {"values": ["a/x"]},
    "incremental": {"cursor_field": "$.updated_at", "lookback": 60}})";

}  // namespace

TEST_CASE(
    "unsorted incremental: every record carries the committed cursor but the partition's last, which carries the new "
    "max") {
    TestContext ctx(reader_options(), options(incremental_unsorted));
    ctx.http().add_response(200, issues({{1, "2024-01-03T00:00:00Z"}, {2, "2024-01-01T00:00:00Z"}}),
                            {{"Link", "<http://api.test/repos/a/x/issues?page=2>; rel=\"next\""}});
    ctx.http().add_response(200, issues({{3, "2024-01-02T00:00:00Z"}}));
    RestReader reader;
    REQUIRE(reader.open(ctx).is_ok());
    std::vector<sdk::Record> got;
    bool end = false;
    REQUIRE(read_once(reader, got, end).is_ok());
    CHECK(ids(got) == std::vector<std::string>{"1"});  // record 2 is held back: it may be the last
    REQUIRE(read_once(reader, got, end).is_ok());
    CHECK(end);
    CHECK(ids(got) == std::vector<std::string>{"1", "2", "3"});
    CHECK(positions(got) == std::vector<std::string>{"", "", R"({"cursor":"2024-01-03T00:00:00Z"})"});
    CHECK(urls(ctx)[0] == "http://api.test/repos/a/x/issues");  // no start on a first run: since left out
}

TEST_CASE("the next run starts at the committed max minus the lookback; positions never go back") {
    TestContext ctx(reader_options(), options(incremental_unsorted));
    ctx.set_committed_position(R"({"cursor":"2024-01-03T00:00:00Z"})", "a/x");
    ctx.http().add_response(200, issues({{2, "2024-01-02T23:59:30Z"}, {4, "2024-01-02T23:59:40Z"}}));
    RestReader reader;
    REQUIRE(reader.open(ctx).is_ok());
    const auto records = sdk::testing::read_all(reader, ctx);
    CHECK(urls(ctx)[0] == "http://api.test/repos/a/x/issues?since=2024-01-02T23%3A59%3A00Z");
    // both older than the committed max (the lookback window): the committed cursor stays
    CHECK(positions(records) ==
          std::vector<std::string>{R"({"cursor":"2024-01-03T00:00:00Z"})", R"({"cursor":"2024-01-03T00:00:00Z"})"});
}

TEST_CASE("sorted incremental: every record checkpoints the running maximum") {
    auto o = options(incremental_unsorted);
    o["incremental"].as_object()["sorted"] = true;
    TestContext ctx(reader_options(), o);
    ctx.http().add_response(200, issues({{1, "2024-01-01T00:00:00Z"}, {2, "2024-01-02T00:00:00Z"}}));
    RestReader reader;
    REQUIRE(reader.open(ctx).is_ok());
    std::vector<sdk::Record> got;
    bool end = false;
    REQUIRE(read_once(reader, got, end).is_ok());
    CHECK(positions(got) ==
          std::vector<std::string>{R"({"cursor":"2024-01-01T00:00:00Z"})", R"({"cursor":"2024-01-02T00:00:00Z"})"});
}

TEST_CASE("a 404 for one partition skips it with one line and no new position; the others go on") {
    auto o = options(incremental_unsorted);
    o["partitions"].as_object()["values"] = json::array{"a/gone", "a/x"};
    TestContext ctx(reader_options(), o);
    ctx.set_committed_position(R"({"cursor":"2024-01-01T00:00:00Z"})", "a/gone");
    ctx.http().add_response(200, issues({{1, "2024-01-05T00:00:00Z"}}),
                            {{"Link", "<http://api.test/repos/a/gone/issues?page=2>; rel=\"next\""}});
    ctx.http().add_response(404, R"({"message":"Not Found"})");
    ctx.http().add_response(200, issues({{2, "2024-01-02T00:00:00Z"}}));
    RestReader reader;
    REQUIRE(reader.open(ctx).is_ok());
    const auto records = sdk::testing::read_all(reader, ctx);
    REQUIRE(records.size() == 2);
    CHECK(records[0].meta.partition == "a/gone");
    CHECK(records[0].meta.position == R"({"cursor":"2024-01-01T00:00:00Z"})");  // not advanced
    CHECK(records[1].meta.partition == "a/x");
    CHECK(records[1].meta.position == R"({"cursor":"2024-01-02T00:00:00Z"})");
    const auto lines = ctx.logger().lines();
    std::size_t skipped = 0;
    for (const auto& l : lines)
        if (l.message.find("skipped") != std::string::npos) {
            ++skipped;
            CHECK(l.level == sdk::LogLevel::warning);
            CHECK(l.message ==
                  "rest: partition a/gone: skipped: GET http://api.test/repos/a/gone/issues: HTTP 404; nothing "
                  "committed for it, the others go on");
        }
    CHECK(skipped == 1);
    CHECK_FALSE(ctx.logger().contains("partition a/gone: done"));
}

TEST_CASE("401 after the host's refresh, 403, and a 404 without partitions are fatal with one line") {
    for (long status : {401L, 403L, 404L}) {
        CAPTURE(status);
        TestContext ctx(reader_options(), options(github));
        ctx.http().add_response(status, R"({"message":"no"})");
        RestReader reader;
        REQUIRE(reader.open(ctx).is_ok());
        std::vector<sdk::Record> got;
        bool end = false;
        const auto st = read_once(reader, got, end);
        CHECK(st.code() == sdk::Code::fatal);
        CHECK(st.message() == "GET http://api.test/repos/acme/widgets/issues: HTTP " + std::to_string(status));
        CHECK(got.empty());
    }
}

TEST_CASE("a 429 or 5xx the client gave up on is returned as retry, and the same page is asked again") {
    TestContext ctx(reader_options(), options(github));
    ctx.http().add_response(429, "{}", {{"Retry-After", "7"}});
    ctx.http().add_response(200, issues({{1, "a"}}));
    RestReader reader;
    REQUIRE(reader.open(ctx).is_ok());
    std::vector<sdk::Record> got;
    bool end = false;
    const auto st = read_once(reader, got, end);
    CHECK(st.code() == sdk::Code::retry);
    CHECK(st.retry_after() == std::chrono::milliseconds(7000));
    REQUIRE(read_once(reader, got, end).is_ok());
    CHECK(ids(got) == std::vector<std::string>{"1"});
    CHECK(urls(ctx)[0] == urls(ctx)[1]);
}

TEST_CASE("GitHub's exhausted rate limit (403, x-ratelimit-remaining 0) waits for the reset instead of failing") {
    TestContext ctx(reader_options(), options(github));
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(ctx.clock().now().time_since_epoch()).count();
    ctx.http().add_response(403, "{}",
                            {{"x-ratelimit-remaining", "0"}, {"x-ratelimit-reset", std::to_string(now + 30)}});
    RestReader reader;
    REQUIRE(reader.open(ctx).is_ok());
    std::vector<sdk::Record> got;
    bool end = false;
    const auto st = read_once(reader, got, end);
    CHECK(st.code() == sdk::Code::retry);
    CHECK(st.retry_after() == std::chrono::milliseconds(30000));
}

TEST_CASE("a body that is not JSON, or records that are not an array, fail the run naming the URL without its query") {
    TestContext ctx(reader_options(), options(R"({
        "base_url": "http://api.test", "vars": {"key": "s3cret"},
        "request": {"path": "/i", "query": {"api_key": "${vars.key}"}}, "records": {"path": "$.results"}})"));
    ctx.http().add_response(200, "<html>maintenance</html>");
    RestReader reader;
    REQUIRE(reader.open(ctx).is_ok());
    std::vector<sdk::Record> got;
    bool end = false;
    auto st = read_once(reader, got, end);
    CHECK(st.code() == sdk::Code::fatal);
    CHECK(st.message().starts_with("GET http://api.test/i: the body is not JSON ("));
    CHECK(st.message().find("s3cret") == std::string::npos);

    TestContext ctx2(reader_options(), ctx.options().values());
    ctx2.http().add_response(200, R"({"results":{"id":1}})");
    RestReader reader2;
    REQUIRE(reader2.open(ctx2).is_ok());
    st = read_once(reader2, got, end);
    CHECK(st.code() == sdk::Code::fatal);
    CHECK(st.message() == "GET http://api.test/i: $.results is an object, not an array of records");
}

TEST_CASE("max_pages cuts a stream; an unsorted cursor does not advance past what was not read") {
    auto o = options(incremental_unsorted);
    o["max_pages"] = 1;
    TestContext ctx(reader_options(), o);
    ctx.http().add_response(200, issues({{1, "2024-01-03T00:00:00Z"}}),
                            {{"Link", "<http://api.test/repos/a/x/issues?page=2>; rel=\"next\""}});
    RestReader reader;
    REQUIRE(reader.open(ctx).is_ok());
    const auto records = sdk::testing::read_all(reader, ctx);
    REQUIRE(records.size() == 1);
    CHECK(records[0].meta.position.empty());
    CHECK(ctx.http().requests().size() == 1);
    CHECK(ctx.logger().contains(sdk::LogLevel::warning, "stopped after max_pages (1) pages"));
}

TEST_CASE("read() returns at once when stop is requested") {
    TestContext ctx(reader_options(), options(github));
    RestReader reader;
    REQUIRE(reader.open(ctx).is_ok());
    ctx.request_stop();
    std::vector<sdk::Record> got;
    bool end = false;
    CHECK(read_once(reader, got, end).is_ok());
    CHECK(ctx.http().requests().empty());
}
