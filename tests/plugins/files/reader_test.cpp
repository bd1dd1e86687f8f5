// The files reader: what records it makes of what it finds.
#include <doctest/doctest.h>

#include <fstream>

#include <boost/json.hpp>

#include "files_test_util.hpp"

namespace json = boost::json;
using junction::files::FilesReader;
using junction::sdk::LogLevel;
using namespace junction::test;

namespace {

json::object options(const TempDir& dir, std::string_view extra = "{}") {
    auto o = json::parse(extra).as_object();
    o["dir"] = dir.path().string();
    o["after"] = o.contains("after") ? o["after"] : json::value("keep");
    return with_defaults(junction::files::reader_options(), std::move(o));
}

std::vector<junction::sdk::Record> read_folder(const TempDir& dir, std::string_view extra = "{}",
                                               TestContext* out_ctx = nullptr) {
    TestContext ctx(options(dir, extra));
    FilesReader reader;
    REQUIRE(reader.open(out_ctx != nullptr ? *out_ctx : ctx).is_ok());
    return read_all(reader);
}

}  // namespace

TEST_CASE("reader: an object file is one record with its name and size as position") {
    TempDir dir;
    const std::string text = R"({"orderNo": 1, "summary": "a"})";
    write_text(dir / "1.json", text);
    auto records = read_folder(dir);
    REQUIRE(records.size() == 1);
    CHECK(records[0].payload.at("orderNo").as_int64() == 1);
    CHECK(records[0].meta.source == "1.json");
    CHECK(records[0].meta.partition == "1.json");
    CHECK(records[0].meta.position.ends_with(":" + std::to_string(text.size())));
    CHECK(records[0].meta.key.empty());
    CHECK(records[0].meta.error.empty());
}

TEST_CASE("reader: a pretty-printed object file is one object, not NDJSON") {
    TempDir dir;
    write_text(dir / "1.json", "{\n  \"orderNo\": 1,\n  \"summary\": \"a\"\n}\n");
    auto records = read_folder(dir);
    REQUIRE(records.size() == 1);
    CHECK(records[0].meta.error.empty());
}

TEST_CASE("reader: an array file gives one record per element, numbered") {
    TempDir dir;
    const std::string text = R"([{"orderNo": 1}, {"orderNo": 2},
  {"orderNo": 3, "s": "a,]b"}])";
    write_text(dir / "batch.json", text);
    auto records = read_folder(dir);
    REQUIRE(records.size() == 3);
    CHECK(records[2].payload.at("s").as_string() == "a,]b");
    CHECK(records[0].meta.source == "batch.json#1");
    CHECK(records[2].meta.source == "batch.json#3");
    CHECK(records[0].meta.partition == "batch.json");
    CHECK(records[0].meta.position.ends_with(":15"));
    CHECK(records[2].meta.partition == "batch.json");
    CHECK(records[2].meta.position.ends_with(":" + std::to_string(text.size() - 1)));
}

TEST_CASE("reader: several JSON objects one per line are NDJSON, numbered by line") {
    TempDir dir;
    write_text(dir / "lines.json", "{\"orderNo\": 1}\n\n{\"orderNo\": 2}\n{\"orderNo\": 3}");
    auto records = read_folder(dir);
    REQUIRE(records.size() == 3);
    CHECK(records[1].meta.source == "lines.json#3");
    CHECK(records[1].meta.partition == "lines.json");
    CHECK(records[1].meta.position.ends_with(":31"));
    CHECK(records[2].payload.at("orderNo").as_int64() == 3);
}

TEST_CASE("reader: a .ndjson file is NDJSON even with one line") {
    TempDir dir;
    write_text(dir / "one.ndjson", "{\"orderNo\": 1}\n");
    auto records = read_folder(dir, R"({"pattern": "*.ndjson"})");
    REQUIRE(records.size() == 1);
    CHECK(records[0].meta.source == "one.ndjson#1");
}

TEST_CASE("reader: format=object refuses an array file as a whole") {
    TempDir dir;
    write_text(dir / "a.json", "[{}]");
    auto records = read_folder(dir, R"({"format": "object"})");
    REQUIRE(records.size() == 1);
    CHECK(records[0].meta.error == "expected a JSON object, got array");
}

