// The rest reader's presets: every bundled one parses and validates, the user's options
// are merged over a preset's by the documented rules, and an unknown name is one line
// listing the known ones.
#include <doctest/doctest.h>

#include <map>
#include <set>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <junction/sdk/testing.hpp>

#include "presets.hpp"
#include "rest_config.hpp"

using namespace junction;
using namespace junction::rest;
namespace json = boost::json;

namespace {

// The config a preset and these options make, as open() would get it; fails the test on
// any problem.
RestConfig config_of(std::string_view options) {
    const auto input = json::parse(options).as_object();
    const auto errors = sdk::testing::option_errors(reader_options(), input);
    REQUIRE_MESSAGE(errors.empty(), errors.front());
    sdk::testing::TestContext ctx(reader_options(), input);
    RestConfig c;
    const auto problem = make_config(ctx.options(), c);
    REQUIRE_MESSAGE(problem.empty(), problem);
    return c;
}

// The validated options (the merge's result, with defaults).
json::object validated(std::string_view options) {
    sdk::testing::TestContext ctx(reader_options(), json::parse(options).as_object());
    return ctx.options().values();
}

// What a user must add to each bundled preset (its description says so).
const std::map<std::string, std::string> user_part = {
    {"github-issues", R"({"connection": "github", "partitions": {"values": ["acme/widgets"]}})"},
    {"hubspot-contacts", R"({"connection": "hubspot"})"},
};

}  // namespace

TEST_CASE("every bundled preset parses, has a description, and validates with what its user adds") {
    const auto presets = junction::rest::presets();
    CHECK(presets.size() == preset_texts().size());  // none failed to parse
    std::set<std::string> names;
    for (const auto& text : preset_texts())
        names.emplace(text.name);
    CHECK(names == std::set<std::string>{"github-issues", "hubspot-contacts"});
    for (const auto& entry : presets) {
        const std::string name(entry.key());
        const auto& preset = entry.value();
        CAPTURE(name);
        CHECK_FALSE(preset.at("description").as_string().empty());
        REQUIRE(user_part.contains(name));
        auto options = json::parse(user_part.at(name)).as_object();
        options["preset"] = name;
        (void)config_of(json::serialize(options));
    }
}

TEST_CASE("preset hubspot-contacts fills in the CRM search: POST body, records, key, cursor in the body, incremental") {
    const auto c = config_of(R"({"preset": "hubspot-contacts", "connection": "hubspot"})");
    CHECK(c.connection == "hubspot");
    CHECK(c.request.method == "POST");
    REQUIRE(c.request.body);
    CHECK(c.request.body->at("properties").as_array().size() == 8);
    CHECK(c.request.body->at("filterGroups").at(0).at("filters").at(0).at("propertyName") == "lastmodifieddate");
    CHECK(c.records.path.text() == "$.results");
    CHECK(c.paginator.type == PaginatorType::cursor);
    CHECK(c.paginator.inject == Inject::body);
    CHECK(c.paginator.param == "after");
    REQUIRE(c.incremental);
    CHECK(c.incremental->format == DateFormat::epoch_ms);
    CHECK(c.incremental->sorted);
    const auto v = validated(R"({"preset": "hubspot-contacts", "connection": "hubspot"})");
    CHECK(v.at("base_url") == "https://api.hubapi.com");
    CHECK(v.at("preset") == "hubspot-contacts");
}

TEST_CASE("the user's options are merged over a preset's: objects key by key, other values replace") {
    const auto v = validated(R"({"preset": "hubspot-contacts", "connection": "hubspot",
        "base_url": "http://127.0.0.1:8088",
        "request": {"body": {"limit": 5, "properties": ["email"]}, "headers": {"X-Trace": "1"}},
        "incremental": {"start": "2024-01-01T00:00:00Z"}})");
    CHECK(v.at("base_url") == "http://127.0.0.1:8088");
    const auto& request = v.at("request").as_object();
    CHECK(request.at("method") == "POST");  // the preset's, kept
    CHECK(request.at("path") == "/crm/v3/objects/contacts/search");
    CHECK(request.at("headers") == json::parse(R"({"X-Trace": "1"})"));
    const auto& body = request.at("body").as_object();
    CHECK(body.at("limit") == 5);
    CHECK(body.at("properties") == json::parse(R"(["email"])"));  // an array replaces, never appends
    CHECK(body.contains("filterGroups"));
    CHECK(body.contains("sorts"));
    const auto& inc = v.at("incremental").as_object();
    CHECK(inc.at("start") == "2024-01-01T00:00:00Z");
    CHECK(inc.at("cursor_field") == "$.updatedAt");  // the preset's, kept
    CHECK(inc.at("lookback") == 300);
}

TEST_CASE("a user's null removes a preset's key; an object of another type replaces the preset's whole") {
    const auto c = config_of(R"({"preset": "hubspot-contacts", "connection": "hubspot",
        "incremental": null,
        "request": {"body": {"filterGroups": null}},
        "paginator": {"type": "none", "inject": "none"}})");
    CHECK_FALSE(c.incremental);  // a full refresh
    REQUIRE(c.request.body);
    CHECK_FALSE(c.request.body->as_object().contains("filterGroups"));
    CHECK(c.paginator.type == PaginatorType::none);  // no cursor_path left behind to be refused
    // same type: merged key by key
    const auto same = config_of(R"({"preset": "hubspot-contacts", "connection": "hubspot",
        "paginator": {"type": "cursor", "param": "next"}})");
    CHECK(same.paginator.param == "next");
    CHECK(same.paginator.cursor_path.text() == "$.paging.next.after");
}

TEST_CASE("preset github-issues needs partitions from the user: without them, the template's one line") {
    const auto input = json::parse(R"({"preset": "github-issues", "connection": "github"})").as_object();
    CHECK(sdk::testing::option_errors(reader_options(), input).empty());
    sdk::testing::TestContext ctx(reader_options(), input);
    const auto st = check_reader_config(ctx.options());
    REQUIRE_FALSE(st.is_ok());
    CHECK(st.message().starts_with("request.path: unknown template ${partition.value}"));
}

TEST_CASE("an unknown preset is one line listing the known ones, and nothing else is reported") {
    const auto errors = sdk::testing::option_errors(
        reader_options(), json::parse(R"({"preset": "hubspot-deals", "connection": "hubspot"})").as_object());
    CHECK(errors ==
          std::vector<std::string>{
              "options.preset: unknown preset \"hubspot-deals\"; known presets: github-issues, hubspot-contacts"});
}

TEST_CASE("without a preset, nothing is merged: a missing base_url is still refused") {
    const auto errors = sdk::testing::option_errors(reader_options(), json::parse(R"({"request": {}})").as_object());
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].starts_with("options.base_url: required option missing"));
}
