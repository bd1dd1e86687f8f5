// Parsing of the config file into the pipeline model (see config.hpp).
#include "junction/core/config.hpp"

#include <junction/sdk/json_types.hpp>
#include "duplicate_keys.hpp"
#include "junction/core/option_validation.hpp"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include <boost/json/parse_options.hpp>
#include <boost/json/stream_parser.hpp>

namespace junction::core {
namespace json = boost::json;
namespace fs = std::filesystem;

const PipelineConfig* Config::find(std::string_view name) const {
    for (const auto& p : pipelines)
        if (p.name == name) return &p;
    return nullptr;
}

EnvLookup process_environment() {
    return [](const std::string& name) -> std::optional<std::string> {
        const char* v = std::getenv(name.c_str());
        if (v == nullptr) return std::nullopt;
        return std::string(v);
    };
}

namespace {

// Names and ${VAR} references are checked character by character, not with std::regex:
// libstdc++ matches by recursion, a frame or more per character, and a 300,000-character
// pipeline name overflowed the stack (a crash where one error line was due).
bool is_word_char(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}
// [A-Za-z0-9_.-]+: pipeline and connection names
bool is_plain_name(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return is_word_char(c) || c == '.' || c == '-'; });
}
// [A-Za-z_][A-Za-z0-9_]*: an environment variable's name
bool is_identifier(std::string_view s) {
    return !s.empty() && !(s[0] >= '0' && s[0] <= '9') && std::all_of(s.begin(), s.end(), is_word_char);
}
// [A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)+: a plugin's run-time template (${cursor.start})
bool is_dotted_template(std::string_view s) {
    const auto dot = s.find('.');
    if (dot == std::string_view::npos || !is_identifier(s.substr(0, dot))) return false;
    for (std::size_t i = dot; i < s.size();) {  // at s[i] == '.'
        const auto next = s.find('.', i + 1);
        const auto part = s.substr(i + 1, next == std::string_view::npos ? std::string_view::npos : next - i - 1);
        if (part.empty() || !std::all_of(part.begin(), part.end(), is_word_char)) return false;
        if (next == std::string_view::npos) break;
        i = next;
    }
    return true;
}

std::string join_keys(const std::vector<std::string>& keys) {
    std::string out;
    for (const auto& k : keys)
        out += (out.empty() ? "" : ", ") + k;
    return out;
}

void check_keys(const json::object& o, const std::vector<std::string>& allowed, const std::string& path,
                std::vector<ConfigError>& errors) {
    for (const auto& kv : o) {
        if (std::find(allowed.begin(), allowed.end(), std::string(kv.key())) == allowed.end())
            errors.push_back({path.empty() ? std::string(kv.key()) : path + "." + std::string(kv.key()),
                              "unknown key; valid keys: " + join_keys(allowed)});
    }
}

// Reads an integer that may come as a string from ${VAR}.
std::optional<std::int64_t> as_int(const json::value& v) {
    if (v.is_int64()) return v.get_int64();
    if (v.is_uint64()) return static_cast<std::int64_t>(v.get_uint64());
    if (v.is_string()) {
        const std::string s(v.get_string());
        if (s.empty()) return std::nullopt;
        std::size_t used = 0;
        try {
            auto n = std::stoll(s, &used);
            if (used == s.size()) return n;
        } catch (...) {
        }
    }
    return std::nullopt;
}

std::int64_t get_int(const json::object& o, std::string_view key, std::int64_t def, std::int64_t lo, std::int64_t hi,
                     const std::string& path, std::vector<ConfigError>& errors) {
    const auto* v = o.if_contains(key);
    if (v == nullptr) return def;
    auto n = as_int(*v);
    const std::string p = path + "." + std::string(key);
    if (!n) {
        errors.push_back({p, "expected an integer, got " + std::string(sdk::json_type_name(*v))});
        return def;
    }
    if (*n < lo || *n > hi) {
        errors.push_back({p, "must be between " + std::to_string(lo) + " and " + std::to_string(hi) + ", got " +
                                 std::to_string(*n)});
        return def;
    }
    return *n;
}

