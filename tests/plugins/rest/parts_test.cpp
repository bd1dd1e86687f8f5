// The rest reader's pure parts: templates, URL encoding, Link headers, JSON paths, the
// record selector and filter, cursors, paginators' stop conditions, request building.
#include <doctest/doctest.h>

#include <limits>

#include <boost/json/parse.hpp>
#include <junction/sdk/testing.hpp>

#include "cursor.hpp"
#include "link_header.hpp"
#include "paginator.hpp"
#include "request.hpp"
#include "selector.hpp"
#include "template.hpp"

using namespace junction::rest;
namespace json = boost::json;

namespace {

Template parsed(std::string_view text) {
    std::string problem;
    auto t = Template::parse(text, problem);
    REQUIRE_MESSAGE(t, problem);
    return *t;
}

JsonPath path(std::string_view text) {
    std::string problem;
    auto p = JsonPath::parse(text, problem);
    REQUIRE_MESSAGE(p, problem);
    return *p;
}

IncrementalConfig datetime_cursor(std::int64_t lookback = 0, DateFormat format = DateFormat::iso8601) {
    IncrementalConfig c;
    c.cursor_field = path("$.updated_at");
    c.lookback = lookback;
    c.format = format;
    return c;
}

}  // namespace

TEST_CASE("a template expands each reference, URL-encoding only the values") {
    const auto t = parsed("/repos/${partition.repo}/issues?x=${vars.q}");
    bool absent = false;
    const auto text = t.expand(
        [](const TemplateRef& r) -> std::optional<std::string> {
            if (r.scope == "partition") return "acme/wid gets";
            return "a&b=c";
        },
        [](std::string_view s) { return url_encode(s, true); }, absent);
    CHECK(text == "/repos/acme/wid%20gets/issues?x=a%26b%3Dc");
    CHECK_FALSE(absent);
    CHECK(t.refs().size() == 2);
    CHECK_FALSE(t.is_single_ref());
}

TEST_CASE("a template reference without a value expands to nothing and says so") {
    const auto t = parsed("${cursor.start}");
    bool absent = false;
    CHECK(t.expand([](const TemplateRef&) { return std::optional<std::string>{}; }, {}, absent).empty());
    CHECK(absent);
    CHECK(t.is_single_ref());
}

TEST_CASE("malformed template references are refused with what to write") {
    std::string problem;
    CHECK_FALSE(Template::parse("a ${vars.x", problem));
    CHECK(problem == "unclosed \"${\" in \"a ${vars.x\"");
    CHECK_FALSE(Template::parse("${token}", problem));
    CHECK(problem ==
          "\"${token}\" is not a template name: write ${vars.NAME}, ${partition.FIELD}, ${cursor.start} or "
          "${page.token}");
    CHECK(Template::parse("no templates $ here {}", problem));
}

TEST_CASE("url_encode keeps unreserved characters and, in paths, the slash") {
    CHECK(url_encode("a-b_c.d~e") == "a-b_c.d~e");
    CHECK(url_encode("2024-01-01T00:00:00+01:00") == "2024-01-01T00%3A00%3A00%2B01%3A00");
    CHECK(url_encode("a/b c") == "a%2Fb%20c");
    CHECK(url_encode("a/b c", true) == "a/b%20c");
    CHECK(url_encode("\xC3\xA9") == "%C3%A9");
}

TEST_CASE("GitHub's Link header gives the next page; the last page has none") {
    const std::string h =
        "<https://api.github.com/repositories/1300192/issues?page=2>; rel=\"next\", "
        "<https://api.github.com/repositories/1300192/issues?page=515>; rel=\"last\"";
    CHECK(find_link(h, "next") == "https://api.github.com/repositories/1300192/issues?page=2");
    CHECK(find_link(h, "last") == "https://api.github.com/repositories/1300192/issues?page=515");
    const std::string last = "<https://x/i?page=1>; rel=\"prev\", <https://x/i?page=1>; rel=\"first\"";
    CHECK_FALSE(find_link(last, "next"));
}

