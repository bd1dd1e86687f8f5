// The files writer: atomic object files named from the record, and NDJSON appends.
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>

#include <boost/json.hpp>

#include "files_test_util.hpp"
#include "writer.hpp"

namespace json = boost::json;
using junction::files::FilesWriter;
using junction::sdk::Record;
using junction::sdk::Rejection;
using namespace junction::test;

namespace {

json::object options(const TempDir& dir, std::string_view extra) {
    auto o = json::parse(extra).as_object();
    o["dir"] = dir.path().string();
    return with_defaults(junction::files::writer_options(), std::move(o));
}

std::vector<Record> records(std::initializer_list<std::string_view> payloads) {
    std::vector<Record> out;
    for (auto p : payloads)
        out.push_back(Record{json::parse(p).as_object(), {}});
    return out;
}

std::vector<Rejection> write_batch(FilesWriter& writer, std::vector<Record> batch) {
    std::vector<Rejection> rejected;
    REQUIRE(writer.write(batch, rejected).is_ok());
    REQUIRE(writer.flush().is_ok());
    return rejected;
}

}  // namespace

TEST_CASE("writer: one file per record with the record as content, no temp file left") {
    TempDir dir;
    TestContext ctx(options(dir, R"({"file_name": "{orderNo}.json"})"));
    FilesWriter writer;
    REQUIRE(writer.open(ctx).is_ok());
    CHECK(write_batch(writer, records({R"({"orderNo": 1, "summary": "a"})", R"({"orderNo": 2})"})).empty());
    CHECK(names_in(dir.path()) == std::vector<std::string>{"1.json", "2.json"});
    CHECK(json::parse(read_text(dir / "1.json")) == json::parse(R"({"orderNo": 1, "summary": "a"})"));
}

TEST_CASE("writer: nothing appears under the final name before flush") {
    TempDir dir;
    TestContext ctx(options(dir, R"({"file_name": "{orderNo}.json"})"));
    FilesWriter writer;
    REQUIRE(writer.open(ctx).is_ok());
    auto batch = records({R"({"orderNo": 1})"});
    std::vector<Rejection> rejected;
    REQUIRE(writer.write(batch, rejected).is_ok());
    CHECK_FALSE(fs::exists(dir / "1.json"));
    REQUIRE(writer.flush().is_ok());
    CHECK(fs::exists(dir / "1.json"));
}

TEST_CASE("writer: close without flush leaves no temp file") {
    TempDir dir;
    TestContext ctx(options(dir, R"({"file_name": "{orderNo}.json"})"));
    FilesWriter writer;
    REQUIRE(writer.open(ctx).is_ok());
    auto batch = records({R"({"orderNo": 1})"});
    std::vector<Rejection> rejected;
    REQUIRE(writer.write(batch, rejected).is_ok());
    REQUIRE(writer.close().is_ok());
    CHECK(names_in(dir.path()).empty());
}

TEST_CASE("writer: a large batch (synced once) is written whole") {
    TempDir dir;
    TestContext ctx(options(dir, R"({"file_name": "{orderNo}.json"})"));
    FilesWriter writer;
    REQUIRE(writer.open(ctx).is_ok());
    std::vector<Record> batch;
    for (int i = 0; i < 50; ++i)
        batch.push_back(Record{json::object{{"orderNo", i}}, {}});
    write_batch(writer, std::move(batch));
    CHECK(names_in(dir.path()).size() == 50);
    CHECK(read_text(dir / "49.json") == "{\"orderNo\":49}\n");
}

TEST_CASE("writer: a record missing the placeholder field is rejected naming the field") {
    TempDir dir;
    TestContext ctx(options(dir, R"({"file_name": "{orderNo}.json"})"));
    FilesWriter writer;
    REQUIRE(writer.open(ctx).is_ok());
    auto rejected = write_batch(writer, records({R"({"orderNo": 1})", R"({"number": 2})", R"({"orderNo": {}})"}));
    REQUIRE(rejected.size() == 2);
    CHECK(rejected[0].index == 1);
    CHECK(rejected[0].reason == "file_name: field orderNo is missing");
    CHECK(rejected[1].reason == "file_name: field orderNo must be a string or integer, got object");
    CHECK(names_in(dir.path()) == std::vector<std::string>{"1.json"});
}