// What StateStore::open() would refuse for the path alone.
std::string state_file_problem(const std::filesystem::path& file) {
    if (auto p = path_problem(file); !p.empty()) return p;
    std::error_code ec;
    if (std::filesystem::is_directory(file, ec))
        return file.string() + " is a folder; name the SQLite file in it, e.g. " + (file / "junction.db").string();
    if (std::filesystem::is_regular_file(file, ec) && std::filesystem::file_size(file, ec) > 0 && !ec) {
        static constexpr std::string_view magic("SQLite format 3\0", 16);
        std::string head(magic.size(), '\0');
        std::ifstream in(file, std::ios::binary);
        in.read(head.data(), static_cast<std::streamsize>(head.size()));
        if (head != magic) return file.string() + " is not an SQLite database";
    }
    return {};
}

StageConfig parse_stage(const json::value& v, const std::string& path, std::vector<ConfigError>& errors) {
    StageConfig s;
    s.path = path;
    if (!v.is_object()) {
        errors.push_back(
            {path, "expected an object with \"plugin\" and \"options\", got " + std::string(sdk::json_type_name(v))});
        return s;
    }
    const auto& o = v.get_object();
    check_keys(o, {"plugin", "options", "comment"}, path, errors);
    if (const auto* p = o.if_contains("plugin"); p == nullptr)
        errors.push_back({path + ".plugin", "required key missing"});
    else if (!p->is_string())
        errors.push_back(
            {path + ".plugin", "expected a plugin name (string), got " + std::string(sdk::json_type_name(*p))});
    else if (p->get_string().empty())
        errors.push_back({path + ".plugin", "a plugin name must not be empty"});
    else
        s.plugin = std::string(p->get_string());
    if (const auto* opts = o.if_contains("options")) {
        if (opts->is_object())
            s.options = opts->get_object();
        else
            errors.push_back({path + ".options", "expected an object, got " + std::string(sdk::json_type_name(*opts))});
    }
    return s;
}

