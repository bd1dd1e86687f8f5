// The rest reader's config: what the schema refuses and what check_options refuses,
// each with its exact one line under the option's path.
#include <doctest/doctest.h>

#include <boost/json/parse.hpp>
#include <junction/sdk/testing.hpp>

#include "rest_config.hpp"

using namespace junction;
using namespace junction::rest;
namespace json = boost::json;

namespace {

json::object minimal() {
    return json::parse(R"({"base_url": "https://api.github.com", "request": {"path": "/issues"}})").as_object();
}

json::object with(json::object o, std::string_view patch) {
    const auto parsed = json::parse(patch);
    for (const auto& [k, v] : parsed.as_object())
        o[k] = v;
    return o;
}

// The check_options line for options the schema accepts.
std::string refusal(const json::object& options) {
    const auto errors = sdk::testing::option_errors(reader_options(), options);
    REQUIRE_MESSAGE(errors.empty(), errors.front());
    sdk::testing::TestContext ctx(reader_options(), options);
    const auto st = check_reader_config(ctx.options());
    return st.is_ok() ? std::string() : st.message();
}

}  // namespace

TEST_CASE("a minimal config is accepted with every default") {
    CHECK(refusal(minimal()).empty());
    sdk::testing::TestContext ctx(reader_options(), minimal());
    RestConfig c;
    REQUIRE(make_config(ctx.options(), c).empty());
    CHECK(c.request.method == "GET");
    CHECK(c.records.path.is_root());
    CHECK(c.paginator.type == PaginatorType::none);
    CHECK_FALSE(c.partitions);
    CHECK_FALSE(c.incremental);
    CHECK(c.timeout == std::chrono::milliseconds(30000));
}

TEST_CASE("the schema refuses a missing base_url or request, a bad URL, an unknown paginator") {
    CHECK(sdk::testing::option_errors(reader_options(), json::object{}) ==
          std::vector<std::string>{
              "options.base_url: required option missing (string: scheme and host (and a path prefix) of the API, "
              "e.g. https://api.github.com)",
              "options.request: required option missing (object: the HTTP request; strings may use ${vars.X}, "
              "${partition.X}, ${cursor.start}, ${page.token})"});
    CHECK(sdk::testing::option_errors(reader_options(), with(minimal(), R"({"base_url": "ftp://x"})")) ==
          std::vector<std::string>{
              "options.base_url: \"ftp://x\" does not match the pattern https?://[^/?#\\s]+(/[^?#\\s]*)?"});
    CHECK(
        sdk::testing::option_errors(reader_options(), with(minimal(), R"({"paginator": {"type": "links"}})")) ==
        std::vector<std::string>{"options.paginator.type: \"links\" is not one of: link, cursor, offset, page, none"});
    CHECK(sdk::testing::option_errors(
              reader_options(), with(minimal(), R"({"partitions": {"values": ["a"], "skip_statuses": [500]}})")) ==
          std::vector<std::string>{"options.partitions.skip_statuses[0]: must be between 400 and 499, got 500"});
}

TEST_CASE("unknown templates are refused with the option's path and what exists") {
    CHECK(refusal(with(minimal(), R"({"request": {"path": "/repos/${vars.owner}"}})")) ==
          "request.path: unknown template ${vars.owner}: vars has no entries");
    CHECK(refusal(with(minimal(), R"({"vars": {"org": "acme"}, "request": {"path": "/repos/${vars.owner}"}})")) ==
          "request.path: unknown template ${vars.owner}: vars has only org");
    CHECK(refusal(with(minimal(), R"({"request": {"path": "/repos/${partition.repo}"}})")) ==
          "request.path: unknown template ${partition.repo}: no partitions are configured here");
    CHECK(refusal(with(minimal(), R"({"request": {"query": {"since": "${cursor.start}"}}})")) ==
          "request.query.since: unknown template ${cursor.start}: no incremental cursor is configured here");
    CHECK(refusal(with(minimal(), R"({"request": {"query": {"since": "${cursor.end}"}}})")) ==
          "request.query.since: unknown template ${cursor.end}: the cursor has only ${cursor.start}");
    CHECK(refusal(with(minimal(), R"({"request": {"headers": {"X": "${env.HOME}"}}})")) ==
          "request.headers.X: unknown template ${env.HOME}: templates are ${vars.X}, ${partition.X}, ${cursor.start}, "
          "${page.token}");
    CHECK(refusal(with(minimal(), R"({"request": {"path": "/a/${nodot}"}})")) ==
          "request.path: \"${nodot}\" is not a template name: write ${vars.NAME}, ${partition.FIELD}, ${cursor.start} "
          "or ${page.token}");
    CHECK(refusal(with(minimal(), R"({"request": {"method": "POST", "body": {"f": [{"v": "${page.number}"}]}}})")) ==
          "request.body.f[0].v: unknown template ${page.number}: the page has only ${page.token}");
    CHECK(refusal(with(minimal(), R"({"base_url": "https://${partition.host}", "partitions": {"values": ["a"]}})")) ==
          "base_url: unknown template ${partition.host}: no partitions are configured here");
}

TEST_CASE("partition templates must name a field every partition has") {
    CHECK(refusal(with(minimal(),
                       R"({"partitions": {"values": ["a/b", "c/d"]}, "request": {"path": "/r/${partition.value}"}})"))
              .empty());
    CHECK(refusal(with(minimal(),
                       R"({"partitions": {"values": [{"repo": "a/b", "label": "x"}, {"repo": "c/d"}]},
                           "request": {"path": "/r/${partition.label}"}})")) ==
          "request.path: unknown template ${partition.label}: every partition has only repo");
    CHECK(refusal(with(
              minimal(),
              R"({"partitions": {"parent": {"request": {"path": "/orgs/x/repos"}, "fields": {"repo": "$.full_name"}}},
                           "request": {"path": "/r/${partition.name}"}})")) ==
          "request.path: unknown template ${partition.name}: every partition has only repo");
    CHECK(refusal(with(minimal(), R"({"partitions": {"values": ["a/b", {"repo": "c/d"}]},
                                      "request": {"path": "/r/${partition.value}"}})")) ==
          "request.path: unknown template ${partition.value}: the partitions have no field in common");
    CHECK(refusal(with(minimal(), R"({"partitions": {"values": ["a", 5]}})")) ==
          "partitions.values[1]: expected a string or a non-empty object, got integer");
    CHECK(refusal(with(minimal(), R"({"partitions": {}})")) == "partitions: give either values or parent");
    CHECK(
        refusal(with(
            minimal(),
            R"({"partitions": {"parent": {"request": {"path": "/x/${partition.repo}"}, "fields": {"repo": "$.a"}}}})")) ==
        "partitions.parent.request.path: unknown template ${partition.repo}: no partitions are configured here");
    CHECK(
        refusal(with(minimal(),
                     R"({"partitions": {"parent": {"request": {"path": "/x"}, "fields": {"repo": "full_name"}}}})")) ==
        "partitions.parent.fields.repo: \"full_name\" is not a JSON path: write $ for the whole body or $.a.b for "
        "a field");
}

TEST_CASE("JSON paths, filters and paginator keys are checked") {
    CHECK(refusal(with(minimal(), R"({"records": {"path": "results"}})")) ==
          "records.path: \"results\" is not a JSON path: write $ for the whole body or $.a.b for a field");
    CHECK(refusal(with(minimal(), R"({"key": "$..id"})")) ==
          "key: \"$..id\" is not a JSON path: write $ for the whole body or $.a.b for a field");
    CHECK(refusal(with(minimal(), R"({"records": {"filter": [{"path": "$.a"}]}})")) ==
          "records.filter[0]: give exactly one of exists, equals, not_equals, in");
    CHECK(refusal(with(minimal(), R"({"records": {"filter": [{"path": "$.a", "exists": true, "equals": 1}]}})")) ==
          "records.filter[0]: give exactly one of exists, equals, not_equals, in");
    CHECK(refusal(with(minimal(), R"({"paginator": {"type": "cursor", "param": "after"}})")) ==
          "paginator.cursor_path: required for a cursor paginator, e.g. $.paging.next.after");
    CHECK(refusal(with(minimal(), R"({"paginator": {"type": "cursor", "cursor_path": "$.next"}})")) ==
          "paginator.param: required for a cursor paginator (the parameter the token is sent as)");
    CHECK(refusal(with(minimal(), R"({"paginator": {"type": "link", "cursor_path": "$.next"}})")) ==
          "paginator.cursor_path: not used by a paginator of type link");
    CHECK(refusal(with(minimal(), R"({"paginator": {"type": "page", "size_param": "per_page"}})")) ==
          "paginator.size_param: needs page_size");
    CHECK(refusal(
              with(minimal(),
                   R"({"paginator": {"type": "cursor", "cursor_path": "$.n", "param": "after", "inject": "body"}})")) ==
          "paginator.inject: body needs a request.body (method POST)");
    CHECK(refusal(with(minimal(), R"({"request": {"body": {"a": 1}}})")) == "request.body: a body needs method POST");
}

TEST_CASE("incremental: the start must be a value of the cursor's type; strings take no lookback") {
    CHECK(refusal(with(minimal(), R"({"incremental": {"cursor_field": "$.updated_at", "start": "2024-01-01"}})")) ==
          "incremental.start: \"2024-01-01\" is not a date-time (ISO 8601 with an offset, or epoch milliseconds)");
    CHECK(refusal(with(minimal(), R"({"incremental": {"cursor_field": "$.n", "type": "integer", "start": "x"}})")) ==
          "incremental.start: \"x\" is not an integer");
    CHECK(refusal(with(minimal(), R"({"incremental": {"cursor_field": "$.s", "type": "string", "lookback": 5}})")) ==
          "incremental.lookback: a string cursor has no lookback; leave it 0");
    CHECK(
        refusal(with(minimal(), R"({"incremental": {"cursor_field": "updated_at"}})")) ==
        "incremental.cursor_field: \"updated_at\" is not a JSON path: write $ for the whole body or $.a.b for a field");
    CHECK(refusal(with(minimal(), R"({"incremental": {"cursor_field": "$.u", "start": "2024-01-01T00:00:00Z"},
                                      "request": {"query": {"since": "${cursor.start}"}}})"))
              .empty());
}
