// Issue 14's trial made systematic: a complete, valid config (files, docstore, mongodb,
// mapping, tracos and rest stages) mutated one place at a time (every key deleted, every value
// replaced by each other JSON type, zero/negative/huge numbers, unknown keys, unset
// ${VAR}s, impossible paths). For each mutation, validate (the host's own load_config and
// resolve_pipelines, in process, for speed) either refuses it with every problem under a
// config path, or accepts it and then `check` (every reader and writer opened, against a
// real MongoDB-wire server) succeeds: what validate accepts, open() accepts. A sample of
// the mutations goes through the real `junction validate` too, which must print the same.
#include <doctest/doctest.h>

#include <unistd.h>

#include <cstring>
#include <functional>
#include <map>
#include <optional>
#include <regex>
#include <variant>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "junction/core/config.hpp"
#include "junction/core/engine.hpp"
#include "junction/core/host_services.hpp"
#include "junction/core/plugin_registry.hpp"
#include "junction/core/state_store.hpp"
#include "mongo_server.hpp"
#include "subprocess.hpp"
#include "temp_dir.hpp"

using namespace junction;
using namespace junction::test;
namespace json = boost::json;

namespace {

// Comments are not JSON: the base is written with them stripped by boost::json's parser.
const char* const base_config = R"({
  "state": "state/junction.db",
  "pipelines": [
    {
      "name": "inbound",
      "description": "customer files -> TracOS on MongoDB",
      "reader": {"plugin": "files", "options": {"dir": "${JT_INBOUND}", "pattern": "*.json", "format": "auto",
                 "after": "move", "processed_dir": "done", "quarantine_dir": "bad", "settle_ms": 0}},
      "translators": [{"plugin": "tracos", "options": {"direction": "to_tracos"}}],
      "writer": {"plugin": "mongodb", "options": {"uri": "${JT_MONGO_URI}", "database": "jt", "collection": "wo",
                 "timeout_ms": 2000, "date_fields": ["createdAt"], "upsert_key": ["number"]}},
      "batch_size": 100, "workers": 1, "queue_depth": 2,
      "retry": {"max_attempts": 3, "initial_backoff_ms": 10, "max_backoff_ms": 100, "max_elapsed_ms": 1000,
                "max_retry_after_ms": 1000},
      "max_deliveries": 5,
      "schedule": {"interval_ms": 60000}
    },
    {
      "name": "outbound",
      "reader": {"plugin": "docstore", "options": {"path": "data/tracos.db", "collection": "workorders",
                 "filter": {"isSynced": {"$ne": true}, "n": {"$gte": 1}}, "key_field": "number", "sort": "number",
                 "ack_set": {"isSynced": true, "syncedAt": "$now"}, "reject_set": {"syncError": "$reason"}}},
      "translators": [{"plugin": "mapping", "options": {"required": ["number"], "rename": {"title": "summary"},
                       "copy": {"number": "orderNo"}, "map_values": {"status": {"done": "closed", "*": "open"}},
                       "to_utc": ["createdAt"], "set": {"source": "tracos"}, "drop": ["_id"], "key": "orderNo"}}],
      "writer": {"plugin": "files", "options": {"dir": "out", "format": "ndjson", "file": "out.ndjson",
                 "indent": false, "fsync": false}}
    },
    {
      "name": "mirror",
      "enabled": false,
      "reader": {"plugin": "mongodb", "options": {"uri": "${JT_MONGO_URI}", "database": "jt", "collection": "wo",
                 "filter": {"deleted": {"$ne": true}}, "key_field": "number", "sort": "_id",
                 "ack_set": {"mirrored": true}, "reject_set": {"mirrorError": "$reason"}}},
      "writer": {"plugin": "docstore", "options": {"path": "data/mirror.db", "collection": "wo",
                 "upsert_key": ["number"]}}
    },
    {
      "name": "api",
      "enabled": false,
      "reader": {"plugin": "rest", "options": {"base_url": "http://127.0.0.1:9/api", "vars": {"owner": "acme"},
                 "request": {"path": "/repos/${vars.owner}/${partition.value}/issues",
                             "query": {"state": "all", "since": "${cursor.start}"}, "headers": {"Accept": "application/json"}},
                 "records": {"path": "$.results", "filter": [{"path": "$.pull_request", "exists": false}]},
                 "key": "$.id",
                 "paginator": {"type": "cursor", "cursor_path": "$.paging.next.after", "param": "after"},
                 "partitions": {"values": ["widgets", "gears"]},
                 "incremental": {"cursor_field": "$.updated_at", "start": "2024-01-01T00:00:00Z", "lookback": 60},
                 "max_pages": 10, "timeout_ms": 5000}},
      "writer": {"plugin": "files", "options": {"dir": "api-out", "format": "ndjson"}}
    }
  ]
})";

struct Mutation {
    std::string what;  // e.g. "pipelines[0].writer.options.uri = null"
    json::value config;
};

// A JSON-pointer-like step list into the config, and a readable path for messages.
using Steps = std::vector<std::variant<std::string, std::size_t>>;