PipelineConfig parse_pipeline(const json::value& v, const std::string& path, std::vector<ConfigError>& errors) {
    PipelineConfig p;
    p.path = path;
    if (!v.is_object()) {
        errors.push_back({path, "expected an object, got " + std::string(sdk::json_type_name(v))});
        return p;
    }
    const auto& o = v.get_object();
    check_keys(o,
               {"name", "description", "enabled", "reader", "translators", "writer", "batch_size", "workers",
                "queue_depth", "retry", "max_deliveries", "schedule", "placement", "comment"},
               path, errors);
    if (const auto* n = o.if_contains("name"); n == nullptr)
        errors.push_back({path + ".name", "required key missing"});
    else if (!n->is_string() || !is_plain_name(n->get_string()))
        errors.push_back({path + ".name", "expected a name of letters, digits, '_', '.', '-'"});
    else
        p.name = std::string(n->get_string());
    if (const auto* d = o.if_contains("description"); d != nullptr && d->is_string())
        p.description = std::string(d->get_string());
    if (const auto* e = o.if_contains("enabled")) {
        if (e->is_bool())
            p.enabled = e->get_bool();
        else if (e->is_string() && (e->get_string() == "true" || e->get_string() == "false"))
            p.enabled = e->get_string() == "true";
        else
            errors.push_back(
                {path + ".enabled", "expected true or false, got " + std::string(sdk::json_type_name(*e))});
    }
    if (const auto* r = o.if_contains("reader"))
        p.reader = parse_stage(*r, path + ".reader", errors);
    else
        errors.push_back({path + ".reader", "required key missing"});
    if (const auto* w = o.if_contains("writer"))
        p.writer = parse_stage(*w, path + ".writer", errors);
    else
        errors.push_back({path + ".writer", "required key missing"});
    if (const auto* t = o.if_contains("translators")) {
        if (!t->is_array()) {
            errors.push_back({path + ".translators", "expected an array, got " + std::string(sdk::json_type_name(*t))});
        } else {
            std::size_t i = 0;
            for (const auto& e : t->get_array())
                p.translators.push_back(parse_stage(e, path + ".translators[" + std::to_string(i++) + "]", errors));
        }
    }
    p.batch_size = static_cast<std::size_t>(get_int(o, "batch_size", 500, 1, 100000, path, errors));
    p.workers = static_cast<std::size_t>(get_int(o, "workers", 1, 1, 64, path, errors));
    p.queue_depth = static_cast<std::size_t>(get_int(o, "queue_depth", 4, 1, 1024, path, errors));
    if (const auto* r = o.if_contains("retry")) {
        const std::string rp = path + ".retry";
        if (!r->is_object()) {
            errors.push_back({rp, "expected an object, got " + std::string(sdk::json_type_name(*r))});
        } else {
            const auto& ro = r->get_object();
            check_keys(ro,
                       {"max_attempts", "initial_backoff_ms", "max_backoff_ms", "max_elapsed_ms", "max_retry_after_ms"},
                       rp, errors);
            p.retry.max_attempts = static_cast<int>(get_int(ro, "max_attempts", 5, 1, 1000, rp, errors));
            p.retry.initial_backoff =
                std::chrono::milliseconds(get_int(ro, "initial_backoff_ms", 200, 0, 3600000, rp, errors));
            p.retry.max_backoff =
                std::chrono::milliseconds(get_int(ro, "max_backoff_ms", 30000, 0, 86400000, rp, errors));
            p.retry.max_elapsed =
                std::chrono::milliseconds(get_int(ro, "max_elapsed_ms", 600000, 0, 7 * 86400000LL, rp, errors));
            p.retry.max_retry_after =
                std::chrono::milliseconds(get_int(ro, "max_retry_after_ms", 300000, 0, 86400000, rp, errors));
        }
    }
    p.max_deliveries = static_cast<std::uint32_t>(get_int(o, "max_deliveries", 5, 1, 1000000, path, errors));
    if (const auto* pl = o.if_contains("placement")) {
        const std::string_view v = pl->is_string() ? std::string_view(pl->get_string()) : std::string_view();
        if (v == "every_host")
            p.placement = Placement::every_host;
        else if (v == "one_host")
            p.placement = Placement::one_host;
        else if (v != "automatic")
            errors.push_back({path + ".placement", "expected \"automatic\", \"every_host\" or \"one_host\""});
    }
    if (const auto* s = o.if_contains("schedule")) {
        const std::string sp = path + ".schedule";
        if (!s->is_object()) {
            errors.push_back({sp,
                              "expected an object like {\"interval_ms\": 60000}, {\"poll_ms\": 1000} or "
                              "{\"cron\": \"*/15 * * * *\"}"});
        } else {
            const auto& so = s->get_object();
            check_keys(so, {"interval_ms", "poll_ms", "cron"}, sp, errors);
            const int given =
                (so.contains("interval_ms") ? 1 : 0) + (so.contains("poll_ms") ? 1 : 0) + (so.contains("cron") ? 1 : 0);
            if (given > 1) errors.push_back({sp, "give one of interval_ms, poll_ms or cron, not several"});
            if (const auto* c = so.if_contains("cron")) {
                p.schedule.mode = Schedule::Mode::cron;
                std::string error;
                if (!c->is_string())
                    errors.push_back({sp + ".cron",
                                      "expected a string like \"*/15 * * * *\" (minute hour "
                                      "day-of-month month day-of-week, UTC), got " +
                                          std::string(sdk::json_type_name(*c))});
                else if (auto cron = CronExpression::parse(c->get_string(), error))
                    p.schedule.cron = std::move(cron);
                else
                    errors.push_back({sp + ".cron", error});
            } else if (so.contains("poll_ms")) {
                p.schedule.mode = Schedule::Mode::continuous;
                p.schedule.every = std::chrono::milliseconds(get_int(so, "poll_ms", 1000, 10, 86400000, sp, errors));
            } else {
                p.schedule.every =
                    std::chrono::milliseconds(get_int(so, "interval_ms", 60000, 10, 31 * 86400000LL, sp, errors));
            }
        }
    }
    return p;
}