TEST_CASE("Link headers: several rels, unquoted values, commas inside URLs and quotes, junk skipped") {
    const auto links = parse_link_header(
        "junk, <https://x/a?b=1,2>; title=\"a, b; c\"; rel=\"NEXT last\", <https://x/c>;rel=prev ,<broken");
    REQUIRE(links.size() == 2);
    CHECK(links[0].target == "https://x/a?b=1,2");
    CHECK(links[0].rels == std::vector<std::string>{"next", "last"});
    CHECK(links[1].target == "https://x/c");
    CHECK(links[1].rels == std::vector<std::string>{"prev"});
    CHECK(parse_link_header("").empty());
}

TEST_CASE("relative Link targets resolve against the page's URL") {
    const std::string base = "http://127.0.0.1:8080/api/v1/items?page=1";
    CHECK(resolve_url(base, "http://other/x") == "http://other/x");
    CHECK(resolve_url(base, "/api/v1/items?page=2") == "http://127.0.0.1:8080/api/v1/items?page=2");
    CHECK(resolve_url(base, "?page=3") == "http://127.0.0.1:8080/api/v1/items?page=3");
    CHECK(resolve_url(base, "more?page=4") == "http://127.0.0.1:8080/api/v1/more?page=4");
    CHECK(resolve_url(base, "//cdn.example/x") == "http://cdn.example/x");
}

TEST_CASE("origins compare scheme, host and port, default ports left out") {
    CHECK(origin_of("https://API.github.com:443/x?y") == "https://api.github.com");
    CHECK(origin_of("http://127.0.0.1:8080/a") == "http://127.0.0.1:8080");
    CHECK(origin_of("http://u:p@h/a") == "http://h");
    CHECK(origin_of("/relative").empty());
    CHECK(without_query("https://h/p?token=secret#f") == "https://h/p");
}

TEST_CASE("JSON paths are $ or $.a.b; anything else is refused") {
    std::string problem;
    CHECK(JsonPath::parse("$", problem));
    CHECK(JsonPath::parse("$.paging.next.after", problem));
    for (const char* bad : {"", "results", "$.", "$..a", "$a", "$.a."}) {
        CAPTURE(bad);
        CHECK_FALSE(JsonPath::parse(bad, problem));
    }
    CHECK(problem == "\"$.a.\" is not a JSON path: write $ for the whole body or $.a.b for a field");
}

TEST_CASE("the record selector takes a top-level array, a nested one, or none") {
    std::string problem;
    auto body = json::parse(R"([{"id":1},{"id":2}])");
    auto top = take_records(body, path("$"), problem);
    REQUIRE(top);
    CHECK(top->size() == 2);

    body = json::parse(R"({"results":[{"id":1}],"paging":{"next":{"after":"x"}}})");
    auto nested = take_records(body, path("$.results"), problem);
    REQUIRE(nested);
    CHECK(nested->size() == 1);

    body = json::parse(R"({"results":null})");
    CHECK(take_records(body, path("$.results"), problem)->empty());
    body = json::parse(R"({})");
    CHECK(take_records(body, path("$.results"), problem)->empty());
}

TEST_CASE("records that are not an array are refused, naming the path and what was there") {
    std::string problem;
    auto body = json::parse(R"({"results":{"id":1}})");
    CHECK_FALSE(take_records(body, path("$.results"), problem));
    CHECK(problem == "$.results is an object, not an array of records");
    body = json::parse(R"({"message":"Not Found"})");
    CHECK_FALSE(take_records(body, path("$"), problem));
    CHECK(problem == "$ is an object, not an array of records");
    body = json::parse(R"({"n":5})");
    CHECK_FALSE(take_records(body, path("$.n"), problem));
    CHECK(problem == "$.n is an integer, not an array of records");
}

