// The credentials service against a real OAuth2 token endpoint on 127.0.0.1: schemas,
// static credentials, token caching and renewal (time driven by a manual clock), one
// refresh at a time, rotated refresh tokens stored before use, 401 -> refresh -> replay,
// and token endpoint errors that name the connection and never a secret.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <latch>
#include <string>
#include <thread>
#include <vector>

#include <junction/services/connection_config.hpp>
#include <junction/services/credential_store.hpp>
#include <junction/services/http_service.hpp>

#include "service_test_support.hpp"

using namespace junction;
using namespace junction::test;
using namespace std::chrono_literals;

namespace {

services::OAuth2Connection oauth2(const HttpServer& server, const std::string& realm, const std::string& query = "",
                                  std::string refresh_token = {}) {
    return {.token_url = server.url("/oauth/" + realm + "/token" + query),
            .client_id = HttpServer::client_id,
            .client_secret = HttpServer::client_secret,
            .refresh_token = std::move(refresh_token)};
}

struct Fixture {
    boost::json::object stats(const std::string& realm) const {
        return server_json(server, "/oauth/" + realm + "/stats").as_object();
    }
    std::int64_t token_requests(const std::string& realm) const { return stats(realm).at("token_requests").as_int64(); }

    HttpServer server;
    ManualClock clock;
    LogLines log;
    MemoryTokenStore tokens;
    services::HttpService http;
};

// A value stored under a key that is gone (EncryptedTokenStore in core): get() refuses it.
class UndecryptableTokenStore final : public services::TokenStore {
public:
    std::optional<std::string> get(std::string_view connection) override {
        if (!puts_.empty()) return puts_.back();
        throw services::StoredTokenUnreadable("the stored refresh token of connection " + std::string(connection) +
                                              " cannot be decrypted with /keys/state.db.key (key changed or lost)");
    }
    void put(std::string_view, std::string_view refresh_token) override { puts_.emplace_back(refresh_token); }
    std::vector<std::string> puts_;
};

std::string authorize(services::CredentialStore& store, const std::string& connection = "crm") {
    sdk::Authorization auth;
    const auto status = store.authorize(connection, auth);
    REQUIRE_MESSAGE(status.is_ok(), status.message());
    CHECK(auth.name == "Authorization");
    CHECK_FALSE(auth.in_query);
    return auth.value;
}

}  // namespace

TEST_CASE("each connection type declares its options, secrets marked") {
    const auto secret = [](const sdk::OptionSchema& schema, const std::string& name) {
        const auto it = std::find_if(schema.begin(), schema.end(), [&](const auto& o) { return o.name == name; });
        REQUIRE_MESSAGE(it != schema.end(), name);
        return it->secret;
    };
    CHECK(secret(*services::connection_schema("api_key"), "key"));
    CHECK_FALSE(secret(*services::connection_schema("api_key"), "header"));
    CHECK(secret(*services::connection_schema("bearer"), "token"));
    CHECK(secret(*services::connection_schema("basic"), "password"));
    CHECK(secret(*services::connection_schema("oauth2"), "client_secret"));
    CHECK(secret(*services::connection_schema("oauth2"), "refresh_token"));
    CHECK_FALSE(secret(*services::connection_schema("oauth2"), "client_id"));
    for (const auto& type : services::connection_types()) {
        const auto schema = services::connection_schema(type);
        REQUIRE(schema.has_value());
        CHECK(schema->front().name == "type");
        CHECK(schema->front().allowed == std::vector<std::string>{type});
    }
    CHECK_FALSE(services::connection_schema("kerberos").has_value());
}

