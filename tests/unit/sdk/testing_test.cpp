// The author's test harness (testing.hpp): a TestContext whose options go through the
// host's validator, the service doubles, MemoryWriter, AckBatch and read_all.
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>

#include <junction/sdk/sdk.hpp>
#include <junction/sdk/source_tracker.hpp>
#include <junction/sdk/testing.hpp>

namespace json = boost::json;
using namespace junction::sdk;
using namespace junction::sdk::testing;
using namespace std::chrono_literals;

namespace {

json::object parse(std::string_view text) {
    return json::parse(text).as_object();
}

// A reader of made-up files, each a partition, releasing them through a SourceTracker:
// the shape of a real source reader, small enough to drive here.
OptionSchema parts_schema() {
    return {
        {.name = "dir", .type = OptionType::path, .required = true},
        {.name = "files",
         .type = OptionType::array,
         .required = true,
         .items = {{.type = OptionType::object,
                    .fields = {{.name = "name", .type = OptionType::string, .required = true},
                               {.name = "records", .type = OptionType::integer, .default_value = 1, .min = 0}}}}},
    };
}

class PartsReader final : public Reader {
public:
    Status open(Context& context) override {
        context_ = &context;
        for (const auto& f : context.options().children("files")) {
            files_.push_back({f.get_string("name"), f.get_int("records")});
            // resume after the committed record of this file
            if (auto at = context.committed_position(files_.back().name)) files_.back().next = std::stoll(*at) + 1;
        }
        released_ = &context.metrics().counter("sources_released_total", "files let go of");
        return Status::ok();
    }
    Status read(Batch& out, std::size_t max_records, bool& end_of_input) override {
        while (out.size() < max_records && current_ < files_.size()) {
            auto& f = files_[current_];
            if (f.next < f.records) {
                Record r;
                r.payload["file"] = f.name;
                r.payload["n"] = f.next;
                r.meta.partition = f.name;
                r.meta.position = std::to_string(f.next);
                out.push_back(std::move(r));
                tracker_.read(f.name);
                ++f.next;
                continue;
            }
            if (auto r = tracker_.end(f.name)) release(*r);
            ++current_;
        }
        end_of_input = current_ == files_.size();
        return Status::ok();
    }
    Status acknowledge(const Acknowledgements& acks) override {
        for (const auto& r : tracker_.acknowledge(acks))
            release(r);
        return Status::ok();
    }

private:
    struct File {
        std::string name;
        std::int64_t records;
        std::int64_t next = 0;
    };
    void release(const ReleasableSource& r) {
        context_->log().info("released " + r.partition + " to " + (r.all_written() ? "processed" : "quarantine"));
        context_->drop_position(r.partition);
        released_->add();
    }

    Context* context_ = nullptr;
    Counter* released_ = nullptr;
    std::vector<File> files_;
    std::size_t current_ = 0;
    SourceTracker tracker_;
};

class NeverEndingReader final : public Reader {
public:
    Status open(Context&) override { return Status::ok(); }
    Status read(Batch&, std::size_t, bool& end) override {
        end = false;
        return Status::ok();
    }
};

class FailingReader final : public Reader {
public:
    Status open(Context&) override { return Status::ok(); }
    Status read(Batch&, std::size_t, bool&) override { return Status::retry("disk busy"); }
};

class GreedyReader final : public Reader {
public:
    Status open(Context&) override { return Status::ok(); }
    Status read(Batch& out, std::size_t max, bool& end) override {
        out.resize(max + 1);
        end = true;
        return Status::ok();
    }
};

Record record(std::string partition, std::string position, json::object payload = {}) {
    Record r;
    r.payload = std::move(payload);
    r.meta.partition = std::move(partition);
    r.meta.position = std::move(position);
    return r;
}

}  // namespace

// ---- TestContext ---------------------------------------------------------------------

TEST_CASE("a TestContext hands over options as the host does: typed, defaulted, paths resolved") {
    TestContext ctx(parts_schema(), parse(R"({"dir": "in/", "files": [{"name": "a", "records": "3"}, {"name": "b"}]})"),
                    "/srv/config");
    CHECK(ctx.options().get_string("dir") == "/srv/config/in");
    const auto files = ctx.options().children("files");
    REQUIRE(files.size() == 2);
    CHECK(files[0].get("records").is_int64());
    CHECK(files[0].get_int("records") == 3);
    CHECK(files[1].get_int("records") == 1);
    CHECK(ctx.base_dir() == "/srv/config");
}

