// The HTTP server's config section, API keys and routing, without sockets.
#include <sys/stat.h>

#include <doctest/doctest.h>

#include <boost/json.hpp>

#include "http/api_keys.hpp"
#include "http/http_config.hpp"
#include "http/router.hpp"
#include "http/server.hpp"
#include "subprocess.hpp"
#include "temp_dir.hpp"

using namespace junction;
using namespace junction::http;
namespace json = boost::json;

namespace {

std::vector<core::ConfigError> errors_of(std::string_view text, HttpConfig* out = nullptr) {
    std::vector<core::ConfigError> errors;
    auto cfg = parse_http_config(json::parse(text), "/base", errors);
    if (out) *out = cfg;
    return errors;
}

bool has_error(const std::vector<core::ConfigError>& errors, std::string_view path, std::string_view text) {
    for (const auto& e : errors)
        if (e.path == path && e.message.find(text) != std::string::npos) return true;
    return false;
}

std::string dump(const std::vector<core::ConfigError>& errors) {
    std::string s;
    for (const auto& e : errors)
        s += e.line() + "\n";
    return s;
}

core::EnvLookup env_of(std::map<std::string, std::string> vars) {
    return [vars](const std::string& k) -> std::optional<std::string> {
        auto it = vars.find(k);
        return it == vars.end() ? std::nullopt : std::optional(it->second);
    };
}

struct Fixture {
    HttpConfig config;
    ApiKeyring keys;
    Router router;
    Fixture() {
        keys.add("reader", "read-key-0123456789", Scope::read);
        keys.add("operator", "operate-key-0123456789", Scope::operate);
        router.add(Method::get, "/health", Scope::read, "health", [](Request&) { return Response::json(200, {{"ok", true}}); },
                   "health");
        router.add(Method::get, "/items/{id}", Scope::read, "one item",
                   [](Request& r) { return Response::json(200, {{"id", r.params["id"]}, {"q", r.query_value("q").value_or("")}}); });
        router.add(Method::post, "/items/{id}/runs", Scope::operate, "run",
                   [](Request& r) { return Response::json(202, {{"body", r.body}}); });
        router.add(Method::get, "/boom", Scope::read, "throws", [](Request&) -> Response { throw std::runtime_error("kaput"); });
    }
    Response raw(std::string_view bytes) { return handle_raw_request(bytes, config, router, keys); }
    Response get(std::string_view target, std::string_view headers = "") {
        return raw("GET " + std::string(target) + " HTTP/1.1\r\nHost: x\r\n" + std::string(headers) + "\r\n");
    }
};

json::object error_of(const Response& r) {
    return json::parse(r.body).at("error").as_object();
}

}  // namespace

TEST_CASE("the http section: defaults, and every mistake named by its path") {
    HttpConfig cfg;
    CHECK(errors_of(R"({})", &cfg).empty());
    CHECK(cfg.address == "127.0.0.1");
    CHECK(cfg.port == 8080);
    CHECK(cfg.loopback_only());
    CHECK(cfg.is_open("health"));
    CHECK_FALSE(cfg.is_open("metrics"));

    CHECK(errors_of(R"({"listen": "[::1]:0"})", &cfg).empty());
    CHECK(cfg.address == "::1");
    CHECK(cfg.port == 0);
    CHECK(errors_of(R"({"listen": "0.0.0.0:9090"})", &cfg).empty());
    CHECK_FALSE(cfg.loopback_only());

    CHECK(has_error(errors_of(R"({"listen": "localhost:80"})"), "http.listen", "numeric address"));
    CHECK(has_error(errors_of(R"({"listen": "127.0.0.1:70000"})"), "http.listen", "ADDRESS:PORT"));
    CHECK(has_error(errors_of(R"({"listen": "127.0.0.1"})"), "http.listen", "ADDRESS:PORT"));
    CHECK(has_error(errors_of(R"({"lisen": "127.0.0.1:1"})"), "http.lisen", "unknown key; valid keys: listen"));
    CHECK(has_error(errors_of(R"({"limits": {"max_body_bytes": -1}})"), "http.limits.max_body_bytes", "whole number"));
    CHECK(has_error(errors_of(R"({"limits": {"header_timeout_ms": 5}})"), "http.limits.header_timeout_ms", "from 100"));
    CHECK(has_error(errors_of(R"({"tls": {"cert_file": "c.pem"}})"), "http.tls", "both"));
    CHECK(has_error(errors_of(R"({"open": ["health", "pipelines"]})"), "http.open[1]", "unknown endpoint \"pipelines\""));
    CHECK(has_error(errors_of(R"({"workers": 0})"), "http.workers", "from 1 to 64"));
}

