// The host killed (SIGKILL) at random points of a two-file run: every run reads both
// files as two partitions, and a kill may come between any write, commit and release.
// After each kill no partition's committed offset goes back or disappears, and in the end
// every record is written, duplicates bounded by what one kill can leave uncommitted.
#include <random>
#include <map>
#include <set>

#include <junction/core/state_store.hpp>

#include "engine_fixture.hpp"

using namespace junction;
using namespace junction::test;

namespace {

constexpr int lines_per_file = 5000;
constexpr int batch_size = 50;
// The engine writes at most max(queue_depth, workers + 1) batches as one group before a
// commit: 2 here (queue_depth 1, one worker). One kill can leave at most that uncommitted.
constexpr int max_group = 2;

std::string command(const std::filesystem::path& config) {
    return sh_quote(JUNCTION_BIN) + " --plugin-dir " + sh_quote(JUNCTION_PLUGIN_DIR) + " --plugin-dir " +
           sh_quote(std::string(JUNCTION_TEST_PLUGIN_DIR) + "/testkit") + " --log-level warning run --once " +
           sh_quote(config.string());
}

// The committed offset of each file, read from the state store the killed host left.
std::map<std::string, std::uint64_t> committed_offsets(const std::filesystem::path& state) {
    std::map<std::string, std::uint64_t> out;
    auto store = core::StateStore::open(state);
    for (const auto& [partition, position] : store->positions("crash"))
        out[partition] = std::stoull(position.substr(position.rfind(':') + 1));
    return out;
}

}  // namespace

TEST_CASE("killed at random points of a two-file run, no file's offset is lost and no record is lost") {
    TempDir dir;
    std::filesystem::create_directories(dir / "in");
    for (const char* file : {"a.ndjson", "b.ndjson"}) {
        std::string text;
        for (int n = 0; n < lines_per_file; ++n)
            text += "{\"n\": " + std::to_string(n) + ", \"file\": \"" + file + "\"}\n";
        write_file(dir / "in" / file, text);
    }
    // Each file is its own partition; the files stay (after: keep) so their positions do.
    write_file(dir / "c.json", R"({"state": "state.db", "pipelines": [{"name": "crash",
        "batch_size": )" + std::to_string(batch_size) + R"(, "queue_depth": 1,
        "reader": {"plugin": "files", "options": {"dir": "in", "pattern": "*.ndjson", "after": "keep"}},
        "writer": {"plugin": "testkit", "options": {"file": "out.ndjson", "delay_ms": 5}}}]})");

    std::mt19937 rng(std::random_device{}());
    std::map<std::string, std::uint64_t> last;
    int kills = 0;
    for (int attempt = 0; attempt < 40 && kills < 12; ++attempt) {
        Background b(command(dir / "c.json"), dir / "o", dir / "e");
        std::this_thread::sleep_for(std::chrono::milliseconds(20 + rng() % 300));
        b.signal(SIGKILL);
        const int rc = b.wait();
        if (rc == 0) break;  // finished before the kill
        REQUIRE_MESSAGE(rc == 128 + SIGKILL, read_file(dir / "e"));
        ++kills;
        if (!std::filesystem::exists(dir / "state.db")) continue;
        const auto now = committed_offsets(dir / "state.db");
        for (const auto& entry : last) {
            const auto& file = entry.first;
            const auto& offset = entry.second;
            CAPTURE(file);
            REQUIRE(now.contains(file));       // never lost
            CHECK(now.at(file) >= offset);     // never back
        }
        last = now;
    }
    CHECK(kills >= 3);
    const auto r = run(command(dir / "c.json"));
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);

    std::map<std::string, std::multiset<std::int64_t>> seen;
    for (const auto& row : read_ndjson(dir / "out.ndjson"))
        seen[std::string(row.at("file").as_string())].insert(row.at("n").as_int64());
    std::size_t duplicates = 0;
    for (const char* file : {"a.ndjson", "b.ndjson"}) {
        CAPTURE(file);
        const auto& got = seen[file];
        for (int n = 0; n < lines_per_file; ++n)
            REQUIRE(got.count(n) >= 1);  // nothing lost
        duplicates += got.size() - lines_per_file;
    }
    MESSAGE(kills << " kills, " << duplicates << " duplicates");
    CHECK(duplicates <= static_cast<std::size_t>(kills) * max_group * batch_size);
    const auto end = committed_offsets(dir / "state.db");
    for (const char* file : {"a.ndjson", "b.ndjson"})
        CHECK(end.at(file) == std::filesystem::file_size(dir / "in" / file));  // both read to the end
}
