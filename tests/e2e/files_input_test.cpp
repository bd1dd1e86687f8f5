// The files plugin through the real `junction` binary (issue 14): a writer killed
// between its writes and its flush leaves temp files that the next run sweeps; an
// oversized record is skipped without being held (peak RSS of the child measured); every
// kind of bad input among good files gets one clear line and loses nothing else; and
// `junction validate` refuses a file_name template that is a path.
#include <doctest/doctest.h>

#include <sys/resource.h>
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <set>

#include <boost/json.hpp>

#include "subprocess.hpp"

namespace fs = std::filesystem;
namespace json = boost::json;
using namespace junction::test;

namespace {

const std::string bounded = "timeout -k 5 90 ";

std::string quoted(const fs::path& p) {
    return json::serialize(json::value(p.string()));
}

// A folder with in/ and out/ and a config of one pipeline "p": files reader -> files writer.
struct Folder {
    TempDir dir;
    fs::path in = dir / "in";
    fs::path out = dir / "out";
    fs::path config = dir / "c.json";

    Folder(const std::string& reader_extra, const std::string& writer_options, int batch_size = 100) {
        fs::create_directories(in);
        write_file(config, R"({"state": )" + quoted(dir / "state.db") + R"(, "pipelines": [{"name": "p",
            "reader": {"plugin": "files", "options": {"dir": )" +
                               quoted(in) + reader_extra + R"(}},
            "writer": {"plugin": "files", "options": {"dir": )" +
                               quoted(out) + writer_options + R"(}},
            "batch_size": )" + std::to_string(batch_size) +
                               "}]}");
    }
    [[nodiscard]] std::string command(const std::string& args) const {
        return sh_quote(JUNCTION_BIN) + " " + args;
    }
    [[nodiscard]] Result junction(const std::string& args) const { return run(bounded + command(args)); }
    [[nodiscard]] Result run_once(const std::string& extra = "") const {
        return junction("run " + sh_quote(config.string()) + " --once" + extra);
    }
    [[nodiscard]] Result dead_letters() const { return junction("dead-letters " + sh_quote(config.string()) + " p"); }
};

std::vector<std::string> lines_with(const std::string& text, const std::string& needle) {
    std::vector<std::string> out;
    for (const auto& l : lines_of(text))
        if (l.find(needle) != std::string::npos) out.push_back(l);
    return out;
}

std::vector<std::string> temp_files(const fs::path& dir) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.path().extension() == ".tmp") out.push_back(e.path().filename().string());
    return out;
}

// The orderNo of every line of an NDJSON file, sorted.
std::vector<std::int64_t> ndjson_orders(const fs::path& file) {
    std::vector<std::int64_t> out;
    for (const auto& line : lines_of(read_file(file)))
        out.push_back(json::parse(line).at("orderNo").as_int64());
    std::sort(out.begin(), out.end());
    return out;
}

std::string order(int n) {
    return R"({"orderNo": )" + std::to_string(n) + R"(, "summary": "order )" + std::to_string(n) + "\"}";
}

// Writes prefix, then `bytes` of 'x', then suffix, in 1 MiB pieces.
void write_big(const fs::path& file, const std::string& prefix, std::size_t bytes, const std::string& suffix) {
    std::ofstream f(file, std::ios::binary);
    f << prefix;
    const std::string piece(1 << 20, 'x');
    for (std::size_t left = bytes; left > 0;) {
        const auto n = std::min(left, piece.size());
        f.write(piece.data(), static_cast<std::streamsize>(n));
        left -= n;
    }
    f << suffix;
    REQUIRE(f.good());
}

constexpr long limit_bytes = 1 << 20;  // max_record_bytes in these tests
#if defined(__has_feature)
#if __has_feature(address_sanitizer)  // clang's way of saying it (the asan preset is clang)
#define JUNCTION_TEST_UNDER_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(JUNCTION_TEST_UNDER_ASAN)
// AddressSanitizer's shadow memory and quarantine add tens of MiB to any process: the
// bound is a property of the release build, checked there.
constexpr bool rss_measurable = false;
#else
constexpr bool rss_measurable = true;
#endif
constexpr long rss_bound_kib = (64L << 10) + (limit_bytes >> 10);

}  // namespace

