// Work-order sync on MongoDB when the server is not there: down at start, down mid-run
// and back, down for good; `junction check` against a closed port. The `junction` binary
// runs examples/workorders/sync-mongodb.json (a copy with only its retry blocks changed)
// against our MongoDB-wire test server (tests/servers/mongo-server.mjs) on 127.0.0.1,
// which each test kills and restarts itself. Apart from workorders_mongodb_test.cpp so
// that each file stays well under a minute (every call to a dead server waits out the
// plugin's 5 s server-selection timeout).
#include <signal.h>

#include "mongo_server.hpp"
#include "workorders_fixture.hpp"

using namespace junction::test;
using namespace junction::test::workorders;

namespace {

std::size_t count(const Sync& s, const std::string& filter) {
    return s.dump(filter).size();
}

// The example's retry policy (6 attempts, backoff up to 10 s) is too slow for a test:
// these run a copy of sync-mongodb.json with only its retry blocks changed.
const std::string short_retry = R"({"max_attempts": 2, "initial_backoff_ms": 50, "max_backoff_ms": 200})";
const std::string long_retry = R"({"max_attempts": 20, "initial_backoff_ms": 100, "max_backoff_ms": 1000})";

void write_orders(const Sync& s, int total) {
    for (int n = 1; n <= total; ++n)
        write_file(s.inbound / (std::to_string(n) + ".json"),
                   customer_order(n, "work order " + std::to_string(n), "isPending", "2025-01-10T08:00:00-03:00",
                                  "2025-01-11T08:00:00+05:30"));
}

std::set<std::string> all_names(int total) {
    std::set<std::string> out;
    for (int n = 1; n <= total; ++n)
        out.insert(std::to_string(n) + ".json");
    return out;
}

// Lines at ERROR level that name the server.
std::vector<std::string> errors_naming(const std::string& log, const std::string& host_port) {
    std::vector<std::string> out;
    for (const auto& line : log_lines(log, "ERROR"))
        if (contains(line, host_port)) out.push_back(line);
    return out;
}

}  // namespace

