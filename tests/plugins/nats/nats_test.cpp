// The nats plugin against a real nats-server (JetStream): the queue contract, then what
// is JetStream's own.
#include <doctest/doctest.h>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include "nats_client.hpp"
#include "nats_config.hpp"
#include "nats_server.hpp"
#include "queue_contract.hpp"
#include "reader.hpp"
#include "subprocess.hpp"
#include "temp_dir.hpp"
#include "writer.hpp"

namespace json = boost::json;
namespace sdk = junction::sdk;
using junction::test::NatsClient;
using junction::test::NatsServer;
using junction::test::TempDir;
using namespace junction::test::queue_contract;
using namespace std::chrono_literals;

namespace {

// One server for the test process; each backend instance has a stream of its own.
NatsServer& server() {
    static NatsServer s;
    return s;
}

std::string fresh_name(const char* prefix) {
    static std::atomic<int> n{0};
    return std::string(prefix) + "_" + std::to_string(::getpid()) + "_" + std::to_string(++n);
}

struct JetStream {
    static constexpr const char* name = "nats (JetStream)";
    static constexpr bool fifo_by_key = false;
    TempDir tmp;
    std::string stream = fresh_name("contract");

    std::unique_ptr<sdk::Writer> make_writer() { return std::make_unique<junction::nats::NatsWriter>(); }
    std::unique_ptr<sdk::Reader> make_reader() { return std::make_unique<junction::nats::NatsReader>(); }
    sdk::OptionSchema writer_schema() { return junction::nats::writer_schema(); }
    sdk::OptionSchema reader_schema() { return junction::nats::reader_schema(); }
    json::object common() const {
        return {{"servers", json::array{server().url()}}, {"stream", stream}, {"storage", "memory"}};
    }
    json::object writer_options() { return common(); }
    json::object reader_options(const std::string& consumer, int ack_wait_ms, json::object extra) {
        auto o = common();
        o["consumer"] = consumer;
        o["ack_wait_ms"] = ack_wait_ms;
        o["fetch_wait_ms"] = 0;
        for (auto& kv : extra)
            o[kv.key()] = kv.value();
        return o;
    }
    std::filesystem::path dir() { return tmp.path(); }
    std::chrono::system_clock::time_point now() { return std::chrono::system_clock::now(); }
    void elapse(std::chrono::milliseconds d) { std::this_thread::sleep_for(d); }
};

}  // namespace

TEST_CASE_TEMPLATE_INVOKE(queue_contract, JetStream);


namespace {

sdk::Status open_status(sdk::Component& c, sdk::testing::TestContext& ctx) {
    const auto st = c.open(ctx);
    (void)c.close();
    return st;
}

}  // namespace

TEST_CASE("create: false names the stream or consumer that is missing; create: true makes them") {
    JetStream b;
    NatsClient raw(server().url());
    auto options = b.reader_options("work", 1000, {{"create", false}});
    sdk::testing::TestContext ctx(b.reader_schema(), options, b.dir().string());
    junction::nats::NatsReader reader;
    auto st = open_status(reader, ctx);
    CHECK(st.code() == sdk::Code::fatal);
    CHECK(st.message() == "nats: stream '" + b.stream + "' does not exist (create: false): create it, or set create: true");
    CHECK_FALSE(raw.has_stream(b.stream));

    Publisher<JetStream> p(b);  // create: true (the default) makes the stream
    CHECK(raw.has_stream(b.stream));
    st = open_status(reader, ctx);
    CHECK(st.code() == sdk::Code::fatal);
    CHECK(st.message() == "nats: consumer 'work' of stream '" + b.stream +
                              "' does not exist (create: false): create it, or set create: true");
    { Consumer<JetStream> made(b, "work"); }
    CHECK(open_status(reader, ctx).is_ok());
    CHECK(p.context->log().contains(sdk::LogLevel::info, "nats: created stream '" + b.stream + "'"));
}

