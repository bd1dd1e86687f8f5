// The queue contract (DESIGN.md, "Queues"), as doctest template cases every queue backend
// runs: the embedded SQLite queue (tests/plugins/queue) and, next, NATS JetStream. The cases
// drive the plugin's writer and reader through the SDK's test harness, as the engine would:
// publish with a deduplication id; consume with acknowledgements; redelivery after the
// visibility timeout; lease extension; release with a delay and backoff; delivery counts and
// history; FIFO per key (a capability: JetStream has no per-key ordering, and its reader
// refuses the option); independent durable consumers; giving back on close.
//
// A backend is a type with:
//   static constexpr const char* name;
//   std::unique_ptr<sdk::Writer> make_writer();   std::unique_ptr<sdk::Reader> make_reader();
//   sdk::OptionSchema writer_schema();            sdk::OptionSchema reader_schema();
//   boost::json::object writer_options();          // one queue per backend instance
//   boost::json::object reader_options(const std::string& consumer, int ack_wait_ms,
//                                      boost::json::object extra);
//   std::filesystem::path dir();                   // a temporary folder for base_dir
//   std::chrono::system_clock::time_point now();   // the time every context starts at
//   void elapse(std::chrono::milliseconds d);      // a manual clock moves; a server's is slept
//   static constexpr bool fifo_by_key;             // the reader takes fifo_by_key (else it must refuse it)
// Include it in one test file per backend, then:
//   TEST_CASE_TEMPLATE_INVOKE(queue_contract, MyBackend);
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <junction/sdk/testing.hpp>

namespace junction::test::queue_contract {

namespace json = boost::json;
namespace sdk = junction::sdk;
using namespace std::chrono_literals;

template <class Backend>
struct Endpoint {
    std::unique_ptr<sdk::testing::TestContext> context;
    std::unique_ptr<sdk::Component> component;
};

template <class Backend>
std::unique_ptr<sdk::testing::TestContext> context_for(Backend& b, const sdk::OptionSchema& schema,
                                                       const json::object& options) {
    auto ctx = std::make_unique<sdk::testing::TestContext>(schema, options, b.dir().string());
    ctx->clock().set_now(b.now());
    return ctx;
}

// An opened writer that publishes records {"n": i, ...} with the given keys.
template <class Backend>
struct Publisher {
    Backend& backend;
    std::unique_ptr<sdk::testing::TestContext> context;
    std::unique_ptr<sdk::Writer> writer;

    explicit Publisher(Backend& b, json::object options = {}) : backend(b) {
        auto o = b.writer_options();
        for (auto& kv : options)
            o[kv.key()] = kv.value();
        context = context_for(b, b.writer_schema(), o);
        writer = b.make_writer();
        REQUIRE(writer->open(*context).is_ok());
    }
    ~Publisher() { (void)writer->close(); }
    // Each (id, key) becomes a record {"id": id, "n": i} keyed `key`, published in one batch.
    // Without a dedup_id option nothing is deduplicated.
    void publish(const std::vector<std::pair<std::string, std::string>>& messages, int first_n = 0) {
        context->clock().set_now(backend.now());
        std::vector<sdk::Record> batch;
        int n = first_n;
        for (const auto& entry : messages) {
            sdk::Record r;
            r.payload = {{"id", entry.first}, {"n", n++}};
            r.meta.key = entry.second;
            batch.push_back(std::move(r));
        }
        std::vector<sdk::Rejection> rejected;
        REQUIRE(writer->write(batch, rejected).is_ok());
        REQUIRE(rejected.empty());
        REQUIRE(writer->flush().is_ok());
    }
};

// An opened reader of one consumer.
template <class Backend>
struct Consumer {
    Backend& backend;
    std::unique_ptr<sdk::testing::TestContext> context;
    std::unique_ptr<sdk::Reader> reader;
    bool closed = false;