TEST_CASE("filter conditions: exists, absent, equals, not_equals, in") {
    const auto pr = json::parse(R"({"id":1,"state":"open","pull_request":{"url":"u"}})");
    const auto issue = json::parse(R"({"id":2,"state":"closed","pull_request":null})");
    const std::vector<Condition> no_prs{{path("$.pull_request"), Condition::Op::absent, {}}};
    CHECK_FALSE(meets(pr, no_prs));
    CHECK(meets(issue, no_prs));
    CHECK(meets(pr, {{path("$.pull_request.url"), Condition::Op::exists, {}}}));
    CHECK(meets(pr, {{path("$.state"), Condition::Op::equals, "open"}}));
    CHECK_FALSE(meets(issue, {{path("$.state"), Condition::Op::equals, "open"}}));
    CHECK(meets(issue, {{path("$.state"), Condition::Op::not_equals, "open"}}));
    CHECK(meets(issue, {{path("$.missing"), Condition::Op::not_equals, "open"}}));
    CHECK(meets(issue, {{path("$.id"), Condition::Op::in, json::array{1, 2}}}));
    CHECK_FALSE(meets(issue, {{path("$.id"), Condition::Op::in, json::array{1, 3}}}));
    CHECK_FALSE(
        meets(issue, {{path("$.state"), Condition::Op::equals, "closed"}, {path("$.id"), Condition::Op::equals, 1}}));
}

TEST_CASE("datetime cursors read ISO 8601 with any offset and epoch numbers, and compare as instants") {
    const auto c = datetime_cursor();
    const auto a = cursor_value(json::value("2024-05-01T12:00:00+02:00"), c);
    const auto b = cursor_value(json::value("2024-05-01T10:00:00Z"), c);
    REQUIRE(a);
    REQUIRE(b);
    CHECK(compare(*a, *b, CursorType::datetime) == 0);
    CHECK(cursor_value(json::value(1714557600000), c)->number == b->number);
    CHECK(cursor_value(json::value("1714557600000"), c)->number == b->number);
    CHECK(cursor_value(json::value(1714557600), datetime_cursor(0, DateFormat::epoch_s))->number == b->number);
    CHECK_FALSE(cursor_value(json::value("yesterday"), c));
    CHECK_FALSE(cursor_value(json::value(nullptr), c));
    CHECK(position_text(*b, c) == R"({"cursor":"2024-05-01T10:00:00Z"})");
}

TEST_CASE("the start value is the committed maximum minus the lookback, in the request format") {
    auto c = datetime_cursor(3600);
    const auto committed = parse_position(R"({"cursor":"2024-05-01T10:00:00Z"})", c);
    REQUIRE(committed);
    CHECK(start_text(committed, c) == "2024-05-01T09:00:00Z");
    c.format = DateFormat::epoch_ms;
    CHECK(start_text(committed, c) == "1714554000000");
    c.format = DateFormat::epoch_s;
    CHECK(start_text(committed, c) == "1714554000");
    c.lookback = 0;
    c.format = DateFormat::iso8601;
    CHECK(start_text(committed, c) == "2024-05-01T10:00:00Z");
    CHECK(start_text(parse_position(R"({"cursor":"2024-05-01T10:00:00.250Z"})", c), c) == "2024-05-01T10:00:00.250Z");
}

TEST_CASE("a huge lookback starts at the earliest date-time instead of overflowing") {
    auto c = datetime_cursor(std::numeric_limits<std::int64_t>::max());
    CHECK(start_text(parse_position(R"({"cursor":"2024-05-01T10:00:00Z"})", c), c) == "0000-01-01T00:00:00Z");
    IncrementalConfig ints;
    ints.type = CursorType::integer;
    ints.lookback = std::numeric_limits<std::int64_t>::max();
    CHECK(start_text(parse_position(R"({"cursor":-5})", ints), ints) ==
          std::to_string(std::numeric_limits<std::int64_t>::min()));
}