TEST_SUITE("work-order sync on MongoDB, server outages") {
    TEST_CASE(
        "MongoDB down at start: the run fails with one clear error naming host:port; files stay in the "
        "inbound folder; check fails too") {
        const std::string host_port = "127.0.0.1:" + std::to_string(closed_port());
        Sync s(Store::mongodb, "mongodb://" + host_port);
        s.use_retry(short_retry);
        drop_valid_customer_seed(s);
        // Every MongoDB call waits out its 5 s server selection; check runs beside the run.
        Background check(s.command("check " + sh_quote(s.config.string()),
                                   "JUNCTION_STATE=" + sh_quote((s.dir / "check-state.db").string())),
                         s.dir / "check.out", s.dir / "check.err");

        auto r = s.run_once("inbound");
        CHECK(r.exit_code == 1);
        const auto errors = errors_naming(r.err, host_port);
        CHECK_MESSAGE(errors.size() == 1, r.err);
        if (!errors.empty()) {
            CHECK(contains(errors.front(), "pipeline inbound failed"));
            CHECK(contains(errors.front(), "gave up after 2 attempts"));
        }
        CHECK(lines_with(r.err, "will retry").size() == 1);
        CHECK(!contains(r.err, "terminate"));
        CHECK(json_files(s.inbound).size() == 6);  // nothing half-done
        CHECK(json_files(s.processed()).empty());
        CHECK(entries(s.quarantine()).empty());
        const auto run = s.last_run("inbound");
        CHECK(run.at("outcome") == "failed");
        CHECK(run.at("read") == 0);
        CHECK(run.at("written") == 0);
        CHECK(contains(str_of(run, "error"), host_port));
        CHECK(s.junction("dead-letters " + sh_quote(s.config.string()) + " inbound").out == "(no dead letters)\n");

        CHECK(check.wait(std::chrono::seconds(40)) == 1);
        const auto out = read_file(s.dir / "check.out");
        CHECK_MESSAGE(lines_with(out, "FAILED").size() == 2, out);
        for (const auto& line : lines_with(out, "FAILED")) {
            CHECK(contains(line, host_port));
            CHECK(contains(line, " mongodb: "));
        }
        CHECK(lines_with(out, "files: ok").size() == 2);
    }

    TEST_CASE("MongoDB down mid-run and back: the run retries, reconnects, finishes, and loses no file") {
        MongoServer server;  // its own: it is killed and restarted
        if (server.external()) {
            MESSAGE("skipped: MONGO_URI names a server this test cannot stop");
            return;
        }
        Sync s(Store::mongodb, server.uri());
        s.use_retry(long_retry);
        const int total = 5000;
        write_orders(s, total);
        Background run(s.command("run " + sh_quote(s.config.string()) + " --once --pipeline inbound"),
                       s.dir / "run.out", s.dir / "run.err");
        REQUIRE(eventually([&] { return !entries(s.processed()).empty(); }, std::chrono::seconds(30)));
        run.signal(SIGSTOP);  // freeze the run mid-flight while the server dies
        server.kill();
        const auto left_at_kill = json_files(s.inbound).size();
        run.signal(SIGCONT);
        REQUIRE_MESSAGE(left_at_kill > 0, "the run finished before the server was killed");
        CHECK(
            eventually([&] { return contains(read_file(s.dir / "run.err"), "will retry"); }, std::chrono::seconds(30)));
        server.restart();
        REQUIRE(server.uri() == s.mongo_uri());

        CHECK(run.wait(std::chrono::seconds(60)) == 0);
        const auto err = read_file(s.dir / "run.err");
        CHECK_MESSAGE(log_lines(err, "ERROR").empty(), err);
        for (const auto& line : lines_with(err, "will retry"))
            CHECK(contains(line, server.host_port()));

        // No input file lost: all processed (none quarantined, none vanished).
        const auto processed = json_files(s.processed());
        CHECK(json_files(s.inbound).empty());
        CHECK(entries(s.quarantine()).empty());
        CHECK(std::set<std::string>(processed.begin(), processed.end()) == all_names(total));
        const auto last = s.last_run("inbound");
        CHECK(last.at("outcome") == "ok");
        CHECK(last.at("read") == total);
        CHECK(last.at("written") == total);

        // The restarted server started empty: it holds what the run wrote after the restart.
        const auto docs = s.documents();
        CHECK(docs.size() >= 1);
        CHECK(docs.size() <= static_cast<std::size_t>(total));
        for (const auto& entry : docs) {
            const auto& n = entry.first;
            const auto& d = entry.second;
            CAPTURE(n);
            CHECK(n >= 1);
            CHECK(n <= total);
            CHECK(str_of(d, "title") == "work order " + std::to_string(n));
            CHECK(d.at("createdAt") == "2025-01-10T11:00:00.000Z");
            CHECK(d.at("updatedAt") == "2025-01-11T02:30:00.000Z");
        }
        CHECK(count(s, R"({"createdAt": {"$type": "date"}, "syncedAt": {"$type": "date"}})") == docs.size());
    }

    TEST_CASE(
        "MongoDB down for good mid-run: the run fails with one clear error; unwritten files stay in the "
        "inbound folder") {
        MongoServer server;  // its own: it is killed
        if (server.external()) {
            MESSAGE("skipped: MONGO_URI names a server this test cannot stop");
            return;
        }
        Sync s(Store::mongodb, server.uri());
        s.use_retry(short_retry);
        const int total = 5000;
        write_orders(s, total);
        Background run(s.command("run " + sh_quote(s.config.string()) + " --once --pipeline inbound"),
                       s.dir / "run.out", s.dir / "run.err");
        REQUIRE(eventually([&] { return !entries(s.processed()).empty(); }, std::chrono::seconds(30)));
        run.signal(SIGSTOP);
        const auto host_port = server.host_port();
        server.kill();
        const auto left_at_kill = json_files(s.inbound).size();
        run.signal(SIGCONT);
        REQUIRE_MESSAGE(left_at_kill > 0, "the run finished before the server was killed");

        CHECK(run.wait(std::chrono::seconds(60)) == 1);
        const auto err = read_file(s.dir / "run.err");
        const auto errors = errors_naming(err, host_port);
        CHECK_MESSAGE(errors.size() == 1, err);
        if (!errors.empty()) CHECK(contains(errors.front(), "pipeline inbound failed"));
        CHECK(!contains(err, "terminate"));

        // Nothing half-done: a file is in processed/ only if its write was acknowledged.
        const auto processed = json_files(s.processed());
        const auto inbound = json_files(s.inbound);
        CHECK(!inbound.empty());
        CHECK(entries(s.quarantine()).empty());
        std::set<std::string> everywhere(processed.begin(), processed.end());
        everywhere.insert(inbound.begin(), inbound.end());
        CHECK(everywhere.size() == processed.size() + inbound.size());
        CHECK(everywhere == all_names(total));
        const auto last = s.last_run("inbound");
        CHECK(last.at("outcome") == "failed");
        CHECK(last.at("written") == processed.size());
        CHECK(last.at("invalid") == 0);
        CHECK(contains(str_of(last, "error"), host_port));
        CHECK(s.junction("dead-letters " + sh_quote(s.config.string()) + " inbound").out == "(no dead letters)\n");
    }
}