TEST_CASE("reader: files come in name order") {
    TempDir dir;
    for (const char* n : {"b.json", "c.json", "a.json"})
        write_text(dir / n, "{}");
    auto records = read_folder(dir);
    REQUIRE(records.size() == 3);
    CHECK(records[0].meta.source == "a.json");
    CHECK(records[1].meta.source == "b.json");
    CHECK(records[2].meta.source == "c.json");
}

TEST_CASE("reader: corrupted JSON is an error record naming line and column") {
    TempDir dir;
    write_text(dir / "bad.json", "{\n  \"orderNo\": 1,\n  \"x\": tru\n}");
    auto records = read_folder(dir);
    REQUIRE(records.size() == 1);
    CHECK(records[0].meta.error.starts_with("invalid JSON at line 3, column "));
    CHECK(records[0].payload.at("file").as_string() == "bad.json");
    CHECK(records[0].payload.at("error").as_string() == records[0].meta.error);
}

TEST_CASE("reader: a truncated object file is an error record") {
    TempDir dir;
    write_text(dir / "cut.json", R"({"orderNo": 1, "summ)");
    auto records = read_folder(dir);
    REQUIRE(records.size() == 1);
    CHECK(records[0].meta.error.starts_with("invalid JSON at line 1"));
}

TEST_CASE("reader: an empty file is an error record") {
    TempDir dir;
    write_text(dir / "empty.json", "  \n");
    auto records = read_folder(dir);
    REQUIRE(records.size() == 1);
    CHECK(records[0].meta.error == "empty file: no JSON value");
}

TEST_CASE("reader: a JSON value that is not an object is an error record") {
    TempDir dir;
    write_text(dir / "n.json", "42");
    auto records = read_folder(dir);
    REQUIRE(records.size() == 1);
    CHECK(records[0].meta.error == "expected a JSON object, got integer");
}

TEST_CASE("reader: an array element that is not an object is an error record, the others go on") {
    TempDir dir;
    write_text(dir / "a.json", R"([{"orderNo": 1}, 7, {"orderNo": 3}])");
    auto records = read_folder(dir);
    REQUIRE(records.size() == 3);
    CHECK(records[0].meta.error.empty());
    CHECK(records[1].meta.error == "element 2 is not a JSON object (got integer)");
    CHECK(records[1].payload.at("element").as_int64() == 2);
    CHECK(records[2].payload.at("orderNo").as_int64() == 3);
}

TEST_CASE("reader: a truncated array gives its whole elements, then an error record") {
    TempDir dir;
    write_text(dir / "a.json", R"([{"orderNo": 1}, {"orderNo": 2)");
    auto records = read_folder(dir);
    REQUIRE(records.size() == 2);
    CHECK(records[0].meta.error.empty());
    CHECK(records[1].meta.error.find("array is not closed") != std::string::npos);
}

TEST_CASE("reader: an NDJSON line that does not parse is an error record, the others go on") {
    TempDir dir;
    write_text(dir / "l.ndjson", "{\"orderNo\": 1}\n{\"orderNo\": 2,,}\n[1]\n{\"orderNo\": 4}\n");
    auto records = read_folder(dir, R"({"pattern": "*.ndjson"})");
    REQUIRE(records.size() == 4);
    CHECK(records[1].meta.error.starts_with("invalid JSON at line 2, column 15: "));
    CHECK(records[1].payload.at("line").as_int64() == 2);
    CHECK(records[1].payload.at("text").as_string() == "{\"orderNo\": 2,,}");
    CHECK(records[2].meta.error == "line 3 is not a JSON object (got array)");
    CHECK(records[3].payload.at("orderNo").as_int64() == 4);
}

// Directories, FIFOs, sockets and dangling links: reader_input_test.cpp ("skip: ...").

TEST_CASE("reader: an empty folder ends the run with no records") {
    TempDir dir;
    TestContext ctx(options(dir));
    FilesReader reader;
    REQUIRE(reader.open(ctx).is_ok());
    junction::sdk::Batch batch;
    bool end = false;
    REQUIRE(reader.read(batch, 10, end).is_ok());
    CHECK(end);
    CHECK(batch.empty());
}

TEST_CASE("reader: a folder that does not exist is created, and the run reads nothing") {
    TempDir dir;
    TestContext ctx(
        with_defaults(junction::files::reader_options(), {{"dir", (dir / "missing" / "inbound").string()}}));
    FilesReader reader;
    REQUIRE(reader.open(ctx).is_ok());
    CHECK(fs::is_directory(dir / "missing" / "inbound"));
    junction::sdk::Batch batch;
    bool end = false;
    REQUIRE(reader.read(batch, 10, end).is_ok());
    CHECK(end);
    CHECK(batch.empty());
}