TEST_CASE("a first run starts at the config's start, or at nothing; the lookback does not apply to it") {
    auto c = datetime_cursor(3600);
    CHECK_FALSE(start_text(std::nullopt, c));
    c.start = "2024-01-01T00:00:00Z";
    CHECK(start_text(std::nullopt, c) == "2024-01-01T00:00:00Z");
}

TEST_CASE("integer cursors subtract units; string cursors compare as text with no lookback") {
    IncrementalConfig ints;
    ints.type = CursorType::integer;
    ints.lookback = 5;
    const auto p = parse_position(R"({"cursor":100})", ints);
    REQUIRE(p);
    CHECK(start_text(p, ints) == "95");
    CHECK(position_text(*p, ints) == R"({"cursor":100})");
    IncrementalConfig strs;
    strs.type = CursorType::string;
    const auto a = cursor_value(json::value("b"), strs), b = cursor_value(json::value("a"), strs);
    CHECK(compare(*a, *b, CursorType::string) > 0);
    CHECK(start_text(parse_position(R"({"cursor":"b"})", strs), strs) == "b");
}

TEST_CASE("a committed position that is not ours reads as none") {
    const auto c = datetime_cursor();
    CHECK_FALSE(parse_position("", c));
    CHECK_FALSE(parse_position("42", c));
    CHECK_FALSE(parse_position(R"({"cursor":"soon"})", c));
    CHECK_FALSE(parse_position(R"({"other":1})", c));
}

TEST_CASE("link paginator: follows rel=next, stops without one, and on a link to the same page") {
    PaginatorConfig pc{.type = PaginatorType::link};
    Paginator p(pc);
    std::string warning;
    const std::string h1 = "<http://h/i?page=2>; rel=\"next\"";
    CHECK(p.advance({.link_header = &h1, .records = 3, .url = "http://h/i"}, warning));
    CHECK(p.next_url() == "http://h/i?page=2");
    CHECK(p.params().empty());
    CHECK(p.advance({.link_header = &h1, .records = 3, .url = "http://h/i?page=2"}, warning) == false);
    CHECK(warning == "the Link header's next page is the page just read; stopping there");
    Paginator q(pc);
    CHECK_FALSE(q.advance({.link_header = nullptr, .records = 3, .url = "http://h/i"}, warning));
}

TEST_CASE("cursor paginator: the token from the body, until it is absent, null, empty or repeated") {
    PaginatorConfig pc{.type = PaginatorType::cursor, .cursor_path = path("$.paging.next.after"), .param = "after"};
    Paginator p(pc);
    CHECK(p.params().empty());
    CHECK_FALSE(p.token());
    std::string warning;
    auto body = json::parse(R"({"paging":{"next":{"after":"10"}}})");
    CHECK(p.advance({.body = &body, .records = 10}, warning));
    CHECK(p.token() == "10");
    REQUIRE(p.params().size() == 1);
    CHECK(p.params()[0].first == "after");
    CHECK(p.params()[0].second == "10");
    CHECK_FALSE(p.advance({.body = &body, .records = 10}, warning));
    CHECK(warning == "the next cursor at $.paging.next.after is the one just used; stopping there");
    for (const char* end : {R"({})", R"({"paging":null})", R"({"paging":{"next":{"after":null}}})",
                            R"({"paging":{"next":{"after":""}}})"}) {
        Paginator fresh(pc);
        auto b = json::parse(end);
        CAPTURE(end);
        CHECK_FALSE(fresh.advance({.body = &b, .records = 10}, warning));
    }
    auto numeric = json::parse(R"({"paging":{"next":{"after":20}}})");
    Paginator n(pc);
    CHECK(n.advance({.body = &numeric, .records = 10}, warning));
    CHECK(n.params()[0].second == 20);  // a number stays a number in a JSON body
}