TEST_CASE("invalid options given to a TestContext throw with every error") {
    try {
        TestContext ctx(parts_schema(), parse(R"({"files": [{"records": -1}], "colour": 1})"));
        FAIL("no exception");
    } catch (const std::invalid_argument& e) {
        const std::string what = e.what();
        CHECK(what.find("options.colour: unknown option; valid options: dir, files") != std::string::npos);
        CHECK(what.find("options.dir: required option missing (path)") != std::string::npos);
        CHECK(what.find("options.files[0].name: required option missing (string)") != std::string::npos);
        CHECK(what.find("options.files[0].records: must be at least 0, got -1") != std::string::npos);
    }
}

TEST_CASE("a TestContext built from raw options passes them on unvalidated") {
    TestContext ctx(parse(R"({"dir": 5, "extra": "kept"})"));
    CHECK(ctx.options().get("dir").is_int64());
    CHECK(ctx.options().get_string("extra") == "kept");
    CHECK(std::filesystem::path(std::string(ctx.base_dir())).is_absolute());
}

TEST_CASE("with_defaults adds the schema's defaults without checking anything") {
    TestContext ctx(with_defaults(parts_schema(), parse(R"({"files": [{"name": 7}]})")));
    CHECK(ctx.options().children("files")[0].get_int("records") == 1);
    CHECK(ctx.options().children("files")[0].get("name").is_int64());
}

TEST_CASE("option_errors gives the host's lines for a schema, to pin them in a test") {
    CHECK(option_errors(parts_schema(), parse(R"({"dir": "", "files": []})")) ==
          std::vector<std::string>{"options.dir: must not be empty"});
    CHECK(option_errors(parts_schema(), parse(R"({"dir": "x", "files": []})")).empty());
}

TEST_CASE("committed positions are set by the test and read as a reader does") {
    TestContext ctx;
    CHECK_FALSE(ctx.committed_position());
    ctx.set_committed_position("10");
    ctx.set_committed_position("4", "b.json");
    CHECK(ctx.committed_position() == "10");
    CHECK(ctx.committed_position("b.json") == "4");
    ctx.set_committed({{"c", "1"}});
    CHECK(ctx.committed().size() == 1);
    CHECK_FALSE(ctx.committed_position());
}

TEST_CASE("dropped positions are recorded, the committed ones stay as of open()") {
    TestContext ctx;
    ctx.set_committed_position("3", "a");
    ctx.drop_position("a");
    CHECK(ctx.dropped() == std::vector<std::string>{"a"});
    CHECK(ctx.committed_position("a") == "3");
}

TEST_CASE("a stop request is seen by the context and ends the clock's sleeps") {
    TestContext ctx;
    CHECK_FALSE(ctx.stop_requested());
    CHECK(ctx.clock().sleep_for(50ms));
    const auto before = ctx.clock().monotonic();
    ctx.request_stop();
    CHECK(ctx.stop_requested());
    CHECK_FALSE(ctx.clock().sleep_for(50ms));
    CHECK(ctx.clock().monotonic() == before);
    CHECK(ctx.clock().sleeps() == std::vector<std::chrono::milliseconds>{50ms});
}

TEST_CASE("the test context's services are the doubles, reachable through the Context interface") {
    TestContext ctx;
    Context& c = ctx;
    c.log().warn("careful");
    c.state().put("k", "v");
    c.metrics().counter("n_total", "n").add(2);
    CHECK(ctx.logger().contains(LogLevel::warning, "careful"));
    CHECK(ctx.kv().get("k") == "v");
    CHECK(ctx.metrics().value("n_total") == 2.0);
    CHECK(ctx.pipeline() == "test");
}

// ---- services ------------------------------------------------------------------------

TEST_CASE("the manual clock moves only when told, both clocks together") {
    ManualClock clock;
    CHECK(clock.now() == std::chrono::system_clock::time_point(std::chrono::seconds(1704067200)));
    const auto wall = clock.now();
    const auto mono = clock.monotonic();
    clock.advance(1500ms);
    CHECK(clock.now() - wall == 1500ms);
    CHECK(clock.monotonic() - mono == 1500ms);
    CHECK(clock.sleep_for(2s));
    CHECK(clock.monotonic() - mono == 3500ms);
    clock.set_now(std::chrono::system_clock::time_point(std::chrono::seconds(0)));
    CHECK(clock.now().time_since_epoch() == std::chrono::seconds(0));
    CHECK(clock.monotonic() - mono == 3500ms);
}

TEST_CASE("the recording logger keeps every line with its level") {
    RecordingLogger log;
    log.info("opened in/");
    log.error("cannot read a.json");
    REQUIRE(log.lines().size() == 2);
    CHECK(log.lines()[1].level == LogLevel::error);
    CHECK(log.contains("a.json"));
    CHECK(log.contains(LogLevel::error, "a.json"));
    CHECK_FALSE(log.contains(LogLevel::info, "a.json"));
    log.clear();
    CHECK_FALSE(log.contains("opened"));
}

