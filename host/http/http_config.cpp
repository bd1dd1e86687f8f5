#include "http_config.hpp"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include <boost/asio/ip/address.hpp>
#include <boost/json/parse.hpp>

#include "section_readers.hpp"

namespace junction::http {
namespace json = boost::json;
using core::ConfigError;
using namespace host::section;

const char* to_string(Scope s) noexcept {
    switch (s) {
        case Scope::none:
            return "none";
        case Scope::read:
            return "read";
        case Scope::operate:
            return "operate";
        case Scope::admin:
            return "admin";
    }
    return "unknown";
}

std::optional<Scope> parse_scope(std::string_view text) {
    if (text == "read") return Scope::read;
    if (text == "operate") return Scope::operate;
    if (text == "admin") return Scope::admin;
    return std::nullopt;
}

bool HttpConfig::is_open(std::string_view endpoint) const {
    return std::find(open.begin(), open.end(), endpoint) != open.end();
}

bool HttpConfig::loopback_only() const {
    boost::system::error_code ec;
    const auto a = boost::asio::ip::make_address(address, ec);
    return !ec && a.is_loopback();
}

namespace {

const json::object* as_object(const json::value* v, const std::string& path, std::vector<ConfigError>& errors) {
    if (v == nullptr) return nullptr;
    if (!v->is_object()) {
        errors.push_back({path, "expected an object"});
        return nullptr;
    }
    return &v->get_object();
}

void read_scope(const json::object& o, const char* key, const std::string& path, Scope& out,
                std::vector<ConfigError>& errors) {
    const auto* s = o.if_contains(key);
    if (s == nullptr) return;
    const auto parsed = s->is_string() ? parse_scope(s->get_string()) : std::nullopt;
    if (parsed)
        out = *parsed;
    else if (s->is_string() && s->get_string() == "none")
        out = Scope::none;
    else
        errors.push_back({path + "." + key, "expected \"read\", \"operate\", \"admin\" or \"none\" (open)"});
}

std::filesystem::path resolve(const std::filesystem::path& base, const std::string& p) {
    return p.empty() ? std::filesystem::path{} : base / p;
}

// Environment variable names: what a shell can export.
bool env_name(std::string_view s) {
    if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
    return std::all_of(s.begin(), s.end(), [](char c) {
        return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    });
}

void parse_keys(const json::value& v, const std::filesystem::path& base, HttpConfig& cfg,
                std::vector<ConfigError>& errors) {
    if (!v.is_array()) {
        errors.push_back({"http.api_keys", "expected an array of {\"id\", \"key_env\" or \"key_file\", \"scopes\"}"});
        return;
    }
    std::set<std::string> ids;
    std::size_t i = 0;
    for (const auto& e : v.get_array()) {
        const std::string path = "http.api_keys[" + std::to_string(i++) + "]";
        const auto* o = as_object(&e, path, errors);
        if (o == nullptr) continue;
        if (o->contains("key"))
            errors.push_back({path + ".key",
                              "an API key is never written in the config: give \"key_env\" (an environment variable) "
                              "or \"key_file\" (a file readable by its owner only)"});
        check_keys(*o, {"id", "key_env", "key_file", "scopes"}, path, errors);
        ApiKeyConfig k;
        k.path = path;
        read_string(*o, "id", path, k.id, errors);
        if (!o->contains("id")) errors.push_back({path + ".id", "required: a name for the key (shown in logs)"});
        if (!k.id.empty() && !ids.insert(k.id).second)
            errors.push_back({path + ".id", "duplicate key id \"" + k.id + "\""});
        read_string(*o, "key_env", path, k.env, errors);
        std::string file;
        read_string(*o, "key_file", path, file, errors);
        k.file = resolve(base, file);
        if (!k.env.empty() && !env_name(k.env))
            errors.push_back({path + ".key_env", "expected the name of an environment variable, e.g. JUNCTION_API_KEY"});
        if (o->contains("key_env") == o->contains("key_file") && !o->contains("key"))
            errors.push_back({path, "give exactly one of \"key_env\" and \"key_file\""});
        const auto scopes = read_names(*o, "scopes", path, errors);
        if (!o->contains("scopes"))
            errors.push_back({path + ".scopes", "required: [\"read\"], [\"operate\"] or [\"admin\"]"});
        else if (scopes.empty() && o->at("scopes").is_array())
            errors.push_back({path + ".scopes", "expected at least one of read, operate, admin"});
        k.scope = Scope::none;
        for (std::size_t j = 0; j < scopes.size(); ++j) {
            if (auto s = parse_scope(scopes[j]))
                k.scope = std::max(k.scope, *s);
            else
                errors.push_back({path + ".scopes[" + std::to_string(j) + "]",
                                  "unknown scope \"" + scopes[j] + "\"; valid scopes: read, operate, admin"});
        }
        cfg.api_keys.push_back(std::move(k));
    }
}

bool valid_collection_path(std::string_view p) {
    if (p.size() < 2 || p[0] != '/' || p.back() == '/') return false;
    return std::all_of(p.begin(), p.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '/' || c == '-' ||
               c == '_' || c == '.';
    }) && p.find("//") == std::string_view::npos;
}

void parse_collections(const json::value& v, HttpConfig& cfg, std::vector<ConfigError>& errors) {
    if (!v.is_array()) {
        errors.push_back({"http.collections", "expected an array of served collections"});
        return;
    }
    std::set<std::string> paths;
    std::size_t i = 0;
    for (const auto& e : v.get_array()) {
        const std::string path = "http.collections[" + std::to_string(i++) + "]";
        const auto* o = as_object(&e, path, errors);
        if (o == nullptr) continue;
        check_keys(*o,
                   {"path", "plugin", "options", "id_field", "filters", "fields", "default_limit", "max_limit",
                    "cache_ttl_ms", "scope"},
                   path, errors);
        CollectionConfig c;
        c.config_path = path;
        read_string(*o, "path", path, c.path, errors);
        if (!o->contains("path")) errors.push_back({path + ".path", "required: where it is served, e.g. \"/contacts\""});
        if (!c.path.empty()) {
            if (!valid_collection_path(c.path))
                errors.push_back({path + ".path", "expected a path like \"/contacts\" (letters, digits, - _ . /)"});
            else if (c.path == "/api" || c.path.rfind("/api/", 0) == 0 || c.path == "/health" || c.path == "/ready" ||
                     c.path == "/metrics")
                errors.push_back({path + ".path", "\"" + c.path + "\" is the host's own endpoint: choose another path"});
            else if (!paths.insert(c.path).second)
                errors.push_back({path + ".path", "duplicate path \"" + c.path + "\""});
        }
        read_string(*o, "plugin", path, c.plugin, errors);
        if (!o->contains("plugin")) errors.push_back({path + ".plugin", "required: the store's plugin, e.g. \"docstore\""});
        if (const auto* opts = as_object(o->if_contains("options"), path + ".options", errors)) c.options = *opts;
        c.filters = read_names(*o, "filters", path, errors);
        read_string(*o, "id_field", path, c.id_field, errors);
        c.fields = read_names(*o, "fields", path, errors);
        read_count(*o, "max_limit", path, c.max_limit, 1, 10000, errors);
        c.default_limit = std::min(c.default_limit, c.max_limit);
        read_count(*o, "default_limit", path, c.default_limit, 1, c.max_limit, errors);
        read_ms(*o, "cache_ttl_ms", path, c.cache_ttl, 0, 3600000, errors);
        read_scope(*o, "scope", path, c.scope, errors);
        cfg.collections.push_back(std::move(c));
    }
}

bool valid_route(std::string_view r) {
    return !r.empty() && r.size() <= 64 && std::all_of(r.begin(), r.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
    });
}