TEST_CASE("offset paginator: stops on an empty page, a short page, or the total") {
    PaginatorConfig pc{.type = PaginatorType::offset, .limit = 10, .total_path = path("$.total")};
    std::string warning;
    Paginator p(pc);
    CHECK(p.params()[1].second == 0);
    auto body = json::parse(R"({"total":25})");
    CHECK(p.advance({.body = &body, .records = 10}, warning));
    CHECK(p.token() == "10");
    CHECK(p.advance({.body = &body, .records = 10}, warning));
    CHECK_FALSE(p.advance({.body = &body, .records = 5}, warning));  // short
    Paginator q(pc);
    auto exact = json::parse(R"({"total":20})");
    CHECK(q.advance({.body = &exact, .records = 10}, warning));
    CHECK_FALSE(q.advance({.body = &exact, .records = 10}, warning));  // offset 20 >= total 20
    Paginator r(pc);
    CHECK_FALSE(r.advance({.body = &body, .records = 0}, warning));  // empty
}

TEST_CASE("page paginator: numbers from start, stops on an empty or short page or the total") {
    PaginatorConfig pc{.type = PaginatorType::page, .page_size = 2, .size_param = "per_page", .start = 1};
    std::string warning;
    Paginator p(pc);
    REQUIRE(p.params().size() == 2);
    CHECK(p.params()[0].second == 1);
    CHECK(p.params()[1].first == "per_page");
    auto body = json::parse("{}");
    CHECK(p.advance({.body = &body, .records = 2}, warning));
    CHECK(p.token() == "2");
    CHECK_FALSE(p.advance({.body = &body, .records = 1}, warning));
    PaginatorConfig totals = pc;
    totals.total_path = path("$.count");
    Paginator q(totals);
    auto count = json::parse(R"({"count":4})");
    CHECK(q.advance({.body = &count, .records = 2}, warning));
    CHECK_FALSE(q.advance({.body = &count, .records = 2}, warning));
    Paginator r(pc);
    CHECK_FALSE(r.advance({.body = &body, .records = 0}, warning));
}

TEST_CASE("none paginator: one request") {
    PaginatorConfig pc;
    Paginator p(pc);
    std::string warning;
    auto body = json::parse("[1]");
    CHECK_FALSE(p.advance({.body = &body, .records = 1}, warning));
}

TEST_CASE("requests: path and query templates URL-encoded, absent whole-template parameters left out") {
    RestConfig config;
    config.base_url = parsed("http://h:1/api/");
    config.vars = {{"state", "all open"}};
    RequestConfig rc;
    rc.path = parsed("/repos/${partition.repo}/issues");
    rc.query = {
        {"state", parsed("${vars.state}")}, {"since", parsed("${cursor.start}")}, {"q", parsed("x:${cursor.start}")}};
    rc.headers = {{"Accept", parsed("application/vnd.github+json")}};
    PaginatorConfig pc{.type = PaginatorType::page, .page_size = 50, .size_param = "per_page"};
    Paginator p(pc);
    const json::object partition{{"repo", "acme/wid gets"}};
    Scope scope{.vars = &config.vars, .partition = &partition, .cursor_start = std::nullopt};
    std::string problem;
    auto r = build_request(config, rc, pc, p, scope, problem);
    CHECK(problem.empty());
    CHECK(r.url == "http://h:1/api/repos/acme/wid%20gets/issues?state=all%20open&q=x%3A&page=1&per_page=50");
    REQUIRE(r.headers.size() == 1);
    CHECK(r.headers[0].value == "application/vnd.github+json");
    CHECK(r.body.empty());
    CHECK(r.extra.at("idempotent") == true);

    scope.cursor_start = "2024-01-01T00:00:00Z";
    r = build_request(config, rc, pc, p, scope, problem);
    CHECK(r.url ==
          "http://h:1/api/repos/acme/wid%20gets/"
          "issues?state=all%20open&since=2024-01-01T00%3A00%3A00Z&q=x%3A2024-01-01T00%3A00%3A00Z&page=1&per_page=50");
}