TEST_CASE("a writer killed between write and flush leaves temp files; the next run removes them and says how many") {
    Folder f(R"(, "pattern": "*.ndjson", "format": "ndjson")", R"(, "file_name": "{orderNo}.json", "fsync": false)", 500);
    std::string lines;
    for (int n = 1; n <= 300; ++n)
        lines += order(n) + "\n";
    write_file(f.in / "orders.ndjson", lines);

    const auto killed = f.run_once(" --test-fault kill_before_flush");
    REQUIRE_MESSAGE(killed.exit_code == 128 + SIGKILL, killed.err);
    const auto left = temp_files(f.out);
    REQUIRE(left.size() == 300);  // the whole group was written to temp files, none renamed
    CHECK(std::count_if(fs::directory_iterator(f.out), fs::directory_iterator{},
                        [](const auto& e) { return e.path().extension() == ".json"; }) == 0);

    const auto r = f.run_once();
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    CHECK(temp_files(f.out).empty());
    CHECK(lines_with(r.err, "removed 300 temporary file(s) left in " + f.out.string() +
                                " by writers that are no longer running")
              .size() == 1);
    std::set<std::string> names;
    for (const auto& e : fs::directory_iterator(f.out))
        names.insert(e.path().filename().string());
    CHECK(names.size() == 300);
    for (int n = 1; n <= 300; ++n)
        CHECK_MESSAGE(names.count(std::to_string(n) + ".json") == 1, n);
    CHECK(json::parse(read_file(f.out / "300.json")) == json::parse(order(300)));
}

TEST_CASE("a 50 MB record is skipped without being held: peak RSS stays under 64 MiB + max_record_bytes") {
    Folder f(R"(, "pattern": "*", "max_record_bytes": )" + std::to_string(limit_bytes),
             R"(, "format": "ndjson", "fsync": false)");
    constexpr std::size_t big = 50u << 20;
    const std::string head = R"({"orderNo": 2, "s": ")";
    const auto record_bytes = std::to_string(head.size() + big + 2);  // head, 50 MiB, "}
    write_big(f.in / "big.ndjson", order(1) + "\n" + head, big, "\"}\n" + order(3) + "\n");
    write_big(f.in / "big-array.json", "[" + order(4) + ",\n" + head, big, "\"},\n" + order(6) + "]\n");

    struct rusage usage {};
    const auto r = run_with_usage(f.command("run " + sh_quote(f.config.string()) + " --once"), usage);
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    if (rss_measurable) CHECK_MESSAGE(usage.ru_maxrss < rss_bound_kib, "peak RSS " << usage.ru_maxrss << " KiB");
    CHECK(ndjson_orders(f.out / "out.ndjson") == std::vector<std::int64_t>{1, 3, 4, 6});
    INFO("peak RSS of the run: " << usage.ru_maxrss << " KiB");

    const auto letters = f.dead_letters();
    CHECK(lines_of(letters.out).size() == 2);
    CHECK(lines_with(letters.out, "big.ndjson line 2 is " + record_bytes +
                                      " bytes, over max_record_bytes (1048576)")
              .size() == 1);
    CHECK(lines_with(letters.out, "big-array.json element 2 is " + record_bytes +
                                      " bytes, over max_record_bytes (1048576)")
              .size() == 1);
}