// A JSON value of the config, or of the file a "<key>_file" member names (JSON with comments).
std::optional<json::value> inline_or_file(const json::object& o, const std::string& key, const std::string& path,
                                          const std::filesystem::path& base_dir, std::vector<ConfigError>& errors) {
    const auto* inline_value = o.if_contains(key);
    std::string file;
    read_string(o, (key + "_file").c_str(), path, file, errors);
    if (inline_value != nullptr && !file.empty()) {
        errors.push_back({path, "give " + key + " or " + key + "_file, not both"});
        return std::nullopt;
    }
    if (inline_value != nullptr) return *inline_value;
    if (file.empty()) return std::nullopt;
    const auto resolved = resolve(base_dir, file);
    std::ifstream in(resolved, std::ios::binary);
    if (!in) {
        errors.push_back({path + "." + key + "_file", "cannot read " + resolved.string()});
        return std::nullopt;
    }
    std::ostringstream text;
    text << in.rdbuf();
    json::parse_options opts;
    opts.allow_comments = true;
    opts.allow_trailing_commas = true;
    boost::system::error_code ec;
    auto v = json::parse(text.str(), ec, {}, opts);
    if (ec) {
        errors.push_back({path + "." + key + "_file", resolved.string() + " is not JSON: " + ec.message()});
        return std::nullopt;
    }
    return v;
}