TEST_CASE("a dead server is one retry line naming it; a wrong password is fatal") {
    TempDir tmp;
    const int dead = junction::test::free_loopback_port();
    const std::string url = "nats://127.0.0.1:" + std::to_string(dead);
    sdk::testing::TestContext ctx(junction::nats::writer_schema(),
                                  {{"servers", json::array{url}}, {"stream", "s"}, {"connect_timeout_ms", 200}},
                                  tmp.path().string());
    junction::nats::NatsWriter writer;
    const auto st = open_status(writer, ctx);
    CHECK(st.code() == sdk::Code::retry);
    CHECK(st.message().rfind("nats: cannot connect to " + url + ": ", 0) == 0);
    CHECK(st.message().find('\n') == std::string::npos);

    NatsServer secured(1, {"--auth", "right-token"});
    sdk::testing::TestContext wrong(
        junction::nats::writer_schema(),
        {{"servers", json::array{secured.url()}}, {"stream", "s"}, {"token", "wrong-token"}}, tmp.path().string());
    const auto refused = open_status(writer, wrong);
    CHECK(refused.code() == sdk::Code::fatal);
    CHECK(refused.message().find("cannot connect to " + secured.url()) != std::string::npos);
    CHECK(refused.message().find("wrong-token") == std::string::npos);
    sdk::testing::TestContext right(
        junction::nats::writer_schema(),
        {{"servers", json::array{secured.url()}}, {"stream", "s"}, {"token", "right-token"}}, tmp.path().string());
    CHECK(open_status(writer, right).is_ok());
}

TEST_CASE("the writer's subject comes from the record; records it cannot place are rejected alone") {
    JetStream b;
    NatsClient raw(server().url());
    Publisher<JetStream> p(b, {{"subject", b.stream + ".orders.{region}"}, {"dedup_id", "id"}});
    std::vector<sdk::Record> batch(5);
    batch[0].payload = {{"id", "1"}, {"region", "eu"}};
    batch[1].payload = {{"id", "2"}};                                  // no region
    batch[2].payload = {{"id", "3"}, {"region", "a b"}};                // not a subject token
    batch[3].payload = {{"id", "4"}, {"region", "us"}, {"big", std::string(2 * 1024 * 1024, 'x')}};  // too large
    batch[4].payload = {{"id", "1"}, {"region", "eu"}};                // a duplicate id
    std::vector<sdk::Rejection> rejected;
    REQUIRE(p.writer->write(batch, rejected).is_ok());
    REQUIRE(rejected.size() == 3);
    CHECK(rejected[0].index == 1);
    CHECK(rejected[0].reason == "no subject: field 'region' is missing");
    CHECK(rejected[1].index == 2);
    CHECK(rejected[1].reason.find("\"a b\", which a subject cannot hold") != std::string::npos);
    CHECK(rejected[2].index == 3);
    CHECK(raw.count(b.stream) == 1);
    CHECK(p.context->metrics().value("published_total", {{"stream", b.stream}}) == 1);
    CHECK(p.context->metrics().value("duplicates_total", {{"stream", b.stream}}) == 1);

    Consumer<JetStream> c(b, "work");
    const auto got = c.fetch();
    REQUIRE(got.size() == 1);
    CHECK(got[0].meta.attributes.at("queue").at("subject").as_string() == b.stream + ".orders.eu");
    CHECK(got[0].meta.attributes.at("queue").at("msg_id") == "1");

    // A subject outside the stream's: rejected, not retried for ever.
    Publisher<JetStream> elsewhere(b, {{"subject", "elsewhere.{region}"}});
    rejected.clear();
    std::vector<sdk::Record> one(1);
    one[0].payload = {{"region", "eu"}};
    REQUIRE(elsewhere.writer->write(one, rejected).is_ok());
    REQUIRE(rejected.size() == 1);
    CHECK(rejected[0].reason == "subject 'elsewhere.eu' is not one of stream '" + b.stream + "''s subjects");
}