TEST_CASE("the memory store gets, puts and erases") {
    MemoryKeyValueStore kv;
    CHECK_FALSE(kv.get("w"));
    kv.put("w", "1");
    kv.put("w", "2");
    CHECK(kv.get("w") == "2");
    kv.erase("w");
    kv.erase("never");
    CHECK(kv.values().empty());
}

TEST_CASE("metrics are read back by name and labels, in any label order") {
    RecordingMetrics m;
    auto& c = m.counter("requests_total", "requests", {{"status", "200"}, {"method", "GET"}});
    CHECK(&m.counter("requests_total", "requests", {{"method", "GET"}, {"status", "200"}}) == &c);
    c.add();
    c.add(2);
    m.counter("requests_total", "requests", {{"status", "500"}}).add();
    m.gauge("queue_depth", "depth").set(7);
    m.gauge("queue_depth", "depth").add(-2);
    const double buckets[] = {0.1, 1.0};
    m.histogram("request_seconds", "latency", buckets).observe(0.25);
    CHECK(m.value("requests_total", {{"method", "GET"}, {"status", "200"}}) == 3.0);
    CHECK(m.value("requests_total", {{"status", "500"}}) == 1.0);
    CHECK_FALSE(m.value("requests_total"));
    CHECK(m.value("queue_depth") == 5.0);
    CHECK(m.observations("request_seconds") == std::vector<double>{0.25});
    CHECK(m.help("queue_depth") == "depth");
    CHECK_THROWS_AS(m.gauge("requests_total", "x", {{"status", "500"}}), std::logic_error);
}

TEST_CASE("the scripted HTTP client replays its responses with the host's classification") {
    ScriptedHttpClient http;
    http.add_response(200, R"({"ok": true})");
    http.add_response(503, "", {{"Retry-After", "7"}});
    http.add_response(429);
    http.add_response(401);
    http.add_response(404);
    http.add_failure(Status::retry("connection refused"));
    HttpRequest req{.url = "https://api.example.com/items?api_key=s3cret&page=2"};
    HttpResponse res;

    CHECK(http.send(req, res).is_ok());
    CHECK(res.body == R"({"ok": true})");
    CHECK(res.effective_url == req.url);

    auto st = http.send(req, res);
    CHECK(st.code() == Code::retry);
    CHECK(st.retry_after() == std::chrono::milliseconds(7000));
    CHECK(st.message() == "GET https://api.example.com/items: HTTP 503");
    CHECK(http.send(req, res).code() == Code::retry);
    CHECK(http.send(req, res).code() == Code::fatal);
    CHECK(http.send(req, res).code() == Code::reject);
    st = http.send(req, res);
    CHECK(st.code() == Code::retry);
    CHECK(st.message() == "connection refused");
    CHECK(res.status == 0);

    st = http.send(req, res);
    CHECK(st.code() == Code::fatal);
    CHECK(st.message().find("no reply scripted") != std::string::npos);
    CHECK(st.message().find("s3cret") == std::string::npos);
    CHECK(http.requests().size() == 7);
    CHECK(http.pending() == 0);
}

TEST_CASE("a request naming a connection gets its authorization attached") {
    StaticCredentials creds;
    creds.set_bearer("crm", "t0k");
    creds.set("maps", Authorization{"key", "m4p", true});
    ScriptedHttpClient http(&creds);
    http.add_response(200);
    http.add_response(200);
    http.add_response(200);
    HttpResponse res;
    CHECK(http.send({.url = "https://crm.example.com/a", .connection = "crm"}, res).is_ok());
    CHECK(http.send({.url = "https://maps.example.com/b?x=1", .connection = "maps"}, res).is_ok());
    auto st = http.send({.url = "https://x.example.com/", .connection = "nobody"}, res);
    CHECK(st.code() == Code::fatal);
    CHECK(http.pending() == 1);  // a failed authorization uses no reply
    const auto sent = http.requests();
    REQUIRE(sent.size() == 3);
    REQUIRE(sent[0].headers.size() == 1);
    CHECK(sent[0].headers[0].name == "Authorization");
    CHECK(sent[0].headers[0].value == "Bearer t0k");
    CHECK(sent[1].url == "https://maps.example.com/b?x=1&key=m4p");
}

TEST_CASE("static credentials fail when told and count invalidations") {
    StaticCredentials creds;
    creds.set_bearer("crm", "t");
    creds.fail("crm", Status::retry("token endpoint down"));
    Authorization a;
    CHECK(creds.authorize("crm", a).code() == Code::retry);
    creds.set_bearer("crm", "t2");
    CHECK(creds.authorize("crm", a).is_ok());
    CHECK(a.value == "Bearer t2");
    creds.invalidate("crm", a);
    CHECK(creds.invalidations("crm") == 1);
    CHECK(creds.invalidations("other") == 0);
}

