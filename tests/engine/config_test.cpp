// The config file: syntax, ${VAR} substitution, structure errors with JSON paths, and
// plugin options checked against their declared schema.
#include <map>

#include <junction/core/config.hpp>
#include <junction/core/option_validation.hpp>

#include "engine_fixture.hpp"

using namespace junction;
using namespace junction::core;
namespace json = boost::json;

namespace {
EnvLookup env_of(std::map<std::string, std::string> vars) {
    return [vars](const std::string& n) -> std::optional<std::string> {
        auto it = vars.find(n);
        return it == vars.end() ? std::nullopt : std::optional(it->second);
    };
}
std::string all(const std::vector<ConfigError>& errors) {
    std::string out;
    for (const auto& e : errors)
        out += e.line() + "\n";
    return out;
}
const char* minimal = R"({
  // comments are allowed
  "pipelines": [
    {"name": "a", "reader": {"plugin": "r"}, "writer": {"plugin": "w", "options": {"dir": "${OUT}"},},},
  ],
})";
}  // namespace

TEST_CASE("comments and trailing commas are accepted") {
    std::vector<ConfigError> errors;
    auto c = parse_config(minimal, "/etc/x/sync.json", errors, env_of({{"OUT", "/data/out"}}));
    CHECK_MESSAGE(errors.empty(), all(errors));
    REQUIRE(c.pipelines.size() == 1);
    CHECK(c.pipelines[0].writer.options.at("dir").as_string() == "/data/out");
    CHECK(c.state == std::filesystem::path("/etc/x/sync.state.db"));
}

TEST_CASE("an unset variable without default is an error naming it and its path") {
    std::vector<ConfigError> errors;
    parse_config(minimal, "c.json", errors, env_of({}));
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].path == "pipelines[0].writer.options.dir");
    CHECK(errors[0].message.find("environment variable OUT is not set") != std::string::npos);
}

TEST_CASE("${VAR:-default} uses the default when unset or empty, and $${ is a literal") {
    json::value v = {{"a", "${X:-fallback}/y"}, {"b", "$${X}"}, {"c", "${Y:-d}"}, {"d", "x${Z}z"}};
    std::vector<ConfigError> errors;
    substitute_env(v, "", env_of({{"Y", ""}, {"Z", "mid"}}), errors);
    CHECK(errors.empty());
    CHECK(v.at("a").as_string() == "fallback/y");
    CHECK(v.at("b").as_string() == "${X}");
    CHECK(v.at("c").as_string() == "d");
    CHECK(v.at("d").as_string() == "xmidz");
}

TEST_CASE("a dotted ${a.b} is a plugin's run-time template: passed through, never looked up") {
    json::value v = {{"path", "/repos/${partition.repo}/issues"},
                     {"q", "since=${cursor.start}&v=${X}"},
                     {"bad", "${partition.}"}};
    std::vector<ConfigError> errors;
    substitute_env(v, "", env_of({{"X", "1"}}), errors);
    CHECK(v.at("path").as_string() == "/repos/${partition.repo}/issues");
    CHECK(v.at("q").as_string() == "since=${cursor.start}&v=1");
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].message == "bad variable name \"partition.\" in ${...}");
}

TEST_CASE("names and ${VAR} references of any length are checked without a crash") {
    // std::regex overflowed the stack on a 300,000-character name (a segfault of `validate`).
    const std::string long_name(300000, 'a');
    const auto config_named = [](const std::string& name) {
        return R"({"connections": {")" + name + R"(": {"type": "none"}}, "pipelines": [{"name": ")" + name +
               R"(", "reader": {"plugin": "r", "options": {"v": "${)" + name + R"(}"}}, "writer": {"plugin": "w"}}]})";
    };
    std::vector<ConfigError> errors;
    auto c = parse_config(config_named(long_name), "c.json", errors, env_of({{long_name, "value"}}));
    CHECK_MESSAGE(errors.empty(), all(errors).substr(0, 300));
    REQUIRE(c.pipelines.size() == 1);
    CHECK(c.pipelines[0].name.size() == long_name.size());
    CHECK(c.pipelines[0].reader.options.at("v") == "value");

    errors.clear();
    (void)parse_config(config_named(long_name + "!"), "c.json", errors, env_of({}));
    REQUIRE(errors.size() == 3);
    CHECK(errors[0].message.starts_with("bad variable name \""));
    CHECK(errors[1].message == "a connection name is letters, digits, '_', '.', '-'");
    CHECK(errors[2].path == "pipelines[0].name");

    json::value v = {{"t", "${" + long_name + "." + long_name + "}"}, {"bad", "${" + long_name + "..x}"}};
    errors.clear();
    substitute_env(v, "", env_of({}), errors);
    CHECK(v.at("t").as_string().size() == 2 * long_name.size() + 4);  // a template, passed through
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].path == "bad");
}

TEST_CASE("a syntax error gives the file, line and column") {
    std::vector<ConfigError> errors;
    parse_config("{\n  \"pipelines\": [\n    {\"name\": }\n]}", "bad.json", errors, env_of({}));
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].message.find("bad.json:3:") != std::string::npos);
    CHECK(errors[0].message.find("invalid JSON") != std::string::npos);
}