TEST_CASE("validated options become typed settings, defaults included") {
    services::ConnectionConfig out;
    const sdk::Options options(boost::json::object{{"type", "oauth2"},
                                                   {"token_url", "https://auth.example.com/token"},
                                                   {"client_id", "id"},
                                                   {"client_secret", "s"},
                                                   {"scopes", boost::json::array{"a", "b"}},
                                                   {"auth_style", "header"},
                                                   {"refresh_before_s", 120}});
    REQUIRE(services::parse_connection("crm", options, out).is_ok());
    CHECK(out.name == "crm");
    const auto& c = std::get<services::OAuth2Connection>(out.settings);
    CHECK(c.token_url == "https://auth.example.com/token");
    CHECK(c.scopes == std::vector<std::string>{"a", "b"});
    CHECK(c.auth_style == services::ClientAuthStyle::header);
    CHECK(c.refresh_before == 120s);

    const sdk::Options key(boost::json::object{{"type", "api_key"}, {"key", "k"}, {"header", "X-API-Key"}});
    REQUIRE(services::parse_connection("shop", key, out).is_ok());
    CHECK(std::get<services::ApiKeyConnection>(out.settings).header == "X-API-Key");

    const auto unknown = services::parse_connection("x", sdk::Options(boost::json::object{{"type", "ldap"}}), out);
    CHECK(unknown.code() == sdk::Code::fatal);
    CHECK(unknown.message() == "connection x: unknown type 'ldap' (one of api_key, bearer, basic, oauth2, none)");
}

