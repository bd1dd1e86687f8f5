// (The testkit reader keeps the fetched body in the state store: no route used here
// echoes a credential back, so what the store holds is the host's doing alone.)
// Secrets never leak: a password in MONGO_URI, an API key (header and query parameter),
// a basic-auth password, an OAuth2 client secret with refresh and access tokens, used
// against real local servers, made to fail in every way they can (dead server, 401, bad
// URI, refused client, rejected records), at every log level in text and JSON lines.
// Then every log line, the state store's files, the run history and the dead letters
// are searched for each secret and its URL-encoded and base64 forms: zero hits.
#include <cctype>
#include <cstdio>

#include "engine_fixture.hpp"
#include "http_server.hpp"
#include "mongo_server.hpp"

using namespace junction::test;

namespace {

const std::string mongo_password = "m0ngo/p4ss+s3cret";
const std::string api_key = "apikey-s3cret-value";
const std::string query_key = "querykey-s3cret/value";
const std::string basic_password = "basic:p4ss s3cret";
const std::string client_secret = "client-s3cret-value";  // what tests/servers/http-server.mjs accepts
const std::string refresh_token = "rt-initial-secret";   // likewise
const std::string access_token_prefix = "at-leak-";        // tokens the server issues in realm "leak"

std::string percent_encoded(const std::string& s) {
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            char buf[4];
            std::snprintf(buf, sizeof buf, "%%%02X", c);
            out += buf;
        }
    }
    return out;
}

std::string base64(const std::string& s) {
    static const char* digits = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    for (std::size_t i = 0; i < s.size(); i += 3) {
        std::uint32_t n = static_cast<unsigned char>(s[i]) << 16;
        if (i + 1 < s.size()) n |= static_cast<unsigned char>(s[i + 1]) << 8;
        if (i + 2 < s.size()) n |= static_cast<unsigned char>(s[i + 2]);
        out += digits[(n >> 18) & 63];
        out += digits[(n >> 12) & 63];
        out += i + 1 < s.size() ? digits[(n >> 6) & 63] : '=';
        out += i + 2 < s.size() ? digits[n & 63] : '=';
    }
    return out;
}

// Every form in which a secret could show up.
std::vector<std::string> forbidden() {
    std::vector<std::string> out = {access_token_prefix, base64("junction-client:" + client_secret),
                                    base64("user:" + basic_password), base64("junction-client:" + percent_encoded(client_secret))};
    for (const auto& s : {mongo_password, api_key, query_key, basic_password, client_secret, refresh_token}) {
        out.push_back(s);
        out.push_back(percent_encoded(s));
        out.push_back(base64(s));
    }
    return out;
}

void check_clean(const std::string& where, const std::string& text) {
    for (const auto& secret : forbidden()) {
        CAPTURE(where);
        CAPTURE(secret);
        const auto at = text.find(secret);
        CHECK_MESSAGE(at == std::string::npos,
                      "found in: " << text.substr(at == std::string::npos ? 0 : (at > 200 ? at - 200 : 0), 400));
    }
}

std::string testkit_pipeline(const std::string& name, const std::string& connection, const std::string& url,
                             const std::string& writer_extra = "") {
    return R"({"name": ")" + name + R"(", "retry": {"max_attempts": 2, "initial_backoff_ms": 10, "max_backoff_ms": 20},
        "reader": {"plugin": "testkit", "options": {"count": 20, "connection": ")" + connection + R"(", "fetch": ")" +
           url + R"("}},
        "writer": {"plugin": "testkit", "options": {"file": ")" + name + R"(.ndjson")" + writer_extra + "}}}";
}

std::string mongo_pipeline(const std::string& name, const std::string& uri_var) {
    return R"({"name": ")" + name + R"(", "retry": {"max_attempts": 2, "initial_backoff_ms": 10, "max_backoff_ms": 20},
        "reader": {"plugin": "testkit", "options": {"count": 5}},
        "writer": {"plugin": "mongodb", "options": {"uri": "${)" + uri_var + R"(}", "database": "leak",
                   "collection": "c", "upsert_key": ["n"], "timeout_ms": 300}}})";
}

}  // namespace