TEST_CASE("every structural problem is reported with its JSON path, not just the first") {
    std::vector<ConfigError> errors;
    parse_config(R"({"pipelines": [
        {"name": "a", "reader": {"plugin": "r"}, "writer": {"plugin": "w"}, "batch_size": 0, "colour": 1},
        {"name": "a", "reader": {"options": {}}, "writer": 5, "retry": {"max_attempts": "x"}}
    ], "extra": true})",
                 "c.json", errors, env_of({}));
    const auto text = all(errors);
    CHECK(text.find("pipelines[0].batch_size: must be between 1 and 100000, got 0") != std::string::npos);
    CHECK(text.find("pipelines[0].colour: unknown key; valid keys: name,") != std::string::npos);
    CHECK(text.find("pipelines[1].name: duplicate pipeline name \"a\"") != std::string::npos);
    CHECK(text.find("pipelines[1].reader.plugin: required key missing") != std::string::npos);
    CHECK(text.find("pipelines[1].writer: expected an object") != std::string::npos);
    CHECK(text.find("pipelines[1].retry.max_attempts: expected an integer, got string") != std::string::npos);
    CHECK(text.find("extra: unknown key") != std::string::npos);
    CHECK(errors.size() == 7);
}

TEST_CASE("options are checked against the declared schema") {
    using sdk::OptionType;
    sdk::OptionSchema schema = {
        {.name = "uri", .type = OptionType::string, .required = true, .secret = true},
        {.name = "mode", .type = OptionType::string, .default_value = "fast", .allowed = {"fast", "safe"}},
        {.name = "size", .type = OptionType::integer, .default_value = 10, .min = 1, .max = 100},
        {.name = "name", .type = OptionType::string, .pattern = "^[a-z]+$"},
        {.name = "flag", .type = OptionType::boolean, .default_value = false},
        {.name = "keys", .type = OptionType::string_list},
    };
    SUBCASE("defaults are applied and values typed") {
        std::vector<ConfigError> errors;
        auto o =
            validate_options(schema, {{"uri", "mongodb://u:p@h"}, {"size", "42"}, {"flag", "true"}, {"keys", "a,b"}},
                             "x.options", ".", errors);
        CHECK(errors.empty());
        CHECK(o.get_string("mode") == "fast");
        CHECK(o.get_int("size") == 42);
        CHECK(o.get_bool("flag"));
        CHECK(o.get_strings("keys") == std::vector<std::string>{"a", "b"});
    }
    SUBCASE("every problem at once, with paths") {
        std::vector<ConfigError> errors;
        validate_options(schema, {{"mode", "slow"}, {"size", 1000}, {"name", "ABC"}, {"flag", 3}, {"colour", 1}},
                         "pipelines[0].writer.options", ".", errors);
        const auto text = all(errors);
        CHECK(text.find("pipelines[0].writer.options.uri: required option missing") != std::string::npos);
        CHECK(text.find("pipelines[0].writer.options.mode: \"slow\" is not one of: fast, safe") != std::string::npos);
        CHECK(text.find("pipelines[0].writer.options.size: must be between 1 and 100, got 1000") != std::string::npos);
        CHECK(text.find("pipelines[0].writer.options.name: \"ABC\" does not match the pattern") != std::string::npos);
        CHECK(text.find("pipelines[0].writer.options.flag: expected a boolean, got integer") != std::string::npos);
        CHECK(text.find("pipelines[0].writer.options.colour: unknown option; valid options: uri, mode, size, name, "
                        "flag, keys") != std::string::npos);
        CHECK(errors.size() == 6);
    }
    SUBCASE("secrets are redacted") {
        auto r = redact(schema, {{"uri", "mongodb://u:secret@h"}, {"mode", "safe"}});
        CHECK(r.at("uri").as_string() == "***");
        CHECK(r.at("mode").as_string() == "safe");
    }
}

TEST_CASE("unknown plugins and wrong kinds are reported with paths when resolving") {
    junction::test::TempDir dir;
    PluginRegistry registry;
    registry.load_directories({std::filesystem::path(JUNCTION_TEST_PLUGIN_DIR) / "testkit"});
    std::vector<ConfigError> errors;
    auto c = parse_config(R"({"pipelines": [{"name": "a", "reader": {"plugin": "nope"},
        "writer": {"plugin": "testkit", "options": {"file": 5, "bogus": 1}}}]})",
                          dir / "c.json", errors, env_of({}));
    REQUIRE(errors.empty());
    resolve_pipelines(c, registry, errors);
    const auto text = all(errors);
    CHECK(text.find("pipelines[0].reader.plugin: no plugin named \"nope\" is loaded; readers available: testkit") !=
          std::string::npos);
    CHECK(text.find("pipelines[0].writer.options.file: expected a string, got integer") != std::string::npos);
    CHECK(text.find("pipelines[0].writer.options.bogus: unknown option") != std::string::npos);
}