TEST_CASE("bad input of every kind among good files: one line each, every good record written, memory bounded") {
    Folder f(R"(, "pattern": "*", "max_record_bytes": )" + std::to_string(limit_bytes),
             R"(, "format": "ndjson", "fsync": false)");
    const auto& in = f.in;
    // Good: 1 (plain), 2 (after a UTF-8 BOM), 3..5 (NDJSON around a bad line), 6..7 (an array).
    write_file(in / "1.json", order(1));
    write_file(in / "bom.json", "\xEF\xBB\xBF" + order(2));
    write_file(in / "lines.ndjson",
               order(3) + "\n" + order(4) + "\n" + R"({"orderNo": 40, "orderNo": 41})" + "\n" + order(5) + "\n");
    write_file(in / "array.json", "[" + order(6) + ", " + order(7) + "]");
    // Bad, each a dead letter with its reason.
    const std::vector<std::pair<std::string, std::string>> bad = {
        {"truncated.json", "invalid JSON at line 1"},
        {"flipped.json", "invalid JSON at line 1"},
        {"utf8.json", "invalid JSON at line 1"},
        {"nul.json", "invalid JSON at line 1"},
        {"e400.json", "invalid JSON at line 1"},
        {"deep.json", "invalid JSON at line 1"},
        {"huge.json", "huge.json (one record, the whole file) is 52428824 bytes, over max_record_bytes (1048576)"},
        {"empty.json", "empty file: no JSON value"},
        {"dup.json", "dup.json: duplicate key \"orderNo\""},
        {"lines.ndjson#3", "lines.ndjson line 3: duplicate key \"orderNo\""},
    };
    write_file(in / "truncated.json", R"({"orderNo": 10, "summary": "cut sho)");
    write_file(in / "flipped.json", R"({"orderNo"; 11, "summary": "a byte flipped"})");
    write_file(in / "utf8.json", "{\"orderNo\": 12, \"summary\": \"\xC3\x28\"}");
    write_file(in / "nul.json", std::string("{\"orderNo\": 13,\0 \"summary\": \"NUL\"}", 35));
    write_file(in / "e400.json", R"({"orderNo": 14, "amount": 1e400})");
    write_file(in / "deep.json", R"({"orderNo": 15, "x": )" + std::string(100000, '[') + std::string(100000, ']') + "}");
    write_big(in / "huge.json", R"({"orderNo": 16, "s": ")", 50u << 20, "\"}");  // 21 + 50 MiB + 2 bytes
    write_file(in / "empty.json", "");
    write_file(in / "dup.json", R"({"orderNo": 5, "summary": "x", "orderNo": 900})");
    // Skipped with a warning, never opened, left where they are.
    const std::vector<std::pair<std::string, std::string>> skipped = {
        {"dir.json", "a directory, not a regular file"},
        {"fifo.json", "a FIFO (named pipe), not a regular file"},
        {"dangling.json", "a dangling symbolic link"},
    };
    fs::create_directory(in / "dir.json");
    REQUIRE(::mkfifo((in / "fifo.json").c_str(), 0644) == 0);
    fs::create_symlink(in / "nowhere.json", in / "dangling.json");

    struct rusage usage {};
    const auto r = run_with_usage(bounded + f.command("run " + sh_quote(f.config.string()) + " --once"), usage);
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    if (rss_measurable) CHECK_MESSAGE(usage.ru_maxrss < rss_bound_kib, "peak RSS " << usage.ru_maxrss << " KiB");
    CHECK(ndjson_orders(f.out / "out.ndjson") == std::vector<std::int64_t>{1, 2, 3, 4, 5, 6, 7});

    const auto letters = f.dead_letters();
    CHECK(lines_of(letters.out).size() == bad.size());
    for (const auto& entry : bad) {
        const auto& source = entry.first;
        const auto& reason = entry.second;
        const auto lines = lines_with(letters.out, " " + source + ": ");
        CHECK_MESSAGE(lines.size() == 1, source << " in:\n" << letters.out);
        if (!lines.empty()) CHECK_MESSAGE(lines.front().find(reason) != std::string::npos, lines.front());
    }
    // One warning line per bad record (naming its source) or skipped entry; no error.
    for (const auto& entry : bad) {
        const auto& source = entry.first;
        CHECK_MESSAGE(lines_with(r.err, "source=" + source).size() == 1, source << " in:\n" << r.err);
    }
    for (const auto& entry : skipped) {
        const auto& name = entry.first;
        const auto& why = entry.second;
        const auto lines = lines_with(r.err, "skipping " + name + ": ");
        CHECK_MESSAGE(lines.size() == 1, name << " in:\n" << r.err);
        if (!lines.empty()) CHECK(lines.front().find(why) != std::string::npos);
        CHECK(fs::exists(fs::symlink_status(in / name)));
    }
    CHECK(lines_with(r.err, " ERROR ").empty());
}