// A schema's or spec's own problems, under the config path of where it came from.
void report(const std::vector<core::SchemaProblem>& problems, const std::string& where,
            std::vector<ConfigError>& errors) {
    for (const auto& p : problems)
        errors.push_back({where + (p.path.empty() ? "" : " at " + p.path), p.message});
}

void parse_submissions(const json::value& v, const std::filesystem::path& base_dir, HttpConfig& cfg,
                       std::vector<ConfigError>& errors) {
    if (!v.is_array()) {
        errors.push_back({"http.submissions", "expected an array of intake routes"});
        return;
    }
    std::set<std::string> routes;
    std::size_t i = 0;
    for (const auto& e : v.get_array()) {
        const std::string path = "http.submissions[" + std::to_string(i++) + "]";
        const auto* o = as_object(&e, path, errors);
        if (o == nullptr) continue;
        check_keys(*o,
                   {"route", "plugin", "options", "schema", "schema_file", "identity", "checks",
                    "idempotency_window_s", "require_idempotency_key", "scope", "read_scope"},
                   path, errors);
        SubmissionRouteConfig r;
        r.config_path = path;
        read_string(*o, "route", path, r.route, errors);
        if (!o->contains("route"))
            errors.push_back({path + ".route", "required: the route's name, e.g. \"formulas\""});
        else if (!valid_route(r.route))
            errors.push_back({path + ".route", "expected a name of letters, digits, - and _ (at most 64)"});
        else if (!routes.insert(r.route).second)
            errors.push_back({path + ".route", "duplicate route \"" + r.route + "\""});
        read_string(*o, "plugin", path, r.plugin, errors);
        if (!o->contains("plugin"))
            errors.push_back({path + ".plugin", "required: the store's plugin, e.g. \"docstore\""});
        if (const auto* opts = as_object(o->if_contains("options"), path + ".options", errors)) r.options = *opts;
        if (const auto schema = inline_or_file(*o, "schema", path, base_dir, errors)) {
            std::vector<core::SchemaProblem> problems;
            r.schema = core::JsonSchema::compile(*schema, problems);
            report(problems, path + ".schema", errors);
        }
        if (const auto* id = o->if_contains("identity")) {
            std::vector<core::SchemaProblem> problems;
            r.identity = core::IdentitySpec::compile(*id, problems);
            report(problems, path + ".identity", errors);
        }
        if (const auto* checks = o->if_contains("checks")) {
            if (!checks->is_array()) {
                errors.push_back({path + ".checks", "expected an array of checks"});
            } else {
                std::size_t j = 0;
                for (const auto& c : checks->get_array()) {
                    std::vector<core::SchemaProblem> problems;
                    const auto where = path + ".checks[" + std::to_string(j++) + "]";
                    if (auto check = core::SumCheck::compile(c, "", problems)) r.checks.push_back(std::move(*check));
                    for (const auto& p : problems)
                        errors.push_back({where + p.path, p.message});
                }
            }
        }
        std::uint64_t window = 86400;
        read_count(*o, "idempotency_window_s", path, window, 1, 31ULL * 86400, errors);
        r.idempotency_window = std::chrono::seconds(window);
        read_bool(*o, "require_idempotency_key", path, r.require_idempotency_key, errors);
        read_scope(*o, "scope", path, r.scope, errors);
        read_scope(*o, "read_scope", path, r.read_scope, errors);
        cfg.submissions.push_back(std::move(r));
    }
}

}  // namespace