TEST_CASE("a message that is not JSON, or that keeps coming back past max_deliver, is handed over for the dead letters") {
    JetStream b;
    NatsClient raw(server().url());
    Publisher<JetStream> p(b);  // makes the stream
    raw.publish(b.stream + ".foreign", "not json");
    p.publish(messages({"poison"}));
    Consumer<JetStream> c(b, "work", 300, {{"max_deliver", 2}});
    auto got = c.fetch();
    REQUIRE(got.size() == 2);
    CHECK(got[0].meta.error == "nats message 1 is not a JSON object");
    CHECK(got[0].payload.at("body") == "not json");
    CHECK(got[1].meta.error.empty());
    c.ack({got[0]});  // the engine dead-lettered it: it is terminated
    for (std::uint32_t attempt = 2; attempt <= 3; ++attempt) {
        std::this_thread::sleep_for(450ms);  // the host "dies" on it: its lease lapses
        got = c.fetch();
        REQUIRE(got.size() == 1);
        CHECK(got[0].meta.attempts == attempt);
    }
    CHECK(got[0].meta.error == "nats message 2 delivered 3 times, more than max_deliver (2)");
    CHECK(got[0].meta.attributes.at("queue").at("deliveries").as_array().size() == 3);
}

TEST_CASE("a stream whose settings the config changes is updated; ones that cannot change are refused") {
    JetStream b;
    NatsClient raw(server().url());
    { Publisher<JetStream> p(b); }
    { Publisher<JetStream> p(b, {{"max_age_s", 3600}, {"subjects", json::array{b.stream + ".>", b.stream + "_more.>"}}}); }
    raw.with_stream_config(b.stream, [](const jsStreamConfig& cfg) {
        CHECK(cfg.MaxAge == 3600LL * 1000 * 1000 * 1000);
        CHECK(cfg.SubjectsLen == 2);
    });

    auto options = b.writer_options();
    options["retention"] = "workqueue";
    sdk::testing::TestContext ctx(b.writer_schema(), options, b.dir().string());
    junction::nats::NatsWriter writer;
    const auto st = open_status(writer, ctx);
    CHECK(st.code() == sdk::Code::fatal);
    CHECK(st.message().find("has retention limits and memory storage; the config says workqueue and memory: those "
                            "cannot change") != std::string::npos);
}

TEST_CASE("a server restarted mid-run: the writer retries, then publishes once its stream is back") {
    NatsServer own;  // its own server, file storage, to restart
    TempDir tmp;
    const json::object options{{"servers", json::array{own.url()}}, {"stream", "restart"}, {"dedup_id", "id"},
                               {"request_timeout_ms", 500}};
    sdk::testing::TestContext ctx(junction::nats::writer_schema(), options, tmp.path().string());
    junction::nats::NatsWriter writer;
    REQUIRE(writer.open(ctx).is_ok());
    std::vector<sdk::Record> batch(2);
    batch[0].payload = {{"id", "a"}};
    batch[1].payload = {{"id", "b"}};
    std::vector<sdk::Rejection> rejected;
    REQUIRE(writer.write(batch, rejected).is_ok());
    own.kill(0);
    const auto down = writer.write(batch, rejected);
    CHECK(down.code() == sdk::Code::retry);
    CHECK(down.message().rfind("nats: ", 0) == 0);
    own.restart(0);
    CHECK(junction::test::eventually([&] { return writer.write(batch, rejected).is_ok(); }, 10s));
    CHECK(rejected.empty());
    (void)writer.close();
    NatsClient raw(own.url());
    CHECK(raw.count("restart") == 2);  // the retries were deduplicated
}

TEST_CASE("three readers of one consumer under load: every message once, none lost (pull requests of our own)") {
    JetStream b;
    NatsClient raw(server().url());
    { Publisher<JetStream> make(b); }  // the stream
    constexpr int n = 20000;
    raw.publish_many(b.stream + ".load", n, [](int i) { return R"({"id": ")" + std::to_string(i) + R"("})"; });
    std::mutex m;
    std::set<std::string> seen;
    int duplicates = 0;
    std::vector<std::thread> readers;
    for (int r = 0; r < 3; ++r)
        readers.emplace_back([&] {
            Consumer<JetStream> c(b, "work", 30000, {{"fetch_wait_ms", 50}});
            for (int idle = 0; idle < 3;) {
                const auto got = c.fetch(500);
                idle = got.empty() ? idle + 1 : 0;
                {
                    std::lock_guard lock(m);
                    for (const auto& rec : got)
                        if (!seen.insert(std::string(rec.payload.at("id").as_string())).second) ++duplicates;
                }
                c.ack(got);
            }
        });
    for (auto& t : readers)
        t.join();
    CHECK(seen.size() == static_cast<std::size_t>(n));
    CHECK(duplicates == 0);
}
