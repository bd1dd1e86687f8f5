// Failure behaviour: an unreachable server is a retry naming host:port, a server that
// comes back is used again, a bad URI or refused credentials are fatal, and no password
// ever appears in a status or a log line.
#include <doctest/doctest.h>

#include <thread>

#include "client.hpp"
#include "free_port.hpp"
#include "mongo_fixture.hpp"
#include "reader.hpp"
#include "writer.hpp"

using namespace junction;
namespace json = boost::json;

namespace {

const std::string password = "s3cret-Pw";

json::object writer_options(const std::string& uri, const std::string& db) {
    auto o = test::common_options(uri, db);
    o["upsert_key"] = json::array{"number"};
    o["timeout_ms"] = 700;
    return o;
}

void check_no_secret(const test::TestContext& ctx, const sdk::Status& s) {
    CHECK(s.message().find(password) == std::string::npos);
    for (const auto& line : const_cast<test::TestContext&>(ctx).logger().lines())
        CHECK(line.message.find(password) == std::string::npos);
}

}  // namespace

TEST_CASE("open with the server down is a retry naming host:port, without the password") {
    const int port = test::free_loopback_port();
    const std::string uri =
        "mongodb://junction:" + password + "@127.0.0.1:" + std::to_string(port) + "/?authSource=admin";
    auto ctx = test::writer_context(writer_options(uri, "down"));
    mongodb::MongoWriter w;
    const auto s = w.open(*ctx);
    CHECK(s.code() == sdk::Code::retry);
    CHECK(s.message().find("mongodb 127.0.0.1:" + std::to_string(port) + ": ") == 0);
    check_no_secret(*ctx, s);

    auto reader_options = writer_options(uri, "down");
    reader_options.erase("upsert_key");
    auto rctx = test::reader_context(reader_options);
    mongodb::MongoReader r;
    const auto rs = r.open(*rctx);
    CHECK(rs.code() == sdk::Code::retry);
    check_no_secret(*rctx, rs);
}

TEST_CASE("a bad uri is fatal with one line and no password") {
    for (const std::string& uri : std::vector<std::string>{
             "mongo://junction:" + password + "@127.0.0.1:1", "mongodb://junction:" + password + "@127.0.0.1:notaport",
             "mongodb://junction:" + password + "@127.0.0.1:27017/?w=bogus&journal=maybe"}) {
        CAPTURE(uri);
        auto ctx = test::writer_context(writer_options(uri, "bad"));
        mongodb::MongoWriter w;
        const auto s = w.open(*ctx);
        CHECK(s.code() == sdk::Code::fatal);
        CHECK(s.message().find('\n') == std::string::npos);
        CHECK(s.message().rfind("mongodb", 0) == 0);
        check_no_secret(*ctx, s);
    }
}

TEST_CASE("refused credentials are fatal and the message holds no password") {
    auto& server = test::mongo_server();
    if (server.external()) return;  // MONGO_URI: its users are unknown here
    const std::string uri =
        "mongodb://junction:" + password + "@" + server.host_port() + "/?authSource=admin&authMechanism=SCRAM-SHA-256";
    auto ctx = test::writer_context(writer_options(uri, "auth"));
    mongodb::MongoWriter w;
    const auto s = w.open(*ctx);
    CHECK(s.code() == sdk::Code::fatal);
    CHECK(s.message().find(server.host_port()) != std::string::npos);
    check_no_secret(*ctx, s);
}

TEST_CASE("redaction removes the raw and the percent-decoded password and the whole uri") {
    const std::string uri = "mongodb://u:p%40ss@h:1/";
    CHECK(mongodb::redact_uri_secrets("x " + uri + " y", uri) == "x *** y");
    CHECK(mongodb::redact_uri_secrets("bad p@ss and p%40ss", uri) == "bad *** and ***");
}

TEST_CASE("a server killed mid-run gives a retry, then writes succeed once it is back") {
    if (std::getenv("MONGO_URI") != nullptr) return;  // cannot kill a server we did not start
    test::MongoServer server;
    const auto db = test::unique_db("outage");
    auto ctx = test::writer_context(writer_options(server.uri(), db));
    mongodb::MongoWriter w;
    REQUIRE(w.open(*ctx).is_ok());
    auto write_one = [&](int number) {
        std::vector<sdk::Record> batch;
        batch.push_back(test::record({{"number", number}}));
        std::vector<sdk::Rejection> rejected;
        return w.write(batch, rejected);
    };
    REQUIRE(write_one(1).is_ok());

    server.kill();
    const auto down = write_one(2);
    CHECK(down.code() == sdk::Code::retry);
    CHECK(down.message().find(server.host_port()) != std::string::npos);

    server.restart();
    sdk::Status after = sdk::Status::retry("not tried");
    for (int attempt = 0; attempt < 20 && !after.is_ok(); ++attempt) {  // the engine's backoff, in short
        after = write_one(2);
        if (!after.is_ok()) {
            CHECK(after.code() == sdk::Code::retry);
            std::this_thread::sleep_for(std::chrono::milliseconds(250));
        }
    }
    CHECK_MESSAGE(after.is_ok(), after.message());
    test::Direct direct(server.uri(), db);
    CHECK(direct.count(R"({"number": 2})") == 1);
}