TEST_CASE("static credentials are attached as configured") {
    Fixture f;
    services::CredentialStore store(
        {{.name = "b", .settings = services::BearerConnection{.token = "tok"}},
         {.name = "u", .settings = services::BasicConnection{.username = "Aladdin", .password = "open sesame"}},
         {.name = "q", .settings = services::ApiKeyConnection{.key = "k", .query_param = "apikey"}}},
        f.http, f.clock);
    CHECK(authorize(store, "b") == "Bearer tok");
    CHECK(authorize(store, "u") == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==");  // RFC 7617's example
    sdk::Authorization auth;
    REQUIRE(store.authorize("q", auth).is_ok());
    CHECK((auth.name == "apikey" && auth.value == "k" && auth.in_query));
    const auto missing = store.authorize("nope", auth);
    CHECK(missing.code() == sdk::Code::fatal);
    CHECK(missing.message() == "no connection named nope in the config's connections section");
}

TEST_CASE("client_credentials: one token request, then the cached token") {
    Fixture f;
    auto c = oauth2(f.server, "cc");
    c.scopes = {"contacts.read", "deals.read"};
    c.audience = "https://api.example.com";
    services::CredentialStore store({{.name = "crm", .settings = c}}, f.http, f.clock);
    const auto first = authorize(store);
    CHECK(first == "Bearer at-cc-1");
    CHECK(authorize(store) == first);
    CHECK(authorize(store) == first);
    const auto stats = f.stats("cc");
    CHECK(stats.at("token_requests").as_int64() == 1);
    const auto& grant = stats.at("grants").at(0).as_object();
    CHECK(grant.at("grant_type").as_string() == "client_credentials");
    CHECK(grant.at("client_auth").as_string() == "body");
    CHECK(grant.at("scope").as_string() == "contacts.read deals.read");
    CHECK(grant.at("audience").as_string() == "https://api.example.com");
    CHECK(grant.at("content_type").as_string() == "application/x-www-form-urlencoded");
}

TEST_CASE("auth_style header authenticates the client with HTTP Basic") {
    Fixture f;
    auto c = oauth2(f.server, "hdr");
    c.auth_style = services::ClientAuthStyle::header;
    services::CredentialStore store({{.name = "crm", .settings = c}}, f.http, f.clock);
    CHECK(authorize(store) == "Bearer at-hdr-1");
    CHECK(f.stats("hdr").at("grants").at(0).at("client_auth").as_string() == "header");
}

TEST_CASE("a token is renewed refresh_before seconds before it expires, by the clock") {
    Fixture f;
    auto c = oauth2(f.server, "exp", "?expires_in=3600");
    c.refresh_before = 60s;
    services::CredentialStore store({{.name = "crm", .settings = c}}, f.http, f.clock);
    CHECK(authorize(store) == "Bearer at-exp-1");
    f.clock.advance(3539s);
    CHECK(authorize(store) == "Bearer at-exp-1");
    CHECK(f.token_requests("exp") == 1);
    f.clock.advance(2s);  // 59 s before expiry
    CHECK(authorize(store) == "Bearer at-exp-2");
    CHECK(f.token_requests("exp") == 2);
}

TEST_CASE("a token shorter-lived than refresh_before is renewed at half its life, not on every call") {
    Fixture f;
    services::CredentialStore store({{.name = "crm", .settings = oauth2(f.server, "short", "?expires_in=30")}}, f.http,
                                    f.clock);
    CHECK(authorize(store) == "Bearer at-short-1");
    f.clock.advance(14s);
    CHECK(authorize(store) == "Bearer at-short-1");
    f.clock.advance(2s);
    CHECK(authorize(store) == "Bearer at-short-2");
    CHECK(f.token_requests("short") == 2);
}

TEST_CASE("a 401 invalidates the token: one refresh, the request replayed, ok") {
    Fixture f;
    services::CredentialStore store({{.name = "crm", .settings = oauth2(f.server, "replay")}}, f.http, f.clock);
    services::HttpClientView client(f.http, {.clock = f.clock, .credentials = &store, .log = f.log.hook()});
    sdk::HttpResponse response;
    REQUIRE(client.send({.url = f.server.url("/oauth/replay/resource"), .connection = "crm"}, response).is_ok());
    CHECK(server_json(f.server, "/oauth/replay/revoke").at("revoked").as_bool());

    const auto status = client.send({.url = f.server.url("/oauth/replay/resource"), .connection = "crm"}, response);
    REQUIRE_MESSAGE(status.is_ok(), status.message());
    CHECK(response.status == 200);
    CHECK(boost::json::parse(response.body).at("token").as_string() == "at-replay-2");
    CHECK(f.token_requests("replay") == 2);
    CHECK(f.log.all().find("refreshing the credentials of connection crm") != std::string::npos);
}

TEST_CASE("a second 401 after refreshing the credentials is fatal") {
    Fixture f;
    services::CredentialStore store({{.name = "crm", .settings = oauth2(f.server, "twice")}}, f.http, f.clock);
    services::HttpClientView client(f.http, {.clock = f.clock, .credentials = &store});
    sdk::HttpResponse response;
    const auto status = client.send({.url = f.server.url("/status/401"), .connection = "crm"}, response);
    CHECK(status.code() == sdk::Code::fatal);
    CHECK(status.message() == "GET " + f.server.url("/status/401") +
                                  ": 401 Unauthorized after refreshing the credentials of connection crm");
    CHECK(f.token_requests("twice") == 2);
    CHECK(response.status == 401);
}

TEST_CASE("invalidating a token that was already replaced does not renew it again") {
    Fixture f;
    services::CredentialStore store({{.name = "crm", .settings = oauth2(f.server, "stale")}}, f.http, f.clock);
    sdk::Authorization old_auth;
    REQUIRE(store.authorize("crm", old_auth).is_ok());
    store.invalidate("crm", old_auth);
    CHECK(authorize(store) == "Bearer at-stale-2");
    store.invalidate("crm", old_auth);  // a late 401 to the first token, from another thread
    CHECK(authorize(store) == "Bearer at-stale-2");
    CHECK(f.token_requests("stale") == 2);
}

TEST_CASE("8 threads authorizing at once cause exactly one token request") {
    Fixture f;
    services::CredentialStore store({{.name = "crm", .settings = oauth2(f.server, "herd", "?delay_ms=300")}}, f.http,
                                    f.clock);
    std::latch start(8);
    std::vector<std::string> seen(8);
    std::vector<std::thread> threads;
    for (int i = 0; i < 8; ++i)
        threads.emplace_back([&, i] {
            start.arrive_and_wait();
            sdk::Authorization auth;
            if (store.authorize("crm", auth).is_ok()) seen[i] = auth.value;
        });
    for (auto& t : threads)
        t.join();
    for (const auto& v : seen)
        CHECK(v == "Bearer at-herd-1");
    CHECK(f.token_requests("herd") == 1);
}

TEST_CASE("a rotated refresh token is stored before it is used") {
    Fixture f;
    const auto c = oauth2(f.server, "rot", "?rotate=1", HttpServer::initial_refresh_token);
    services::CredentialStore store({{.name = "crm", .settings = c}}, f.http, f.clock, &f.tokens);
    sdk::Authorization auth;
    REQUIRE(store.authorize("crm", auth).is_ok());
    CHECK(f.tokens.puts() == std::vector<std::string>{"rt-rot-1"});
    store.invalidate("crm", auth);
    CHECK(authorize(store) == "Bearer at-rot-2");
    CHECK(f.tokens.puts() == std::vector<std::string>{"rt-rot-1", "rt-rot-2"});
    const auto grants = f.stats("rot").at("grants").as_array();
    REQUIRE(grants.size() == 2);
    CHECK(grants[0].at("grant_type").as_string() == "refresh_token");
    CHECK(grants[0].at("refresh_token").as_string() == HttpServer::initial_refresh_token);
    CHECK(grants[1].at("refresh_token").as_string() == "rt-rot-1");
}

TEST_CASE("a rotated refresh token the store refused is not used until it is stored") {
    Fixture f;
    const auto c = oauth2(f.server, "unsaved", "?rotate=1", HttpServer::initial_refresh_token);
    services::CredentialStore store({{.name = "crm", .settings = c}}, f.http, f.clock, &f.tokens, {}, f.log.hook());
    f.tokens.fail_puts(true);
    sdk::Authorization auth;
    REQUIRE(store.authorize("crm", auth).is_ok());  // the access token itself is good
    CHECK(f.log.all().find("cannot store its rotated refresh token (disk full)") != std::string::npos);
    store.invalidate("crm", auth);
    const auto refused = store.authorize("crm", auth);
    CHECK(refused.code() == sdk::Code::retry);
    CHECK(refused.message().find("it is not used before it is stored") != std::string::npos);
    CHECK(f.token_requests("unsaved") == 1);  // rt-unsaved-1 never left the process

    f.tokens.fail_puts(false);
    CHECK(authorize(store) == "Bearer at-unsaved-2");
    CHECK(f.tokens.puts() == std::vector<std::string>{"rt-unsaved-1", "rt-unsaved-2"});
    CHECK(f.log.all().find("rt-unsaved") == std::string::npos);
}

TEST_CASE("a stored refresh token is preferred over the config's at start") {
    Fixture f;
    const auto c = oauth2(f.server, "restart", "?rotate=1", HttpServer::initial_refresh_token);
    {
        services::CredentialStore first({{.name = "crm", .settings = c}}, f.http, f.clock, &f.tokens);
        CHECK(authorize(first) == "Bearer at-restart-1");
    }
    // The config still names the first refresh token, which the server revoked on rotation.
    services::CredentialStore second({{.name = "crm", .settings = c}}, f.http, f.clock, &f.tokens);
    CHECK(authorize(second) == "Bearer at-restart-2");
    CHECK(f.stats("restart").at("grants").at(1).at("refresh_token").as_string() == "rt-restart-1");
}

TEST_CASE("a revoked stored refresh token gives way to a new one in the config") {
    Fixture f;
    f.tokens.put("crm", "rt-revoked-long-ago");
    const auto c = oauth2(f.server, "fresh", "", HttpServer::initial_refresh_token);
    services::CredentialStore store({{.name = "crm", .settings = c}}, f.http, f.clock, &f.tokens);
    CHECK(authorize(store) == "Bearer at-fresh-1");
    CHECK(f.tokens.puts().back() == HttpServer::initial_refresh_token);
}

TEST_CASE("a stored refresh token that cannot be decrypted gives way to the config's, with one warning line") {
    Fixture f;
    UndecryptableTokenStore tokens;
    const auto c = oauth2(f.server, "lostkey", "?rotate=1", HttpServer::initial_refresh_token);
    services::CredentialStore store({{.name = "crm", .settings = c}}, f.http, f.clock, &tokens, {}, f.log.hook());
    CHECK(authorize(store) == "Bearer at-lostkey-1");
    CHECK(f.stats("lostkey").at("grants").at(0).at("refresh_token").as_string() == HttpServer::initial_refresh_token);
    CHECK(tokens.puts_ == std::vector<std::string>{"rt-lostkey-1"});  // the rotated one replaced it
    const auto lines = f.log.lines();
    CHECK(std::count_if(lines.begin(), lines.end(),
                        [](const std::string& l) { return l.find("cannot be decrypted") != std::string::npos; }) == 1);
    CHECK(
        f.log.all().find("the stored refresh token of connection crm cannot be decrypted with /keys/state.db.key (key "
                         "changed or lost): using the config's refresh_token\n") != std::string::npos);
    CHECK(f.log.all().find(HttpServer::initial_refresh_token) == std::string::npos);
    CHECK(f.log.all().find("rt-lostkey") == std::string::npos);
}

TEST_CASE("invalid_client is fatal, naming the connection and the error code, never the secret") {
    Fixture f;
    auto c = oauth2(f.server, "badclient");
    c.client_secret = "WRONG-secret-5150";
    services::CredentialStore store({{.name = "crm", .settings = c}}, f.http, f.clock, nullptr, {}, f.log.hook());
    sdk::Authorization auth;
    const auto status = store.authorize("crm", auth);
    CHECK(status.code() == sdk::Code::fatal);
    CHECK(status.message() ==
          "connection crm: the token endpoint refused the client (invalid_client): check client_id and client_secret");
    CHECK(f.token_requests("badclient") == 1);
    CHECK(f.log.all().find("WRONG-secret") == std::string::npos);
}

TEST_CASE("invalid_grant for a refresh token is fatal, naming the connection") {
    Fixture f;
    const auto c = oauth2(f.server, "badgrant", "", "rt-SECRET-unknown");
    services::CredentialStore store({{.name = "crm", .settings = c}}, f.http, f.clock, &f.tokens);
    sdk::Authorization auth;
    const auto status = store.authorize("crm", auth);
    CHECK(status.code() == sdk::Code::fatal);
    CHECK(status.message().starts_with("connection crm: the token endpoint refused the refresh token (invalid_grant)"));
    CHECK(status.message().find("rt-SECRET") == std::string::npos);
}

TEST_CASE("a token endpoint answering 503 is a retry after the HTTP client's attempts") {
    Fixture f;
    services::CredentialStore store({{.name = "crm", .settings = oauth2(f.server, "busy", "?fail=100&code=503")}},
                                    f.http, f.clock);
    sdk::Authorization auth;
    const auto status = store.authorize("crm", auth);
    CHECK(status.code() == sdk::Code::retry);
    CHECK(status.message().starts_with("connection crm: token endpoint: POST " + f.server.url("/oauth/busy/token") +
                                       ": 503 Service Unavailable after 3 attempts"));
    CHECK(f.token_requests("busy") == 3);
    CHECK(f.clock.sleeps().size() == 2);
}

TEST_CASE("after a failed renewal the next authorize asks the token endpoint again") {
    Fixture f;
    services::CredentialStore store({{.name = "crm", .settings = oauth2(f.server, "recover", "?fail=3&code=500")}},
                                    f.http, f.clock);
    sdk::Authorization auth;
    CHECK(store.authorize("crm", auth).code() == sdk::Code::retry);  // 3 attempts, all 500
    CHECK(authorize(store) == "Bearer at-recover-1");
    CHECK(f.token_requests("recover") == 4);
}

TEST_CASE("a 401 to a request on a static key is fatal after the one replay") {
    Fixture f;
    services::CredentialStore store({{.name = "k", .settings = services::ApiKeyConnection{.key = "KEY-77aa"}}}, f.http,
                                    f.clock);
    services::HttpClientView client(f.http, {.clock = f.clock, .credentials = &store});
    sdk::HttpResponse response;
    const auto status = client.send({.url = f.server.url("/status/401?key=k401"), .connection = "k"}, response);
    CHECK(status.code() == sdk::Code::fatal);
    CHECK(status.message().find("after refreshing the credentials of connection k") != std::string::npos);
    CHECK(server_hits(f.server, "k401") == 2);
}