TEST_CASE("junction validate refuses a file_name template with a separator, under its option") {
    Folder f("", R"(, "file_name": "{orderNo}/{orderNo}.json")");
    const auto r = f.junction("validate " + sh_quote(f.config.string()));
    CHECK(r.exit_code == 3);
    const auto lines = lines_with(r.out + r.err, "pipelines[0].writer.options.file_name: ");
    REQUIRE(lines.size() == 1);
    CHECK(lines.front().find("a file name, not a path: no '/' or '..' in \"{orderNo}/{orderNo}.json\"") !=
          std::string::npos);
}

TEST_CASE("a full disk fails the run with one line, leaves no torn line, and the next run writes everything") {
    // A file size limit (RLIMIT_FSIZE, with SIGXFSZ ignored so write() fails with EFBIG)
    // stands in for a full disk without root: the NDJSON output hits it part-way.
    TempDir dir;
    const auto in = dir / "in", out = dir / "out";
    fs::create_directories(in);
    constexpr int orders = 3000;
    std::string input;
    for (int i = 1; i <= orders; ++i)
        input += R"({"orderNo": )" + std::to_string(i) + R"(, "note": ")" + std::string(200, 'x') + "\"}\n";
    write_file(in / "orders.ndjson", input);
    const auto config = dir / "c.json";
    write_file(config, R"({"state": )" + quoted(dir / "state.db") + R"(, "pipelines": [{"name": "p",
        "reader": {"plugin": "files", "options": {"dir": )" + quoted(in) + R"(, "pattern": "*.ndjson"}},
        "writer": {"plugin": "files", "options": {"dir": )" + quoted(out) + R"(, "format": "ndjson"}},
        "batch_size": 100, "retry": {"max_attempts": 3, "initial_backoff_ms": 1, "max_backoff_ms": 5}}]})");
    const auto once = sh_quote(JUNCTION_BIN) + " run " + sh_quote(config.string()) + " --once";

    // 128 KiB: about 500 of the 3000 lines fit.
    const auto full = run(bounded + "bash -c " + sh_quote("trap '' XFSZ; ulimit -f 128; exec " + once));
    CHECK(full.exit_code != 0);
    const auto errors = lines_with(full.err, "ERROR");
    REQUIRE_MESSAGE(errors.size() == 1, full.err);
    CHECK(errors.front().find("File too large") != std::string::npos);
    CHECK(errors.front().find("out.ndjson") != std::string::npos);
    const auto partial = lines_of(read_file(out / "out.ndjson"));
    CHECK(!partial.empty());
    CHECK(partial.size() < static_cast<std::size_t>(orders));
    for (const auto& line : partial) REQUIRE_NOTHROW(json::parse(line));  // no torn line
    CHECK(fs::exists(in / "orders.ndjson"));  // not released: its records are not all written

    const auto again = run(bounded + once);
    REQUIRE_MESSAGE(again.exit_code == 0, again.err);
    const auto written = ndjson_orders(out / "out.ndjson");  // every line parses
    const std::set<std::int64_t> distinct(written.begin(), written.end());
    CHECK(distinct.size() == static_cast<std::size_t>(orders));
    CHECK(*distinct.begin() == 1);
    CHECK(*distinct.rbegin() == orders);
    // Written but not committed when the disk filled: at most the group in flight (queue_depth batches).
    CHECK(written.size() - distinct.size() <= 4 * 100);
}