TEST_CASE("API keys are declared by reference, never inline, each with one id and known scopes") {
    auto e = errors_of(R"({"api_keys": [{"id": "a", "key": "s3cret-inline-value", "scopes": ["read"]}]})");
    CHECK_MESSAGE(has_error(e, "http.api_keys[0].key", "never written in the config"), dump(e));
    CHECK(dump(e).find("s3cret-inline-value") == std::string::npos);
    e = errors_of(R"({"api_keys": [{"id": "a", "key_env": "A", "key_file": "k", "scopes": ["read"]}]})");
    CHECK(has_error(e, "http.api_keys[0]", "exactly one of"));
    e = errors_of(R"({"api_keys": [{"id": "a", "scopes": ["read"]}]})");
    CHECK(has_error(e, "http.api_keys[0]", "exactly one of"));
    e = errors_of(R"({"api_keys": [{"id": "a", "key_env": "A", "scopes": ["write"]}]})");
    CHECK(has_error(e, "http.api_keys[0].scopes[0]", "unknown scope \"write\"; valid scopes: read, operate, admin"));
    e = errors_of(R"({"api_keys": [{"id": "a", "key_env": "A"}]})");
    CHECK(has_error(e, "http.api_keys[0].scopes", "required"));
    e = errors_of(R"({"api_keys": [{"id": "a", "key_env": "A", "scopes": ["read"]}, {"id": "a", "key_env": "B", "scopes": ["read"]}]})");
    CHECK(has_error(e, "http.api_keys[1].id", "duplicate key id \"a\""));
    e = errors_of(R"({"api_keys": [{"id": "a", "key_env": "not-a-name", "scopes": ["read"]}]})");
    CHECK(has_error(e, "http.api_keys[0].key_env", "environment variable"));
    HttpConfig cfg;
    CHECK(errors_of(R"({"api_keys": [{"id": "a", "key_env": "A", "scopes": ["read", "admin"]}]})", &cfg).empty());
    CHECK(cfg.api_keys.at(0).scope == Scope::admin);  // the widest scope given
}

TEST_CASE("served collections: a path of their own, a plugin, limits") {
    auto e = errors_of(R"({"collections": [{"path": "/api/v1/contacts", "plugin": "docstore"}]})");
    CHECK(has_error(e, "http.collections[0].path", "the host's own endpoint"));
    e = errors_of(R"({"collections": [{"path": "contacts", "plugin": "docstore"}]})");
    CHECK(has_error(e, "http.collections[0].path", "expected a path like"));
    e = errors_of(R"({"collections": [{"path": "/c", "plugin": "docstore"}, {"path": "/c", "plugin": "docstore"}]})");
    CHECK(has_error(e, "http.collections[1].path", "duplicate path"));
    e = errors_of(R"({"collections": [{"path": "/c"}]})");
    CHECK(has_error(e, "http.collections[0].plugin", "required"));
    e = errors_of(R"({"collections": [{"path": "/c", "plugin": "docstore", "default_limit": 900, "max_limit": 100}]})");
    CHECK(has_error(e, "http.collections[0].default_limit", "from 1 to 100"));
}

TEST_CASE("the keyring reads keys from the environment or an owner-only file and keeps only hashes") {
    test::TempDir dir;
    const auto file = dir / "key";
    test::write_file(file, "file-key-0123456789abcdef\n");
    ::chmod(file.c_str(), 0644);
    std::vector<ApiKeyConfig> keys{{"env", "OPS_KEY", {}, Scope::operate, "http.api_keys[0]"},
                                   {"file", {}, file, Scope::read, "http.api_keys[1]"}};
    std::vector<core::ConfigError> errors;
    auto ring = ApiKeyring::load(keys, env_of({{"OPS_KEY", "env-key-0123456789abcdef"}}), errors);
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].path == "http.api_keys[1].key_file");
    CHECK(errors[0].message.find("readable by others (mode 644): chmod 600") != std::string::npos);

    ::chmod(file.c_str(), 0600);
    errors.clear();
    ring = ApiKeyring::load(keys, env_of({{"OPS_KEY", "env-key-0123456789abcdef"}}), errors);
    CHECK_MESSAGE(errors.empty(), dump(errors));
    REQUIRE(ring.find("env-key-0123456789abcdef") != nullptr);
    CHECK(ring.find("env-key-0123456789abcdef")->id == "env");
    CHECK(ring.find("file-key-0123456789abcdef")->id == "file");  // trimmed of its newline
    CHECK(ring.find("file-key-0123456789abcde") == nullptr);
    CHECK(ring.find("") == nullptr);
    for (const auto& k : ring.keys())  // the hash, not the key
        CHECK(std::string(k.hash.begin(), k.hash.end()).find("key-0123") == std::string::npos);

    errors.clear();
    (void)ApiKeyring::load(keys, env_of({{"OPS_KEY", "short"}}), errors);
    REQUIRE(errors.size() == 1);
    CHECK(errors[0].message.find("shorter than 16 characters") != std::string::npos);
    CHECK(errors[0].message.find("short\"") == std::string::npos);
    errors.clear();
    (void)ApiKeyring::load(keys, env_of({}), errors);
    CHECK(has_error(errors, "http.api_keys[0].key_env", "OPS_KEY is not set"));
}