    Consumer(Backend& b, const std::string& consumer, int ack_wait_ms = 1000, json::object extra = {})
        : backend(b) {
        context = context_for(b, b.reader_schema(), b.reader_options(consumer, ack_wait_ms, std::move(extra)));
        reader = b.make_reader();
        REQUIRE(reader->open(*context).is_ok());
    }
    ~Consumer() { close(); }
    void close() {
        if (!closed) (void)reader->close();
        closed = true;
    }
    // One read() of up to `max` records, at the backend's time now.
    std::vector<sdk::Record> fetch(std::size_t max = 100) {
        context->clock().set_now(backend.now());
        sdk::Batch batch;
        bool end = false;
        REQUIRE(reader->read(batch, max, end).is_ok());
        return {std::make_move_iterator(batch.begin()), std::make_move_iterator(batch.end())};
    }
    void ack(const std::vector<sdk::Record>& records) {
        context->clock().set_now(backend.now());
        sdk::testing::AckBatch acks;
        for (const auto& r : records)
            acks.written(r);
        REQUIRE(reader->acknowledge(acks).is_ok());
    }
    void release(const std::vector<sdk::Record>& records, std::chrono::milliseconds after, const std::string& why) {
        context->clock().set_now(backend.now());
        sdk::testing::AckBatch acks;
        for (const auto& r : records)
            acks.released(r, why, after);
        REQUIRE(reader->acknowledge(acks).is_ok());
    }
    void keep_alive() {
        context->clock().set_now(backend.now());
        REQUIRE(reader->keep_alive().is_ok());
    }
};

// The records' ids, comma-separated ("a,b,c"), in delivery order.
inline std::string ids(const std::vector<sdk::Record>& records) {
    std::string out;
    for (const auto& r : records)
        out += (out.empty() ? "" : ",") + std::string(r.payload.at("id").as_string());
    return out;
}

inline std::vector<std::pair<std::string, std::string>> messages(const std::vector<std::string>& ids,
                                                                 const std::string& key = "") {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& id : ids)
        out.emplace_back(id, key.empty() ? id : key);
    return out;
}