TEST_CASE("writer: a value like ../x cannot leave the folder") {
    TempDir dir;
    fs::create_directory(dir / "out");
    auto o = options(dir, R"({"file_name": "{id}.json"})");
    o["dir"] = (dir / "out").string();
    TestContext ctx(o);
    FilesWriter writer;
    REQUIRE(writer.open(ctx).is_ok());
    write_batch(writer, records({R"({"id": "../x"})", R"({"id": "a/b"})"}));
    CHECK(names_in(dir / "out") == std::vector<std::string>{"__x.json", "a_b.json"});
    CHECK(names_in(dir.path()) == std::vector<std::string>{"out"});
}

TEST_CASE("writer: nested placeholder fields are followed") {
    TempDir dir;
    TestContext ctx(options(dir, R"({"file_name": "{customer.id}-{orderNo}.json"})"));
    FilesWriter writer;
    REQUIRE(writer.open(ctx).is_ok());
    write_batch(writer, records({R"({"orderNo": 5, "customer": {"id": "acme"}})"}));
    CHECK(fs::exists(dir / "acme-5.json"));
}

TEST_CASE("writer: rewriting the same record overwrites the same file") {
    TempDir dir;
    TestContext ctx(options(dir, R"({"file_name": "{orderNo}.json"})"));
    FilesWriter writer;
    REQUIRE(writer.open(ctx).is_ok());
    write_batch(writer, records({R"({"orderNo": 1, "v": 1})"}));
    write_batch(writer, records({R"({"orderNo": 1, "v": 2})", R"({"orderNo": 1, "v": 3})"}));
    CHECK(names_in(dir.path()) == std::vector<std::string>{"1.json"});
    CHECK(json::parse(read_text(dir / "1.json")).at("v").as_int64() == 3);
}

TEST_CASE("writer: indent pretty-prints the same JSON") {
    TempDir dir;
    TestContext ctx(options(dir, R"({"file_name": "{orderNo}.json", "indent": true})"));
    FilesWriter writer;
    REQUIRE(writer.open(ctx).is_ok());
    const auto payload = R"({"orderNo": 1, "a": {"b": [1, {"c": null}], "e": {}}, "s": "q\"x"})";
    write_batch(writer, records({payload}));
    const auto text = read_text(dir / "1.json");
    CHECK(text.find("\n  \"a\": {\n    \"b\": [\n      1,") != std::string::npos);
    CHECK(json::parse(text) == json::parse(payload));
}

TEST_CASE("writer: doubles come out in their shortest round-trip form, in objects and in NDJSON") {
    TempDir dir;
    const auto batch = [] {
        return std::vector<Record>{Record{json::object{{"orderNo", 1}, {"rate", 0.25}, {"total", 1000.0}}, {}}};
    };
    {
        TestContext ctx(options(dir, R"({"file_name": "{orderNo}.json"})"));
        FilesWriter writer;
        REQUIRE(writer.open(ctx).is_ok());
        write_batch(writer, batch());
        CHECK(read_text(dir / "1.json") == "{\"orderNo\":1,\"rate\":0.25,\"total\":1000.0}\n");
    }
    {
        TestContext ctx(options(dir, R"({"file_name": "{orderNo}.json", "indent": true})"));
        FilesWriter writer;
        REQUIRE(writer.open(ctx).is_ok());
        write_batch(writer, batch());
        CHECK(read_text(dir / "1.json") == "{\n  \"orderNo\": 1,\n  \"rate\": 0.25,\n  \"total\": 1000.0\n}\n");
    }
    {
        TestContext ctx(options(dir, R"({"format": "ndjson"})"));
        FilesWriter writer;
        REQUIRE(writer.open(ctx).is_ok());
        write_batch(writer, batch());
        CHECK(read_text(dir / "out.ndjson") == "{\"orderNo\":1,\"rate\":0.25,\"total\":1000.0}\n");
    }
}