TEST_CASE("routing: 404, 405 with Allow, params decoded, one error shape") {
    Fixture f;
    auto r = f.get("/nowhere");
    CHECK(r.status == 404);
    CHECK(error_of(r).at("code") == "not_found");
    r = f.raw("DELETE /health HTTP/1.1\r\nHost: x\r\n\r\n");
    CHECK(r.status == 405);
    CHECK(error_of(r).at("code") == "method_not_allowed");
    REQUIRE(r.headers.size() == 1);
    CHECK(r.headers[0] == std::pair<std::string, std::string>{"Allow", "GET"});
    r = f.get("/items/a%2Fb?q=x%20y", "X-API-Key: read-key-0123456789\r\n");
    CHECK(r.status == 200);
    CHECK(json::parse(r.body).at("id") == "a/b");
    CHECK(json::parse(r.body).at("q") == "x y");
    CHECK(f.get("/items/", "X-API-Key: read-key-0123456789\r\n").status == 404);
    // An empty segment names no item (the fuzz target found "/dead-letters//p24/replay" routed).
    r = f.raw("POST /items//runs HTTP/1.1\r\nHost: x\r\nX-API-Key: operate-key-0123456789\r\nContent-Length: 0\r\n\r\n");
    CHECK(r.status == 404);
    r = f.get("/boom", "X-API-Key: read-key-0123456789\r\n");
    CHECK(r.status == 500);
    CHECK(error_of(r).at("message") == "the request failed: kaput");
}

TEST_CASE("keys: 401 without or with a wrong key, 403 without the scope, Bearer or X-API-Key") {
    Fixture f;
    CHECK(f.get("/health").status == 200);  // open by config
    f.config.open.clear();
    auto r = f.get("/health");
    CHECK(r.status == 401);
    CHECK(error_of(r).at("message") == "an API key is required (X-API-Key or Authorization: Bearer)");
    r = f.get("/items/1", "X-API-Key: read-key-012345678X\r\n");
    CHECK(r.status == 401);
    CHECK(error_of(r).at("message") == "the API key is not valid");
    CHECK(f.get("/items/1", "Authorization: Bearer read-key-0123456789\r\n").status == 200);
    CHECK(f.get("/items/1", "Authorization: bearer read-key-0123456789\r\n").status == 200);
    r = f.raw("POST /items/1/runs HTTP/1.1\r\nHost: x\r\nX-API-Key: read-key-0123456789\r\nContent-Length: 0\r\n\r\n");
    CHECK(r.status == 403);
    CHECK(error_of(r).at("message") == "the key \"reader\" lacks the scope operate (it has read)");
    r = f.raw("POST /items/1/runs HTTP/1.1\r\nHost: x\r\nX-API-Key: operate-key-0123456789\r\nContent-Length: 2\r\n\r\nhi");
    CHECK(r.status == 202);
    CHECK(json::parse(r.body).at("body") == "hi");
}

TEST_CASE("requests the parser refuses: 400, 413, 431, each with the error shape") {
    Fixture f;
    f.config.limits.max_body_bytes = 8;
    f.config.limits.max_header_bytes = 1024;
    auto r = f.raw("GARBAGE\r\n\r\n");
    CHECK(r.status == 400);
    CHECK(error_of(r).at("code") == "malformed_request");
    r = f.raw("GET /health HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n");
    CHECK(r.status == 400);
    r = f.raw("POST /items/1/runs HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n");
    CHECK(r.status == 413);
    CHECK(error_of(r).at("code") == "body_too_large");
    r = f.raw("POST /items/1/runs HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n");
    CHECK(r.status == 413);
    r = f.raw("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(2000, 'a') + "\r\n\r\n");
    CHECK(r.status == 431);
    CHECK(error_of(r).at("code") == "header_too_large");
    r = f.raw("GET /health HTTP/1.1\r\nHost: x\r\n");  // cut short
    CHECK(r.status == 400);
    r = f.raw("GET http://evil.example/health HTTP/1.1\r\nHost: x\r\n\r\n");  // not origin-form
    CHECK(r.status == 400);
}