TEST_CASE("requests: a JSON body gets its templates and the paginator's token; absent members are left out") {
    RestConfig config;
    config.base_url = parsed("http://h");
    RequestConfig rc;
    rc.method = "POST";
    rc.path = parsed("/search");
    rc.body =
        json::parse(R"({"filters":[{"value":"${cursor.start}","op":"GTE"}],"limit":100,"since":"${cursor.start}"})");
    PaginatorConfig pc{.type = PaginatorType::cursor,
                       .cursor_path = path("$.paging.next.after"),
                       .param = "after",
                       .inject = Inject::body};
    Paginator p(pc);
    Scope scope{.vars = &config.vars, .partition = nullptr, .cursor_start = "1700000000000"};
    std::string problem;
    auto r = build_request(config, rc, pc, p, scope, problem);
    CHECK(r.url == "http://h/search");
    CHECK(json::parse(r.body) ==
          json::parse(R"({"filters":[{"value":"1700000000000","op":"GTE"}],"limit":100,"since":"1700000000000"})"));
    REQUIRE(r.headers.size() == 1);
    CHECK(r.headers[0].name == "Content-Type");
    std::string warning;
    auto page = json::parse(R"({"paging":{"next":{"after":"200"}}})");
    REQUIRE(p.advance({.body = &page, .records = 100}, warning));
    scope.cursor_start = std::nullopt;
    r = build_request(config, rc, pc, p, scope, problem);
    CHECK(json::parse(r.body) == json::parse(R"({"filters":[{"op":"GTE"}],"limit":100,"after":"200"})"));
}

TEST_CASE("requests: the link paginator's next URL is used as the server gave it") {
    RestConfig config;
    config.base_url = parsed("http://h");
    RequestConfig rc;
    rc.path = parsed("/i");
    rc.query = {{"per_page", parsed("2")}};
    PaginatorConfig pc{.type = PaginatorType::link};
    Paginator p(pc);
    std::string problem, warning;
    Scope scope{.vars = &config.vars, .partition = nullptr, .cursor_start = std::nullopt};
    CHECK(build_request(config, rc, pc, p, scope, problem).url == "http://h/i?per_page=2");
    const std::string h = "</i?per_page=2&page=2>; rel=\"next\"";
    REQUIRE(p.advance({.link_header = &h, .records = 2, .url = "http://h/i?per_page=2"}, warning));
    CHECK(build_request(config, rc, pc, p, scope, problem).url == "http://h/i?per_page=2&page=2");
}

TEST_CASE("a header whose template value holds a line break is refused, not sent") {
    RestConfig config;
    config.base_url = parsed("http://h");
    config.vars = {{"v", "a\r\nX-Evil: 1"}};
    RequestConfig rc;
    rc.headers = {{"X-Thing", parsed("${vars.v}")}};
    PaginatorConfig pc;
    Paginator p(pc);
    Scope scope{.vars = &config.vars, .partition = nullptr, .cursor_start = std::nullopt};
    std::string problem;
    (void)build_request(config, rc, pc, p, scope, problem);
    CHECK(problem == "request.headers.X-Thing: a template value holds a line break");
}

TEST_CASE("partition names: a string item's value, a single field's value, else canonical JSON") {
    CHECK(partition_name(json::object{{"value", "acme/widgets"}}) == "acme/widgets");
    CHECK(partition_name(json::object{{"id", 42}}) == "42");
    CHECK(partition_name(json::object{{"repo", "a/b"}, {"label", "x"}}) == R"({"label":"x","repo":"a/b"})");
    CHECK(partition_name(json::object{{"label", "x"}, {"repo", "a/b"}}) == R"({"label":"x","repo":"a/b"})");
}