// `connections: {name: {type, ...}}`: each entry validated against its type's schema
// (secrets never echoed), then read into typed settings for the credentials service.
void parse_connections(const json::value& v, Config& cfg, std::vector<ConfigError>& errors) {
    if (!v.is_object()) {
        errors.push_back({"connections", "expected an object of named connections, got " +
                                             std::string(sdk::json_type_name(v))});
        return;
    }
    std::string types;
    for (const auto& t : services::connection_types())
        types += (types.empty() ? "" : ", ") + t;
    for (const auto& [key, entry] : v.get_object()) {
        const std::string name(key);
        const std::string path = "connections." + name;
        if (!is_plain_name(name)) {
            errors.push_back({path, "a connection name is letters, digits, '_', '.', '-'"});
            continue;
        }
        cfg.connection_names.push_back(name);
        if (!entry.is_object()) {
            errors.push_back({path, "expected an object with a type (" + types + "), got " +
                                        std::string(sdk::json_type_name(entry))});
            continue;
        }
        const auto* type = entry.get_object().if_contains("type");
        const auto schema = type != nullptr && type->is_string() ? services::connection_schema(type->get_string())
                                                                  : std::nullopt;
        if (!schema) {
            errors.push_back({path + ".type", "expected one of: " + types});
            continue;
        }
        const auto before = errors.size();
        const auto options = validate_options(*schema, entry.get_object(), path, cfg.base_dir, errors);
        if (errors.size() != before) continue;
        for (auto& problem : services::connection_problems(options))
            errors.push_back({path + "." + problem.path, std::move(problem.message)});
        if (errors.size() != before) continue;
        services::ConnectionConfig connection;
        if (auto st = services::parse_connection(name, options, connection); !st.is_ok())
            errors.push_back({path, st.message()});
        else
            cfg.connections.push_back(std::move(connection));
    }
}

// Line and column (1-based) of a byte offset, for parse errors.
std::pair<std::size_t, std::size_t> line_col(std::string_view text, std::size_t offset) {
    std::size_t line = 1, col = 1;
    for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
        if (text[i] == '\n') {
            ++line;
            col = 1;
        } else {
            ++col;
        }
    }
    return {line, col};
}

}  // namespace

void substitute_env(json::value& v, const std::string& path, const EnvLookup& env, std::vector<ConfigError>& errors) {
    if (v.is_object()) {
        for (auto& kv : v.get_object())
            substitute_env(kv.value(), path.empty() ? std::string(kv.key()) : path + "." + std::string(kv.key()), env,
                           errors);
    } else if (v.is_array()) {
        std::size_t i = 0;
        for (auto& e : v.get_array())
            substitute_env(e, path + "[" + std::to_string(i++) + "]", env, errors);
    } else if (v.is_string()) {
        const std::string in(v.get_string());
        if (in.find('$') == std::string::npos) return;
        std::string out;
        out.reserve(in.size());
        for (std::size_t i = 0; i < in.size();) {
            if (in.compare(i, 3, "$${") == 0) {
                out += "${";
                i += 3;
                continue;
            }
            if (in.compare(i, 2, "${") != 0) {
                out += in[i++];
                continue;
            }
            const auto close = in.find('}', i + 2);
            if (close == std::string::npos) {
                errors.push_back({path, "unterminated ${ in \"" + in + "\""});
                return;
            }
            const std::string body = in.substr(i + 2, close - i - 2);
            const auto dash = body.find(":-");
            const std::string name = body.substr(0, dash);
            // A dotted name (${partition.repo}, ${cursor.start}) cannot be an environment
            // variable: it is a plugin's run-time template, passed through untouched.
            if (dash == std::string::npos && is_dotted_template(name)) {
                out.append(in, i, close + 1 - i);
                i = close + 1;
                continue;
            }
            if (!is_identifier(name)) {
                errors.push_back({path, "bad variable name \"" + name + "\" in ${...}"});
                return;
            }
            auto value = env(name);
            if (dash != std::string::npos && (!value || value->empty())) value = body.substr(dash + 2);
            if (!value) {
                errors.push_back({path, "environment variable " + name + " is not set (write ${" + name +
                                            ":-default} to give a default)"});
                return;
            }
            out += *value;
            i = close + 1;
        }
        v = json::string(out);
    }
}

