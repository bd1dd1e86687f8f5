// The embedded SQLite queue: the queue contract, then what is its own (durability across
// reopening, the deduplication window and max_age, bad input).
#include <doctest/doctest.h>

#include <sqlite3.h>

#include "queue_contract.hpp"
#include "queue_config.hpp"
#include "queue_store.hpp"
#include "reader.hpp"
#include "temp_dir.hpp"
#include "writer.hpp"

namespace json = boost::json;
namespace sdk = junction::sdk;
using junction::test::TempDir;
using namespace junction::test::queue_contract;
using namespace std::chrono_literals;

namespace {

struct SqliteQueue {
    static constexpr const char* name = "queue (SQLite)";
    static constexpr bool fifo_by_key = true;
    TempDir tmp;
    std::chrono::system_clock::time_point t = std::chrono::system_clock::time_point(std::chrono::seconds(1798000000));

    std::unique_ptr<sdk::Writer> make_writer() { return std::make_unique<junction::queue::QueueWriter>(); }
    std::unique_ptr<sdk::Reader> make_reader() { return std::make_unique<junction::queue::QueueReader>(); }
    sdk::OptionSchema writer_schema() { return junction::queue::writer_schema(); }
    sdk::OptionSchema reader_schema() { return junction::queue::reader_schema(); }
    json::object writer_options() { return {{"path", "q.db"}, {"queue", "formulas"}}; }
    json::object reader_options(const std::string& consumer, int ack_wait_ms, json::object extra) {
        json::object o{{"path", "q.db"}, {"queue", "formulas"}, {"consumer", consumer}, {"ack_wait_ms", ack_wait_ms}};
        for (auto& kv : extra)
            o[kv.key()] = kv.value();
        return o;
    }
    std::filesystem::path dir() { return tmp.path(); }
    std::chrono::system_clock::time_point now() { return t; }
    void elapse(std::chrono::milliseconds d) { t += d; }
};

}  // namespace

TEST_CASE_TEMPLATE_INVOKE(queue_contract, SqliteQueue);

TEST_CASE("messages, leases and consumers survive reopening the file") {
    SqliteQueue b;
    {
        Publisher<SqliteQueue> p(b);
        p.publish(messages({"a", "b", "c"}));
        Consumer<SqliteQueue> c(b, "work", 1000);
        auto got = c.fetch(1);
        c.ack(got);
        REQUIRE(c.fetch(1).size() == 1);  // b leased
        c.closed = true;  // killed
    }
    Consumer<SqliteQueue> again(b, "work", 1000);
    const auto c_now = again.fetch();
    CHECK(ids(c_now) == "c");  // a done, b still leased
    again.ack(c_now);
    b.elapse(1500ms);
    const auto b_again = again.fetch();
    REQUIRE(ids(b_again) == "b");
    CHECK(b_again[0].meta.attempts == 2);
}

TEST_CASE("a deduplication id is forgotten after the window; messages go after max_age") {
    SqliteQueue b;
    Publisher<SqliteQueue> p(b, {{"dedup_id", "$key"}, {"dedup_window_s", 60}, {"max_age_s", 3600}});
    p.publish(messages({"d"}));
    b.elapse(30s);
    p.publish(messages({"d"}));  // within the window: dropped
    b.elapse(31s);
    p.publish(messages({"d"}));  // past it: a new message
    Consumer<SqliteQueue> c(b, "work");
    CHECK(ids(c.fetch()) == "d,d");
    b.elapse(2h);
    p.publish(messages({"e"}));  // the publish takes the old ones away, with their deliveries
    junction::queue::QueueStore store(b.dir() / "q.db", "formulas");
    CHECK(store.retained() == 1);
    CHECK(store.pending("work") == 0);
}

TEST_CASE("the writer takes the deduplication id from a field, and rejects a record without it") {
    SqliteQueue b;
    Publisher<SqliteQueue> p(b, {{"dedup_id", "id"}});
    std::vector<sdk::Record> batch(3);
    batch[0].payload = {{"id", "s-1"}};
    batch[1].payload = {{"other", 1}};
    batch[2].payload = {{"id", "s-1"}};
    std::vector<sdk::Rejection> rejected;
    REQUIRE(p.writer->write(batch, rejected).is_ok());
    REQUIRE(rejected.size() == 1);
    CHECK(rejected[0].index == 1);
    CHECK(rejected[0].reason.find("'id'") != std::string::npos);
    CHECK(p.context->metrics().value("published_total", {{"queue", "formulas"}}) == 1);
    CHECK(p.context->metrics().value("duplicates_total", {{"queue", "formulas"}}) == 1);
}

TEST_CASE("a file that is not SQLite is refused with one line naming it") {
    SqliteQueue b;
    std::filesystem::create_directories(b.dir());
    {
        std::ofstream f(b.dir() / "q.db");
        f << "not a database, just text that is long enough to be read as a header ........";
    }
    sdk::testing::TestContext ctx(b.reader_schema(), b.reader_options("work", 1000, {}), b.dir().string());
    junction::queue::QueueReader r;
    const auto st = r.open(ctx);
    CHECK(st.code() == sdk::Code::fatal);
    CHECK(st.message().find("q.db") != std::string::npos);
    (void)r.close();
}

TEST_CASE("bad options are refused before open") {
    SqliteQueue b;
    CHECK_THROWS(sdk::testing::TestContext(b.reader_schema(), {{"queue", "a b"}}, b.dir().string()));
    CHECK_THROWS(sdk::testing::TestContext(b.reader_schema(), {{"queue", "q"}, {"deliver", "some"}}, b.dir().string()));
    CHECK_THROWS(sdk::testing::TestContext(b.reader_schema(), {{"queue", "q"}, {"backoff_ms", json::array{}}},
                                           b.dir().string()));
    sdk::testing::TestContext w(b.writer_schema(), {{"queue", "q"}, {"dedup_id", "a..b"}}, b.dir().string());
    CHECK(junction::queue::check_writer_config(w.options()).code() == sdk::Code::fatal);
}