HttpConfig parse_http_config(const json::value& section, const std::filesystem::path& base_dir,
                             std::vector<ConfigError>& errors) {
    HttpConfig cfg;
    const auto* o = as_object(&section, "http", errors);
    if (o == nullptr) return cfg;
    check_keys(*o,
               {"listen", "port_file", "tls", "limits", "api_keys", "open", "collections", "submissions", "workers", "nice",
                "access_log"},
               "http", errors);
    std::string listen;
    read_string(*o, "listen", "http", listen, errors);
    if (!listen.empty()) {
        // host:port, [v6]:port
        const auto colon = listen.rfind(':');
        std::string host = colon == std::string::npos ? "" : listen.substr(0, colon);
        if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
        const std::string port = colon == std::string::npos ? "" : listen.substr(colon + 1);
        boost::system::error_code ec;
        boost::asio::ip::make_address(host, ec);
        unsigned long p = 0;
        bool port_ok = !port.empty() && port.size() <= 5 &&
                       std::all_of(port.begin(), port.end(), [](char c) { return c >= '0' && c <= '9'; });
        if (port_ok) p = std::stoul(port);
        if (ec || !port_ok || p > 65535)
            errors.push_back({"http.listen",
                              "expected ADDRESS:PORT with a numeric address, e.g. \"127.0.0.1:8080\" or "
                              "\"[::1]:8080\" (port 0: any free port)"});
        else {
            cfg.address = host;
            cfg.port = static_cast<unsigned short>(p);
        }
    }
    std::string port_file;
    read_string(*o, "port_file", "http", port_file, errors);
    cfg.port_file = resolve(base_dir, port_file);
    if (const auto* t = as_object(o->if_contains("tls"), "http.tls", errors)) {
        check_keys(*t, {"cert_file", "key_file"}, "http.tls", errors);
        std::string cert, key;
        read_string(*t, "cert_file", "http.tls", cert, errors);
        read_string(*t, "key_file", "http.tls", key, errors);
        if (cert.empty() || key.empty())
            errors.push_back({"http.tls", "give both \"cert_file\" and \"key_file\" (PEM)"});
        else
            cfg.tls = TlsConfig{resolve(base_dir, cert), resolve(base_dir, key)};
    }
    if (const auto* l = as_object(o->if_contains("limits"), "http.limits", errors)) {
        const std::string p = "http.limits";
        check_keys(*l,
                   {"max_body_bytes", "max_header_bytes", "header_timeout_ms", "body_timeout_ms", "idle_timeout_ms",
                    "max_connections"},
                   p, errors);
        read_count(*l, "max_body_bytes", p, cfg.limits.max_body_bytes, 0, std::uint64_t{1} << 30, errors);
        read_count(*l, "max_header_bytes", p, cfg.limits.max_header_bytes, 1024, 1 << 20, errors);
        read_ms(*l, "header_timeout_ms", p, cfg.limits.header_timeout, 100, 600000, errors);
        read_ms(*l, "body_timeout_ms", p, cfg.limits.body_timeout, 100, 3600000, errors);
        read_ms(*l, "idle_timeout_ms", p, cfg.limits.idle_timeout, 100, 3600000, errors);
        read_count(*l, "max_connections", p, cfg.limits.max_connections, 1, 1000000, errors);
    }
    if (const auto* k = o->if_contains("api_keys")) parse_keys(*k, base_dir, cfg, errors);
    if (o->contains("open")) {
        cfg.open = read_names(*o, "open", "http", errors);
        static const std::vector<std::string> known = {"health", "ready", "metrics", "status_page"};
        for (std::size_t i = 0; i < cfg.open.size(); ++i)
            if (std::find(known.begin(), known.end(), cfg.open[i]) == known.end())
                errors.push_back({"http.open[" + std::to_string(i) + "]",
                                  "unknown endpoint \"" + cfg.open[i] + "\"; valid: " + join(known)});
    }
    if (const auto* c = o->if_contains("collections")) parse_collections(*c, cfg, errors);
    if (const auto* sub = o->if_contains("submissions")) parse_submissions(*sub, base_dir, cfg, errors);
    read_count(*o, "workers", "http", cfg.workers, 1, 64, errors);
    read_count(*o, "nice", "http", cfg.nice, 0, 19, errors);
    read_bool(*o, "access_log", "http", cfg.access_log, errors);
    return cfg;
}

}  // namespace junction::http