// ---- components ----------------------------------------------------------------------

TEST_CASE("the memory writer keeps what it takes and rejects what it is told to") {
    MemoryWriter w;
    TestContext ctx;
    REQUIRE(w.open(ctx).is_ok());
    w.reject_if([](const Record& r) { return r.payload.at("n").as_int64() == 2; }, "two is bad");
    std::vector<Record> batch;
    for (int n = 1; n <= 3; ++n)
        batch.push_back(record("", std::to_string(n), {{"n", n}}));
    std::vector<Rejection> rejected;
    REQUIRE(w.write(batch, rejected).is_ok());
    REQUIRE(rejected.size() == 1);
    CHECK(rejected[0].index == 1);
    CHECK(rejected[0].reason == "two is bad");
    CHECK(w.payloads() == std::vector<json::object>{{{"n", 1}}, {{"n", 3}}});
    CHECK(w.rejected().size() == 1);
    CHECK(w.flushed() == 0);
    REQUIRE(w.flush().is_ok());
    CHECK(w.flushed() == 2);
    CHECK(w.flushes() == 1);
}

TEST_CASE("the memory writer fails the next write or flush when told, then works again") {
    MemoryWriter w;
    std::vector<Rejection> rejected;
    const std::vector<Record> batch{record("", "1")};
    w.fail_next_write(Status::retry("locked"));
    CHECK(w.write(batch, rejected).code() == Code::retry);
    CHECK(w.written().empty());
    CHECK(w.write(batch, rejected).is_ok());
    w.fail_next_flush(Status::fatal("disk gone"));
    CHECK(w.flush().code() == Code::fatal);
    CHECK(w.flushed() == 0);
    CHECK(w.flush().is_ok());
    CHECK(w.flushed() == 1);
}

TEST_CASE("all_written acknowledges every record and commits each partition's last position") {
    const std::vector<Record> batch{record("a", "1"), record("b", "1"), record("a", "2"), record("c", "")};
    const auto acks = AckBatch::all_written(batch);
    REQUIRE(acks.records().size() == 4);
    CHECK(acks.records()[2].outcome == Outcome::written);
    REQUIRE(acks.committed().size() == 2);
    CHECK(acks.committed()[0].partition == "a");
    CHECK(acks.committed()[0].offset == "2");
    CHECK(acks.committed()[1].partition == "b");
}

TEST_CASE("read_all drives a reader to its end, acknowledging each batch as the engine does") {
    TestContext ctx(parts_schema(),
                    parse(R"({"dir": ".", "files": [{"name": "a", "records": 3}, {"name": "empty", "records": 0},
                                                    {"name": "b", "records": 2}]})"));
    PartsReader reader;
    REQUIRE(reader.open(ctx).is_ok());
    const auto records = read_all(reader, ctx, 2);
    REQUIRE(records.size() == 5);
    CHECK(records[0].payload.at("file") == "a");
    CHECK(records[4].meta.position == "1");
    CHECK(ctx.logger().contains("released a to processed"));
    CHECK(ctx.logger().contains("released empty to processed"));
    CHECK(ctx.logger().contains("released b to processed"));
    CHECK(ctx.dropped() == std::vector<std::string>{"empty", "a", "b"});
    CHECK(ctx.metrics().value("sources_released_total") == 3.0);
}

TEST_CASE("read_all without acknowledgements leaves every source in flight") {
    TestContext ctx(parts_schema(), parse(R"({"dir": ".", "files": [{"name": "a", "records": 2}]})"));
    ctx.set_committed_position("0", "a");
    PartsReader reader;
    REQUIRE(reader.open(ctx).is_ok());
    const auto records = read_all(reader, ctx, 10, Acknowledge::none);
    REQUIRE(records.size() == 1);  // resumed after the committed record
    CHECK(records[0].payload.at("n") == 1);
    CHECK(ctx.dropped().empty());
}

TEST_CASE("read_all refuses a failing reader, an oversized batch and a reader that never ends") {
    TestContext ctx;
    FailingReader failing;
    CHECK_THROWS_WITH_AS(read_all(failing, ctx), "read() returned retry: disk busy", std::runtime_error);
    GreedyReader greedy;
    CHECK_THROWS_WITH_AS(read_all(greedy, ctx, 3), "read() returned 4 records, asked for at most 3",
                         std::runtime_error);
    NeverEndingReader endless;
    CHECK_THROWS_WITH_AS(read_all(endless, ctx, 10, Acknowledge::each_batch, 50),
                         "no end_of_input after 50 calls of read()", std::runtime_error);
}

TEST_CASE("read_all stops with what was read once stop is requested") {
    TestContext ctx;
    ctx.request_stop();
    NeverEndingReader endless;
    CHECK(read_all(endless, ctx).empty());
}