TEST_CASE("writer: ndjson appends one line per record across batches and runs") {
    TempDir dir;
    for (int run = 0; run < 2; ++run) {
        TestContext ctx(options(dir, R"({"format": "ndjson", "file": "all.ndjson"})"));
        FilesWriter writer;
        REQUIRE(writer.open(ctx).is_ok());
        write_batch(writer, records({R"({"n": 1})", R"({"n": 2})"}));
        REQUIRE(writer.close().is_ok());
    }
    CHECK(read_text(dir / "all.ndjson") == "{\"n\":1}\n{\"n\":2}\n{\"n\":1}\n{\"n\":2}\n");
}

TEST_CASE("writer: a torn last NDJSON line is ended before appending") {
    TempDir dir;
    write_text(dir / "out.ndjson", "{\"n\":1}\n{\"n\":");
    TestContext ctx(options(dir, R"({"format": "ndjson"})"));
    FilesWriter writer;
    REQUIRE(writer.open(ctx).is_ok());
    write_batch(writer, records({R"({"n": 2})"}));
    CHECK(read_text(dir / "out.ndjson") == "{\"n\":1}\n{\"n\":\n{\"n\":2}\n");
}

namespace {

// A PID no process has: a child's, once it has exited and been reaped.
int dead_pid() {
    const pid_t child = ::fork();
    if (child == 0) ::_exit(0);
    REQUIRE(child > 0);
    REQUIRE(::waitpid(child, nullptr, 0) == child);
    return child;
}

void age(const fs::path& file, std::chrono::seconds by) {
    fs::last_write_time(file, fs::file_time_type::clock::now() - by);
}

}  // namespace

TEST_CASE("writer: open removes the temp files of writers no longer running, and logs how many") {
    TempDir dir;
    const auto dead = std::to_string(dead_pid());
    const auto self = std::to_string(::getpid());
    write_text(dir / (".1.json." + dead + ".0.tmp"), "{");
    write_text(dir / (".2.json." + dead + ".17.tmp"), "{");
    // Ours, older than this process: left by an earlier process that had our PID.
    write_text(dir / (".3.json." + self + ".0.tmp"), "{");
    age(dir / (".3.json." + self + ".0.tmp"), std::chrono::hours(24 * 365 * 30));
    // Kept: a live writer's (ours, written now; PID 1's, newer than its start), and files
    // that only look similar.
    write_text(dir / (".4.json." + self + ".0.tmp"), "{");
    write_text(dir / ".5.json.1.0.tmp", "{");
    write_text(dir / (".6.json." + dead + ".x.tmp"), "{");
    write_text(dir / ("7.json." + dead + ".0.tmp"), "{");
    write_text(dir / "8.json", "{}");
    fs::create_directory(dir / (".9.json." + dead + ".0.tmp"));

    TestContext ctx(options(dir, R"({"file_name": "{orderNo}.json"})"));
    FilesWriter writer;
    REQUIRE(writer.open(ctx).is_ok());
    CHECK(names_in(dir.path()) ==
          std::vector<std::string>{".4.json." + self + ".0.tmp", ".5.json.1.0.tmp", ".6.json." + dead + ".x.tmp",
                                   ".9.json." + dead + ".0.tmp", "7.json." + dead + ".0.tmp", "8.json"});
    CHECK(count_lines(ctx.logger(), junction::sdk::LogLevel::info,
                      "removed 3 temporary file(s) left in " + dir.path().string() +
                          " by writers that are no longer running") == 1);
}

TEST_CASE("writer: open with no stale temp files logs nothing about them") {
    TempDir dir;
    TestContext ctx(options(dir, R"({"file_name": "{orderNo}.json"})"));
    FilesWriter writer;
    REQUIRE(writer.open(ctx).is_ok());
    CHECK(count_lines(ctx.logger(), junction::sdk::LogLevel::info, "temporary file") == 0);
}