TEST_CASE("reader: a path that is a file, not a folder, is a fatal error naming it") {
    TempDir dir;
    write_text(dir / "plain", "x");
    TestContext ctx(with_defaults(junction::files::reader_options(), {{"dir", (dir / "plain").string()}}));
    FilesReader reader;
    const auto s = reader.open(ctx);
    CHECK(s.code() == junction::sdk::Code::fatal);
    CHECK(s.message().find("plain is not a folder") != std::string::npos);
}

TEST_CASE("reader: a relative dir is resolved by the host against the config's folder") {
    TempDir dir;
    fs::create_directory(dir / "in");
    write_text(dir / "in" / "1.json", "{}");
    TestContext ctx(junction::files::reader_options(), {{"dir", "in"}, {"after", "keep"}}, dir.path().string());
    CHECK(ctx.options().get_string("dir") == (dir / "in").string());
    FilesReader reader;
    REQUIRE(reader.open(ctx).is_ok());
    CHECK(read_all(reader).size() == 1);
}

TEST_CASE("reader: pattern selects by name with * and ?") {
    TempDir dir;
    for (const char* n : {"order-1.json", "order-22.json", "other.json", "order-3.txt"})
        write_text(dir / n, "{}");
    auto records = read_folder(dir, R"({"pattern": "order-?.json"})");
    REQUIRE(records.size() == 1);
    CHECK(records[0].meta.source == "order-1.json");
    CHECK(read_folder(dir, R"({"pattern": "order-*"})").size() == 3);
}

TEST_CASE("reader: hidden, .tmp and .part files are ignored") {
    TempDir dir;
    for (const char* n : {".hidden.json", "a.json.tmp", "b.json.part", "c.json"})
        write_text(dir / n, "{}");
    auto records = read_folder(dir, R"({"pattern": "*"})");
    REQUIRE(records.size() == 1);
    CHECK(records[0].meta.source == "c.json");
}

TEST_CASE("reader: settle_ms skips files modified too recently, with a debug line") {
    TempDir dir;
    write_text(dir / "old.json", "{}");
    fs::last_write_time(dir / "old.json", fs::file_time_type::clock::now() - std::chrono::minutes(5));
    write_text(dir / "fresh.json", "{}");
    TestContext ctx(options(dir, R"({"settle_ms": 60000})"));
    FilesReader reader;
    REQUIRE(reader.open(ctx).is_ok());
    auto records = read_all(reader);
    REQUIRE(records.size() == 1);
    CHECK(records[0].meta.source == "old.json");
    CHECK(count_lines(ctx.logger(), LogLevel::debug, "skipping fresh.json") == 1);
}

// Memory is measured by the benchmarks (bench/: W1 at 50k..800k records keeps a flat
// peak RSS), never by a test: under the sanitizers RSS means nothing.
TEST_CASE("reader: a large NDJSON file is read in bounded batches with advancing positions") {
    TempDir dir;
    const auto path = dir / "big.ndjson";
    constexpr int lines = 200000;  // about 24 MB
    {
        std::ofstream out(path, std::ios::binary);
        const std::string pad(80, 'x');
        for (int i = 0; i < lines; ++i)
            out << R"({"orderNo": )" << i << R"(, "summary": ")" << pad << "\"}\n";
    }
    TestContext ctx(options(dir, R"({"pattern": "*.ndjson"})"));
    FilesReader reader;
    REQUIRE(reader.open(ctx).is_ok());
    std::size_t count = 0, largest = 0;
    long long last_offset = -1;
    bool advancing = true;
    for (bool end = false; !end;) {
        junction::sdk::Batch batch;
        REQUIRE(reader.read(batch, 500, end).is_ok());
        count += batch.size();
        largest = std::max(largest, batch.size());
        for (const auto& r : batch) {
            const auto offset = std::stoll(r.meta.position.substr(r.meta.position.rfind(':') + 1));
            advancing = advancing && offset > last_offset;
            last_offset = offset;
        }
    }
    CHECK(count == lines);
    CHECK(largest <= 500);
    CHECK(advancing);
    CHECK(last_offset == static_cast<long long>(std::filesystem::file_size(path)));
}
