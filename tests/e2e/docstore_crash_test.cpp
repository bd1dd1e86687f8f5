// Issue 14, "the same check for every writer that stages data": a `junction run` writing
// to the docstore is killed (SIGKILL) in the middle of its batches. The docstore stages
// nothing of its own (one SQLite transaction a batch; the -wal and -shm files are
// SQLite's, and its recovery drops an uncommitted transaction at the next open), so the
// store must open, hold only whole documents, and the next run must complete with every
// record exactly once.
#include <doctest/doctest.h>

#include <csignal>
#include <set>

#include <boost/json/parse.hpp>

#include "subprocess.hpp"
#include "temp_dir.hpp"

using namespace junction::test;
namespace fs = std::filesystem;

TEST_CASE("a run killed mid-batch leaves the docstore consistent and the next run completes") {
    TempDir dir;
    constexpr int records = 40000;
    fs::create_directories(dir / "in");
    std::string ndjson;
    for (int i = 1; i <= records; ++i)
        ndjson += R"({"number": )" + std::to_string(i) + R"(, "title": "work order )" + std::to_string(i) + "\"}\n";
    write_file(dir / "in" / "orders.ndjson", ndjson);
    write_file(dir / "in.json", R"({"state": "state.db", "pipelines": [{"name": "in", "batch_size": 250,
        "reader": {"plugin": "files", "options": {"dir": "in", "pattern": "*.ndjson"}},
        "writer": {"plugin": "docstore", "options": {"path": "store/t.db", "collection": "wo",
                   "upsert_key": ["number"]}}}]})");
    write_file(dir / "out.json", R"({"state": "state-out.db", "pipelines": [{"name": "out",
        "reader": {"plugin": "docstore", "options": {"path": "store/t.db", "collection": "wo"}},
        "writer": {"plugin": "files", "options": {"dir": "out", "format": "ndjson", "fsync": false}}}]})");
    const std::string run_in = sh_quote(JUNCTION_BIN) + " run --once " + sh_quote((dir / "in.json").string());

    {
        Background child(run_in, dir / "killed.out", dir / "killed.err");
        // Killed once some batches are committed and more are on their way.
        REQUIRE(eventually([&] {
            std::error_code ec;
            return fs::file_size(dir / "store" / "t.db-wal", ec) > 64 * 1024 && !ec;
        }));
        child.signal(SIGKILL);
        REQUIRE_MESSAGE(child.wait() == 128 + SIGKILL, "the run ended before it was killed: make the input larger");
    }
    CHECK(fs::exists(dir / "in" / "orders.ndjson"));  // not yet acknowledged in full: still there

    // Nothing but SQLite's own files beside the store.
    std::set<std::string> beside;
    for (const auto& e : fs::directory_iterator(dir / "store"))
        beside.insert(e.path().filename().string());
    for (const auto& name : beside)
        CHECK_MESSAGE((name == "t.db" || name == "t.db-wal" || name == "t.db-shm"), name);

    const auto again = run(run_in);
    REQUIRE_MESSAGE(again.exit_code == 0, again.err);
    CHECK_FALSE(fs::exists(dir / "in" / "orders.ndjson"));

    const auto dump = run(sh_quote(JUNCTION_BIN) + " run --once " + sh_quote((dir / "out.json").string()));
    REQUIRE_MESSAGE(dump.exit_code == 0, dump.err);
    std::set<std::int64_t> numbers;
    std::size_t lines = 0;
    for (const auto& line : lines_of(read_file(dir / "out" / "out.ndjson"))) {
        if (line.empty()) continue;
        ++lines;
        const auto doc = boost::json::parse(line).as_object();
        numbers.insert(doc.at("number").as_int64());
        CHECK(doc.at("title").as_string() == "work order " + std::to_string(doc.at("number").as_int64()));
    }
    CHECK(lines == records);  // every record once: no duplicate from the replayed batches
    CHECK(numbers.size() == records);
    CHECK(*numbers.begin() == 1);
    CHECK(*numbers.rbegin() == records);
}