TEST_CASE("no secret reaches a log line, the state store, the run history or the dead letters, whatever fails") {
    HttpServer http;
    MongoServer mongo;
    TempDir dir;
    const auto port = std::to_string(mongo.port());
    // The test server has no authentication: the password makes libmongoc fail to log in.
    const std::string good_uri =
        "mongodb://user:" + percent_encoded(mongo_password) + "@127.0.0.1:" + port;
    const std::string dead_uri =
        "mongodb://user:" + percent_encoded(mongo_password) + "@127.0.0.1:1";
    const std::string bad_uri = "mongodb://user:" + mongo_password + "@127.0.0.1:" + port + "/?bogus=1&";
    const auto token_url = http.url("/oauth/leak/token");
    write_file(dir / "c.json", R"({"state": "state.db",
        "connections": {
          "oauth": {"type": "oauth2", "token_url": ")" + token_url + R"(", "client_id": "junction-client",
                    "client_secret": ")" + client_secret + R"(", "refresh_token": ")" + refresh_token + R"("},
          "oauth_header": {"type": "oauth2", "token_url": ")" + token_url + R"(", "client_id": "junction-client",
                    "client_secret": ")" + client_secret + R"(", "auth_style": "header"},
          "oauth_wrong": {"type": "oauth2", "token_url": ")" + token_url + R"(", "client_id": "junction-client",
                    "client_secret": ")" + client_secret + R"(x"},
          "oauth_dead": {"type": "oauth2", "token_url": "http://127.0.0.1:1/token", "client_id": "junction-client",
                    "client_secret": ")" + client_secret + R"("},
          "key": {"type": "api_key", "key": ")" + api_key + R"("},
          "query": {"type": "api_key", "key": ")" + query_key + R"(", "query_param": "api_key"},
          "basic": {"type": "basic", "username": "user", "password": ")" + basic_password + R"("}},
        "pipelines": [)" +
                                 testkit_pipeline("oauth_ok", "oauth", http.url("/status/200"),
                                                  R"(, "reject_every": 3)") +
                                 "," + testkit_pipeline("oauth_header", "oauth_header", http.url("/status/200")) +
                                 "," + testkit_pipeline("oauth_401", "oauth", http.url("/status/401")) +
                                 "," + testkit_pipeline("oauth_wrong", "oauth_wrong", http.url("/oauth/leak/resource")) +
                                 "," + testkit_pipeline("oauth_dead", "oauth_dead", http.url("/oauth/leak/resource")) +
                                 "," + testkit_pipeline("key_401", "key", http.url("/status/401")) + "," +
                                 testkit_pipeline("key_503", "key", http.url("/status/503")) + "," +
                                 testkit_pipeline("key_dead", "key", "http://127.0.0.1:1/x") + "," +
                                 testkit_pipeline("key_bad_url", "key", "http://[::1/x") + "," +
                                 testkit_pipeline("query_401", "query", http.url("/status/401")) + "," +
                                 testkit_pipeline("query_500", "query", http.url("/status/500")) + "," +
                                 testkit_pipeline("query_redirect", "query",
                                                  http.url("/redirect?to=http://127.0.0.1:1/elsewhere")) +
                                 "," + testkit_pipeline("basic_403", "basic", http.url("/status/403")) + "," +
                                 mongo_pipeline("mongo_auth", "LEAK_GOOD_URI") + "," +
                                 mongo_pipeline("mongo_dead", "LEAK_DEAD_URI") + "]}");
    // A URI libmongoc cannot parse is refused before any run: its own config.
    write_file(dir / "bad.json", R"({"state": "state.db", "pipelines": [)" + mongo_pipeline("mongo_bad", "LEAK_BAD_URI") + "]}");
    const auto env = "LEAK_GOOD_URI=" + sh_quote(good_uri) + " LEAK_DEAD_URI=" + sh_quote(dead_uri) +
                     " LEAK_BAD_URI=" + sh_quote(bad_uri) + " ";
    const auto junction = env + sh_quote(JUNCTION_BIN) + " --plugin-dir " + sh_quote(JUNCTION_PLUGIN_DIR) +
                          " --plugin-dir " + sh_quote(std::string(JUNCTION_TEST_PLUGIN_DIR) + "/testkit") + " ";
    const auto config = sh_quote((dir / "c.json").string());

    auto validate = run(junction + "validate " + config);
    check_clean("validate", validate.out + validate.err);
    REQUIRE_MESSAGE(validate.exit_code == 0, validate.err);
    for (const char* command : {"validate ", "run --once "}) {
        auto bad = run(junction + command + sh_quote((dir / "bad.json").string()));
        CHECK(bad.exit_code == 3);
        CHECK(bad.err.find("pipelines[0].writer.options.uri: not a valid MongoDB URI") != std::string::npos);
        check_clean(std::string(command) + "of a bad URI", bad.out + bad.err);
    }
    for (const char* level : {"trace", "debug", "info", "warning", "error"}) {
        for (const char* format : {"text", "json"}) {
            CAPTURE(level);
            CAPTURE(format);
            auto r = run(junction + "--log-level " + level + " --log-format " + format + " run --once " + config);
            if (std::getenv("SECRETS_TEST_DEBUG")) MESSAGE(r.err);
            CHECK(r.exit_code == 1);  // some pipelines fail, by design
            check_clean(std::string("run --log-level ") + level + " --log-format " + format, r.out + r.err);
            if (std::string(level) == "trace") {
                // The failures did happen, so the search above looked at their lines.
                CHECK(r.err.find("invalid_client") != std::string::npos);
                CHECK(r.err.find("401") != std::string::npos);
                CHECK(r.err.find("oauth_ok") != std::string::npos);
                CHECK(r.err.find("mongo_dead") != std::string::npos);
            }
        }
    }
    // The happy path did reach the resource with a token, and rejected records were kept.
    CHECK(lines_of(read_file(dir / "oauth_ok.ndjson")).size() > 0);
    auto letters = run(junction + "dead-letters " + config + " oauth_ok --json --all");
    CHECK(lines_of(letters.out).size() > 0);
    check_clean("dead-letters", letters.out + letters.err);
    auto runs = run(junction + "runs " + config + " --json --limit 0");
    CHECK(lines_of(runs.out).size() >= 10);
    check_clean("runs", runs.out + runs.err);
    auto check = run(junction + "check " + config);
    check_clean("check", check.out + check.err);
    for (const char* file : {"state.db", "state.db-wal"})
        if (std::filesystem::exists(dir / file)) check_clean(file, read_file(dir / file));
}