std::string describe(const Steps& steps) {
    std::string out;
    for (const auto& s : steps) {
        if (const auto* k = std::get_if<std::string>(&s))
            out += (out.empty() ? "" : ".") + *k;
        else
            out += "[" + std::to_string(std::get<std::size_t>(s)) + "]";
    }
    return out;
}

json::value& at(json::value& root, const Steps& steps) {
    json::value* v = &root;
    for (const auto& s : steps) {
        if (const auto* k = std::get_if<std::string>(&s))
            v = &v->as_object().at(*k);
        else
            v = &v->as_array().at(std::get<std::size_t>(s));
    }
    return *v;
}

// Every kind of JSON value, as a replacement for any other.
const std::vector<std::pair<std::string, json::value>>& replacements() {
    static const std::vector<std::pair<std::string, json::value>> all = {
        {"null", nullptr},
        {"true", true},
        {"0", 0},
        {"-1", -1},
        {"1.5", 1.5},
        {"1e300", 1e300},
        {"2^64", json::parse("18446744073709551616")},
        {"uint64 max", json::parse("18446744073709551615")},
        {"\"\"", ""},
        {"\"x\"", "x"},
        {"\"${JT_UNSET}\"", "${JT_UNSET}"},
        {"[]", json::array{}},
        {"[1]", json::array{1}},
        {"{}", json::object{}},
        {"{\"zz\": 1}", json::object{{"zz", 1}}},
    };
    return all;
}

void mutate(const json::value& base, json::value& node, Steps& steps, std::vector<Mutation>& out) {
    const auto add = [&](std::string what, const std::function<void(json::value&)>& change) {
        json::value copy = base;
        change(copy);
        out.push_back({std::move(what), std::move(copy)});
    };
    const auto where = describe(steps);
    if (!steps.empty()) {
        for (const auto& [name, value] : replacements()) {
            if (value == node) continue;
            add(where + " = " + name, [&, v = value](json::value& c) { at(c, steps) = v; });
        }
    }
    if (node.is_object()) {
        add(where + " + unknown key", [&](json::value& c) { at(c, steps).as_object()["zz_unknown"] = 1; });
        for (auto& [key, child] : node.as_object()) {
            const std::string k(key);
            add(where + " - " + k, [&](json::value& c) { at(c, steps).as_object().erase(k); });
            steps.emplace_back(k);
            mutate(base, child, steps, out);
            steps.pop_back();
        }
    } else if (node.is_array()) {
        auto& a = node.as_array();
        for (std::size_t i = 0; i < a.size(); ++i) {
            add(where + " - [" + std::to_string(i) + "]", [&, i](json::value& c) {
                auto& arr = at(c, steps).as_array();
                arr.erase(arr.begin() + static_cast<std::ptrdiff_t>(i));
            });
            steps.emplace_back(i);
            mutate(base, a[i], steps, out);
            steps.pop_back();
        }
    }
}

// The path options (files dir, processed_dir, quarantine_dir, docstore path, state) set
// to places that cannot be: under a plain file; and, unless root, a folder without
// permission.
std::vector<Mutation> impossible_paths(const json::value& base, const TempDir& dir) {
    write_file(dir / "plain", "a file, not a folder");
    std::vector<std::string> places = {(dir / "plain" / "sub").string(), (dir / "plain").string()};
    if (::geteuid() != 0) {
        std::filesystem::create_directories(dir / "locked");
        std::filesystem::permissions(dir / "locked", std::filesystem::perms::none);
        places.push_back((dir / "locked" / "sub").string());
    } else {
        MESSAGE("running as root: the folder-without-permission mutations are skipped (root may write anywhere)");
    }
    const std::vector<Steps> paths = {
        {"state"},
        {"pipelines", std::size_t{0}, "reader", "options", "dir"},
        {"pipelines", std::size_t{0}, "reader", "options", "processed_dir"},
        {"pipelines", std::size_t{0}, "reader", "options", "quarantine_dir"},
        {"pipelines", std::size_t{1}, "reader", "options", "path"},
        {"pipelines", std::size_t{1}, "writer", "options", "dir"},
        {"pipelines", std::size_t{2}, "writer", "options", "path"},
    };
    std::vector<Mutation> out;
    for (const auto& steps : paths)
        for (const auto& place : places) {
            json::value copy = base;
            at(copy, steps) = place;
            out.push_back({describe(steps) + " = " + place, std::move(copy)});
        }
    return out;
}

// A problem's path starts with one of the config's own top-level keys ("pipelines[1]...",
// "state", or an unknown key itself).
bool is_config_path(const std::string& path, const json::value& config) {
    const auto top = path.substr(0, path.find_first_of(".["));
    return !top.empty() && config.as_object().contains(top);
}

struct Checked {
    std::vector<core::ConfigError> errors;
    std::vector<std::string> open_failures;  // "pipeline kind plugin: message" when validate accepted
};

}  // namespace