Config parse_config(std::string_view text, const fs::path& file, std::vector<ConfigError>& errors,
                    const EnvLookup& env, ConfigUse use) {
    Config cfg;
    cfg.file = file;
    cfg.base_dir = file.has_parent_path() ? fs::absolute(file).parent_path() : fs::current_path();

    json::parse_options opts;
    opts.allow_comments = true;
    opts.allow_trailing_commas = true;
    json::stream_parser parser({}, opts);
    boost::system::error_code ec;
    const std::size_t used = parser.write_some(text.data(), text.size(), ec);
    if (!ec) parser.finish(ec);
    if (!ec && used < text.size()) {
        // write_some stops after one complete value: anything but space after it is an error
        const auto rest = text.substr(used);
        if (rest.find_first_not_of(" \t\r\n") != std::string_view::npos) ec = json::error::extra_data;
    }
    if (ec) {
        auto [line, col] = line_col(text, used);
        errors.push_back({"", file.string() + ":" + std::to_string(line) + ":" + std::to_string(col) +
                                  ": invalid JSON: " + ec.message()});
        return cfg;
    }
    find_duplicate_keys(text, opts, errors);
    json::value root = parser.release();
    if (!root.is_object()) {
        errors.push_back({"", file.string() + ": the top level must be an object with \"pipelines\""});
        return cfg;
    }
    if (use == ConfigUse::history) root.get_object().erase("connections");
    const auto before_env = errors.size();
    substitute_env(root, "", env, errors);
    if (use == ConfigUse::history) {
        // Only the errors at state or pipelines[N].name matter here.
        const auto needed = [](std::string_view p) {
            if (p == "state") return true;
            if (!p.starts_with("pipelines[") || !p.ends_with("].name")) return false;
            const auto digits = p.substr(10, p.size() - 10 - 6);
            return !digits.empty() && std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '9'; });
        };
        const auto first = errors.begin() + static_cast<std::ptrdiff_t>(before_env);
        errors.erase(std::remove_if(first, errors.end(), [&](const ConfigError& e) { return !needed(e.path); }),
                     errors.end());
    }
    auto& o = root.get_object();
    check_keys(o, {"plugin_dirs", "state", "connections", "http", "cluster", "pipelines", "comment", "$schema"}, "",
               errors);
    if (const auto* c = o.if_contains("connections")) parse_connections(*c, cfg, errors);
    // The host's HTTP server reads its own section (host/http/http_config.cpp).
    if (const auto* h = o.if_contains("http")) cfg.http = *h;
    // And its cluster membership (host/cluster/cluster_config.cpp).
    if (const auto* c = o.if_contains("cluster")) cfg.cluster = *c;

    if (const auto* d = o.if_contains("plugin_dirs")) {
        if (!d->is_array()) {
            errors.push_back({"plugin_dirs", "expected an array of folder paths"});
        } else {
            std::size_t i = 0;
            for (const auto& e : d->get_array()) {
                if (e.is_string())
                    cfg.plugin_dirs.push_back(cfg.base_dir / std::string(e.get_string()));
                else
                    errors.push_back({"plugin_dirs[" + std::to_string(i) + "]", "expected a folder path (string)"});
                ++i;
            }
        }
    }
    if (const auto* s = o.if_contains("state"); s != nullptr && s->is_string() && !s->get_string().empty()) {
        cfg.state = cfg.base_dir / std::string(s->get_string());
        if (auto p = state_file_problem(cfg.state); !p.empty()) errors.push_back({"state", p});
    } else if (s != nullptr)
        errors.push_back({"state", "expected a file path (string)"});
    else
        cfg.state = cfg.base_dir / (file.stem().string() + ".state.db");

    const auto* pipes = o.if_contains("pipelines");
    if (pipes == nullptr || !pipes->is_array() || pipes->get_array().empty()) {
        errors.push_back({"pipelines", "expected a non-empty array of pipelines"});
        return cfg;
    }
    std::set<std::string> names;
    std::size_t i = 0;
    for (const auto& p : pipes->get_array()) {
        const std::string path = "pipelines[" + std::to_string(i++) + "]";
        auto pc = parse_pipeline(p, path, errors);
        if (!pc.name.empty() && !names.insert(pc.name).second)
            errors.push_back({path + ".name", "duplicate pipeline name \"" + pc.name + "\""});
        cfg.pipelines.push_back(std::move(pc));
    }
    return cfg;
}

Config load_config(const fs::path& file, std::vector<ConfigError>& errors, const EnvLookup& env, ConfigUse use) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
        errors.push_back({"", file.string() + ": cannot read the config file: " +
                                  (fs::exists(file) ? "permission denied or not a file" : "no such file")});
        Config config;
        config.file = file;
        return config;
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    return parse_config(ss.str(), file, errors, env, use);
}

}  // namespace junction::core