TEST_CASE("a key given twice in one object is an error with its path, not last-wins") {
    std::vector<ConfigError> errors;
    parse_config(R"({"pipelines": [
        {"name": "a", "reader": {"plugin": "r"}, "writer": {"plugin": "w", "options": {"password": "x", "password": "y"}},
         "writer": {"plugin": "w2"}}
    ]})",
                 "c.json", errors, env_of({}));
    const auto text = all(errors);
    CHECK(text.find("pipelines[0].writer.options.password: duplicate key") != std::string::npos);
    CHECK(text.find("pipelines[0].writer: duplicate key") != std::string::npos);
    CHECK(errors.size() == 2);
    errors.clear();
    parse_config(minimal, "c.json", errors, env_of({{"OUT", "o"}}));  // same names in different objects are fine
    CHECK(errors.empty());
}

TEST_CASE("a check_options refusal naming an option is placed under it; any other stays under options") {
    const sdk::OptionSchema schema = {{.name = "upsert_key", .type = sdk::OptionType::string_list},
                                      {.name = "ack_set", .type = sdk::OptionType::map}};
    const std::string at = "pipelines[0].writer.options";
    CHECK(check_options_error(schema, at, "upsert_key: needs at least one field").line() ==
          "pipelines[0].writer.options.upsert_key: needs at least one field");
    CHECK(check_options_error(schema, at, "upsert_key[1]: \"_id\" is not a business key").line() ==
          "pipelines[0].writer.options.upsert_key[1]: \"_id\" is not a business key");
    CHECK(check_options_error(schema, at, "ack_set.number: would overwrite the key").line() ==
          "pipelines[0].writer.options.ack_set.number: would overwrite the key");
    // Not an option of this component, prose, or no "name: " at all: the message is kept whole.
    CHECK(check_options_error(schema, at, "colour: is not declared").line() ==
          "pipelines[0].writer.options: colour: is not declared");
    CHECK(check_options_error(schema, at, "option upsert_key: too short").line() ==
          "pipelines[0].writer.options: option upsert_key: too short");
    CHECK(check_options_error(schema, at, "the options contradict each other").line() ==
          "pipelines[0].writer.options: the options contradict each other");
}

TEST_CASE("a connection's rate_limit is checked with its config path, and type none needs no credentials") {
    const auto parse = [](const std::string& connections) {
        std::vector<ConfigError> errors;
        auto c =
            parse_config(R"({"connections": )" + connections +
                             R"(, "pipelines": [{"name": "a", "reader": {"plugin": "r"}, "writer": {"plugin": "w"}}]})",
                         "/etc/x/c.json", errors, env_of({}));
        return std::pair(std::move(c), all(errors));
    };
    {
        const auto parsed = parse(R"({"github": {"type": "bearer", "token": "t0ken-value",
                                    "rate_limit": {"requests_per_second": 5, "burst": 5, "max_concurrent": 2}},
                                    "open": {"type": "none", "rate_limit": {"requests_per_second": 0.5}}})");
        const auto& c = parsed.first;
        const auto& errors = parsed.second;
        CHECK_MESSAGE(errors.empty(), errors);
        REQUIRE(c.connections.size() == 2);
        for (const auto& conn : c.connections) {
            if (conn.name == "github") {
                CHECK(conn.rate_limit.requests_per_second == 5.0);
                CHECK(conn.rate_limit.burst == 5.0);
                CHECK(conn.rate_limit.max_concurrent == 2);
            } else {
                CHECK(std::holds_alternative<services::NoneConnection>(conn.settings));
                CHECK(conn.rate_limit.requests_per_second == 0.5);
                CHECK(conn.rate_limit.burst == 1.0);  // the default: a second's worth, at least 1
                CHECK(conn.rate_limit.max_concurrent == 0);
            }
        }
    }
    CHECK(parse(R"({"github": {"type": "none", "rate_limit": {"requests_per_second": 0}}})").second ==
          "connections.github.rate_limit.requests_per_second: must be > 0, got 0\n");
    CHECK(parse(R"({"github": {"type": "none", "rate_limit": {"requests_per_second": -2}}})").second ==
          "connections.github.rate_limit.requests_per_second: must be > 0, got -2\n");
    CHECK(parse(R"({"github": {"type": "none", "rate_limit": {"max_concurrent": 0}}})")
              .second.find("connections.github.rate_limit.max_concurrent: must be ") != std::string::npos);
    CHECK(parse(R"({"github": {"type": "none", "rate_limit": {"burst": 3, "max_concurrent": 1}}})").second ==
          "connections.github.rate_limit.burst: needs rate_limit.requests_per_second (a burst of "
          "what rate?)\n");
    CHECK(parse(R"({"github": {"type": "none", "rate_limit": {}}})").second ==
          "connections.github.rate_limit: give requests_per_second, max_concurrent or both\n");
    CHECK(parse(R"({"github": {"type": "none", "rate_limit": {"rps": 3}}})")
              .second.find("connections.github.rate_limit.rps") != std::string::npos);
    CHECK(parse(R"({"github": {"type": "none", "token": "x"}})").second.find("connections.github.token") !=
          std::string::npos);
}