TEST_CASE("every mutation of a valid config is refused under a config path, or accepted and then opens") {
    MongoServer mongo;
    TempDir dir;
    std::filesystem::create_directories(dir / "in");
    const std::map<std::string, std::string> env_vars = {{"JT_MONGO_URI", mongo.uri()},
                                                         {"JT_INBOUND", (dir / "in").string()}};
    const core::EnvLookup env = [&](const std::string& name) -> std::optional<std::string> {
        if (auto it = env_vars.find(name); it != env_vars.end()) return it->second;
        return std::nullopt;
    };
    core::PluginRegistry registry;
    registry.load_directories({JUNCTION_PLUGIN_DIR});
    REQUIRE(registry.problems().empty());
    auto state = core::StateStore::open(dir / "check-state.db");
    core::HostServices services;
    const auto config_file = dir / "m.json";

    // Only the pipeline a mutation touched is opened (the others are the base's, opened
    // once below); a mutation elsewhere ("state", "pipelines" itself) opens them all.
    const auto touched = [](const std::string& what) -> std::optional<std::string> {
        static const std::regex one(R"(^pipelines\[(\d+)\][.\[ ].*)");
        std::smatch m;
        if (std::regex_match(what, m, one)) return "pipelines[" + m[1].str() + "]";
        return std::nullopt;
    };
    const auto check = [&](const json::value& config, const std::optional<std::string>& only = std::nullopt) {
        Checked c;
        core::Config parsed;
        parsed = core::parse_config(json::serialize(config), config_file, c.errors, env);
        if (!parsed.pipelines.empty()) {
            std::vector<core::ConfigError> option_errors;
            const auto resolved = core::resolve_pipelines(parsed, registry, option_errors);
            c.errors.insert(c.errors.end(), option_errors.begin(), option_errors.end());
            if (c.errors.empty()) {
                // As `check` and `run` do: the state store's folder created, the store opened.
                // (Only when the mutation is not inside one pipeline: the store is slow to open.)
                try {
                    if (!only) {
                        std::filesystem::create_directories(parsed.state.parent_path());
                        (void)core::StateStore::open(parsed.state);
                    }
                } catch (const std::exception& e) {
                    c.open_failures.push_back(std::string("state store: ") + e.what());
                }
                for (const auto& p : resolved)
                    if (!only || p.config->path == *only)
                        for (const auto& r :
                         core::check_pipeline(p, *state, {.base_dir = parsed.base_dir, .services = &services}))
                        if (!r.status.is_ok())
                            c.open_failures.push_back(p.config->name + " " + r.kind + " " + r.plugin + ": " +
                                                      r.status.message());
            }
        }
        return c;
    };

    const json::value base = json::parse(base_config);
    {
        const auto c = check(base);
        REQUIRE_MESSAGE(c.errors.empty(), c.errors.front().line());
        REQUIRE_MESSAGE(c.open_failures.empty(), c.open_failures.front());
    }
    std::vector<Mutation> mutations;
    {
        json::value node = base;
        Steps steps;
        mutate(base, node, steps, mutations);
    }
    for (auto& m : impossible_paths(base, dir))
        mutations.push_back(std::move(m));
    MESSAGE(mutations.size() << " mutations");

    std::size_t refused = 0, accepted = 0;
    for (std::size_t i = 0; i < mutations.size(); ++i) {
        const auto& m = mutations[i];
        CAPTURE(m.what);
        Checked c;
        try {
            c = check(m.config, touched(m.what));
        } catch (const std::exception& e) {
            FAIL_CHECK("threw: " << e.what());
            continue;
        }
        for (const auto& e : c.errors)
            CHECK_MESSAGE((is_config_path(e.path, m.config) || is_config_path(e.path, base)), "a problem without a config path: ", e.line());
        if (c.errors.empty()) {
            ++accepted;
            for (const auto& f : c.open_failures) {
                FAIL_CHECK("validate accepted it, open refused it: " << f);
            }
        } else {
            ++refused;
        }
        // Every 100th through the real binary: the same verdict, every line under a path.
        if (i % 100 != 0) continue;
        write_file(config_file, json::serialize(m.config));
        std::string env_prefix;
        for (const auto& [k, v] : env_vars)
            env_prefix += k + "=" + sh_quote(v) + " ";
        const auto r = run("env -u JT_UNSET " + env_prefix + sh_quote(JUNCTION_BIN) + " validate " +
                           sh_quote(config_file.string()));
        CHECK_MESSAGE(r.exit_code == (c.errors.empty() ? 0 : 3), r.err);
        if (r.exit_code == 3) {
            const auto lines = lines_of(r.err);
            REQUIRE(!lines.empty());
            const std::string prefix = config_file.string() + ": ";
            for (std::size_t l = 0; l + 1 < lines.size(); ++l) {
                CAPTURE(lines[l]);
                REQUIRE(lines[l].rfind(prefix, 0) == 0);
                const auto rest = lines[l].substr(prefix.size());
                CHECK((is_config_path(rest.substr(0, rest.find(": ")), m.config) ||
                       is_config_path(rest.substr(0, rest.find(": ")), base)));
            }
            CHECK(lines.back().find(" found") != std::string::npos);
        }
    }
    MESSAGE(refused << " refused, " << accepted << " accepted and opened");
    CHECK(refused > 0);
    CHECK(accepted > 0);
}