TEST_CASE_TEMPLATE_DEFINE("queue contract", Backend, queue_contract) {
    Backend b;
    const std::string backend = Backend::name;
    CAPTURE(backend);

    SUBCASE("messages are delivered in order, once each, and gone once acknowledged") {
        Publisher<Backend> p(b);
        p.publish(messages({"a", "b", "c", "d", "e"}));
        Consumer<Backend> c(b, "work");
        const auto first = c.fetch(3);
        CHECK(ids(first) == "a,b,c");
        for (const auto& r : first)
            CHECK(r.meta.attempts == 1);
        const auto rest = c.fetch(10);
        CHECK(ids(rest) == "d,e");
        c.ack(first);
        c.ack(rest);
        b.elapse(1500ms);  // past every lease (1 s): nothing comes back
        CHECK(c.fetch().empty());
    }

    SUBCASE("a deduplication id published again within the window is dropped") {
        Publisher<Backend> p(b, {{"dedup_id", "$key"}});
        p.publish(messages({"s1", "s2"}));
        p.publish(messages({"s2", "s1", "s3"}));  // a relay republishing after a crash
        Consumer<Backend> c(b, "work");
        const auto got = c.fetch();
        CHECK(ids(got) == "s1,s2,s3");
        // Without a deduplication id, every message is published.
        Publisher<Backend> plain(b);
        plain.publish(messages({"s1", "s1"}));
        CHECK(ids(c.fetch()) == "s1,s1");
    }

    SUBCASE("a message not acknowledged within the visibility timeout is delivered again, counted") {
        Publisher<Backend> p(b);
        p.publish(messages({"m"}));
        {
            Consumer<Backend> crashed(b, "work", 1000);
            REQUIRE(crashed.fetch().size() == 1);
            crashed.closed = true;  // a SIGKILL: it never closes nor acknowledges
        }
        Consumer<Backend> other(b, "work", 1000);
        CHECK(other.fetch().empty());  // still leased
        b.elapse(1500ms);
        const auto again = other.fetch();
        REQUIRE(again.size() == 1);
        CHECK(again[0].meta.attempts == 2);
        const auto& history = again[0].meta.attributes.at("queue").at("deliveries").as_array();
        REQUIRE(history.size() == 2);
        CHECK(history[0].at("outcome") == "lease expired");
        other.ack(again);
        b.elapse(1500ms);
        CHECK(other.fetch().empty());
    }

    SUBCASE("keep_alive extends the lease of what is in flight") {
        Publisher<Backend> p(b);
        p.publish(messages({"long"}));
        Consumer<Backend> slow(b, "work", 1000);
        const auto got = slow.fetch();
        REQUIRE(got.size() == 1);
        Consumer<Backend> other(b, "work", 1000);
        for (int i = 0; i < 4; ++i) {  // 2.8 s of work, extended every 0.7 s
            b.elapse(700ms);
            slow.keep_alive();
            CHECK(other.fetch().empty());
        }
        slow.ack(got);
        b.elapse(1500ms);
        CHECK(other.fetch().empty());
    }

    SUBCASE("a released message comes back after its delay, with backoff, and says why in its history") {
        Publisher<Backend> p(b);
        p.publish(messages({"r"}));
        Consumer<Backend> c(b, "work", 5000, {{"backoff_ms", json::array{1000, 3000}}});
        auto got = c.fetch();
        REQUIRE(got.size() == 1);
        c.release(got, 0ms, "downstream busy");
        b.elapse(500ms);
        CHECK(c.fetch().empty());  // backoff_ms[0] not yet over
        b.elapse(700ms);
        got = c.fetch();
        REQUIRE(got.size() == 1);
        CHECK(got[0].meta.attempts == 2);
        const auto& history = got[0].meta.attributes.at("queue").at("deliveries").as_array();
        REQUIRE(history.size() == 2);
        CHECK(history[0].at("outcome") == "released");
        CHECK(history[0].at("reason") == "downstream busy");
        c.release(got, 0ms, "still busy");
        b.elapse(2000ms);
        CHECK(c.fetch().empty());  // the second release waits backoff_ms[1]
        b.elapse(1200ms);
        got = c.fetch();
        REQUIRE(got.size() == 1);
        CHECK(got[0].meta.attempts == 3);
        // The engine's delay wins when it is longer.
        c.release(got, 4000ms, "retry-after");
        b.elapse(3500ms);
        CHECK(c.fetch().empty());
        b.elapse(700ms);
        CHECK(c.fetch().size() == 1);
    }

    SUBCASE("FIFO per key: a key's next message waits until the one before it is finished") {
        if constexpr (!Backend::fifo_by_key) {
            CHECK_THROWS(context_for(b, b.reader_schema(), b.reader_options("work", 1000, {{"fifo_by_key", true}})));
            return;
        }
        Publisher<Backend> p(b, {{"dedup_id", "id"}});
        p.publish({{"a1", "a"}, {"a2", "a"}, {"b1", "b"}, {"a3", "a"}, {"b2", "b"}});
        Consumer<Backend> c(b, "work", 1000, {{"fifo_by_key", true}});
        auto got = c.fetch();
        CHECK(ids(got) == "a1,b1");
        c.ack({got[0]});  // a1 done; b1 still in flight
        got = c.fetch();
        CHECK(ids(got) == "a2");
        c.release(got, 0ms, "later");  // a released message still holds its key
        CHECK(c.fetch().empty());
        b.elapse(1500ms);  // b1's lease lapsed, a2's release delay is over
        got = c.fetch();
        CHECK(ids(got) == "a2,b1");
        c.ack(got);
        got = c.fetch();
        CHECK(ids(got) == "a3,b2");
    }

    SUBCASE("each durable consumer gets every message; readers of one consumer share them") {
        Publisher<Backend> p(b);
        p.publish(messages({"x", "y", "z", "w"}));
        Consumer<Backend> files1(b, "files");
        Consumer<Backend> files2(b, "files");
        Consumer<Backend> store(b, "store");
        auto one = files1.fetch(2);
        auto two = files2.fetch(10);
        CHECK(ids(one) == "x,y");
        CHECK(ids(two) == "z,w");
        CHECK(ids(store.fetch()) == "x,y,z,w");
    }

    SUBCASE("a reader that closes gives back what it did not finish, uncounted") {
        Publisher<Backend> p(b);
        p.publish(messages({"g1", "g2"}));
        {
            Consumer<Backend> c(b, "work", 60000);
            REQUIRE(c.fetch().size() == 2);
        }  // closed: given back at once, not after 60 s
        Consumer<Backend> next(b, "work", 60000);
        const auto got = next.fetch();
        REQUIRE(ids(got) == "g1,g2");
        CHECK(got[0].meta.attempts == 1);
    }

    SUBCASE("a new consumer with deliver: new starts at the next message published") {
        Publisher<Backend> p(b);
        p.publish(messages({"old"}));
        Consumer<Backend> c(b, "late", 1000, {{"deliver", "new"}});
        CHECK(c.fetch().empty());
        p.publish(messages({"fresh"}));
        CHECK(ids(c.fetch()) == "fresh");
    }
}

}  // namespace junction::test::queue_contract
