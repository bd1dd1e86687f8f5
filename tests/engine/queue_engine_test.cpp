// The queue plugins under the engine, each backend the same cases: the embedded SQLite
// queue and NATS JetStream (a real nats-server on a loopback port). Records published by
// one pipeline and consumed by another; a record the writer cannot take now is released
// and comes back with its delivery count; after max_deliveries it is a dead letter that
// keeps its delivery history (the state store keeps a record's attributes).
#include <atomic>
#include <set>

#include "engine_fixture.hpp"
#include "nats_server.hpp"

using namespace junction;
using namespace junction::test;

namespace {

struct SqliteQueue {
    static constexpr const char* plugin = "queue";
    std::string writer_options() const { return R"({"path": "q.db", "queue": "jobs", "dedup_id": "n"})"; }
    std::string reader_options() const {
        return R"({"path": "q.db", "queue": "jobs", "consumer": "c", "ack_wait_ms": 5000, "backoff_ms": [10]})";
    }
    std::string queue_name() const { return "jobs"; }
};

struct JetStream {
    static constexpr const char* plugin = "nats";
    static NatsServer& server() {
        static NatsServer s;
        return s;
    }
    std::string stream = [] {
        static std::atomic<int> n{0};
        return "jobs_" + std::to_string(::getpid()) + "_" + std::to_string(++n);
    }();
    std::string common() const {
        return R"("servers": [")" + server().url() + R"("], "stream": ")" + stream + R"(", "storage": "memory")";
    }
    std::string writer_options() const { return "{" + common() + R"(, "dedup_id": "n"})"; }
    std::string reader_options() const {
        return "{" + common() +
               R"(, "consumer": "c", "ack_wait_ms": 5000, "backoff_ms": [10], "fetch_wait_ms": 0})";
    }
    std::string queue_name() const { return stream; }
};

template <class Backend>
std::string pipelines(const Backend& b, const std::string& consumer_writer, const std::string& consumer_extra) {
    return R"({ "pipelines": [
      { "name": "publish",
        "reader": {"plugin": "testkit", "options": {"count": 20}},
        "writer": {"plugin": ")" +
           std::string(Backend::plugin) + R"(", "options": )" + b.writer_options() + R"(} },
      { "name": "consume", )" +
           consumer_extra + R"(
        "reader": {"plugin": ")" +
           std::string(Backend::plugin) + R"(", "options": )" + b.reader_options() + R"(},
        "writer": {"plugin": "testkit", "options": )" +
           consumer_writer + R"(} } ] })";
}

}  // namespace

TEST_CASE_TEMPLATE("published once each, even when the publishing run is repeated; consumed and written once each",
                   Backend, SqliteQueue, JetStream) {
    Backend b;
    EngineFixture f(pipelines(b, R"({"file": "out.ndjson", "release_every": 5})", ""), {Backend::plugin});
    REQUIRE(f.run("publish").written == 20);
    f.store->reset_positions("publish");
    REQUIRE(f.run("publish").written == 20);  // the same records again: dropped as duplicates
    std::uint64_t written = 0, released = 0;
    for (int i = 0; i < 50 && written < 20; ++i) {
        const auto s = f.run("consume");
        REQUIRE(s.outcome == core::RunOutcome::ok);
        written += s.written;
        released += s.released;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));  // past the 10 ms backoff
    }
    CHECK(written == 20);
    CHECK(released == 4);  // n = 0, 5, 10, 15 once each (the testkit writer releases each once)
    const auto out = numbers(f.output("out.ndjson"));
    CHECK(out.size() == 20);
    CHECK(std::set<std::int64_t>(out.begin(), out.end()).size() == 20);
    CHECK(f.store->dead_letters("consume", true, 0).empty());
}

TEST_CASE_TEMPLATE("a message never written is dead-lettered after max_deliveries, with its delivery history",
                   Backend, SqliteQueue, JetStream) {
    // Every write fails (retry), and one attempt is all the group gets: each delivery is
    // released, until the third.
    Backend b;
    EngineFixture f(pipelines(b, R"({"file": "out.ndjson", "fail_first": 1000000})",
                              R"("max_deliveries": 3, "batch_size": 5,
                                 "retry": {"max_attempts": 1, "initial_backoff_ms": 1, "max_backoff_ms": 1},)"),
                    {Backend::plugin});
    REQUIRE(f.run("publish").written == 20);
    for (int i = 0; i < 50 && f.store->count_dead_letters("consume") < 20; ++i) {
        (void)f.run("consume");
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    const auto letters = f.store->dead_letters("consume", false, 0);
    REQUIRE(letters.size() == 20);
    const auto& d = letters.front();
    CHECK(d.meta.attempts == 3);
    CHECK(d.reason.find("not written after 3 deliveries") != std::string::npos);
    const auto& q = d.meta.attributes.at("queue").as_object();
    CHECK(q.at("name").as_string() == b.queue_name());
    CHECK(q.at("consumer") == "c");
    const auto& history = q.at("deliveries").as_array();
    REQUIRE(history.size() == 3);
    CHECK(history[0].at("outcome") == "released");
    CHECK(history[1].at("outcome") == "released");
    CHECK(history[0].at("reason").as_string().size() > 0);
    CHECK(history[2].at("attempt") == 3);
    CHECK(f.output("out.ndjson").empty());
}
