// The files reader: what happens to files once their records are acknowledged, and
// resuming from a committed position.
#include <doctest/doctest.h>


#include <boost/json.hpp>

#include "files_test_util.hpp"

namespace json = boost::json;
using junction::files::FilesReader;
using junction::sdk::Batch;
using junction::sdk::LogLevel;
using junction::sdk::Record;
using namespace junction::test;

namespace {

// The position a files reader gives a record ending at `offset` of that file.
std::string at(const std::filesystem::path& file, std::uint64_t offset) {
    return junction::files::make_position(junction::files::FileIdentity::of(file), offset);
}

json::object options(const TempDir& dir, std::string_view extra = "{}") {
    auto o = json::parse(extra).as_object();
    o["dir"] = dir.path().string();
    return with_defaults(junction::files::reader_options(), std::move(o));
}

}  // namespace

TEST_CASE("ack: a written file moves to processed/") {
    TempDir dir;
    write_text(dir / "1.json", R"({"orderNo": 1})");
    TestContext ctx(options(dir));
    FilesReader reader;
    REQUIRE(reader.open(ctx).is_ok());
    read_all(reader, 10, [&](Batch& b) { acknowledge_all(reader, b); });
    CHECK_FALSE(fs::exists(dir / "1.json"));
    CHECK(read_text(dir / "processed" / "1.json") == R"({"orderNo": 1})");
}

TEST_CASE("ack: a file is not moved before all its records are acknowledged") {
    TempDir dir;
    write_text(dir / "a.json", R"([{"n": 1}, {"n": 2}])");
    TestContext ctx(options(dir));
    FilesReader reader;
    REQUIRE(reader.open(ctx).is_ok());
    auto records = read_all(reader);
    REQUIRE(records.size() == 2);
    Batch first;
    first.push_back(std::move(records[0]));
    acknowledge_all(reader, first);
    CHECK(fs::exists(dir / "a.json"));
    Batch second;
    second.push_back(std::move(records[1]));
    acknowledge_all(reader, second);
    CHECK_FALSE(fs::exists(dir / "a.json"));
    CHECK(fs::exists(dir / "processed" / "a.json"));
}

TEST_CASE("ack: a rejected single-object file goes to quarantine with a sidecar and one warning") {
    TempDir dir;
    write_text(dir / "7.json", R"({"orderNo": "7"})");
    TestContext ctx(options(dir));
    FilesReader reader;
    REQUIRE(reader.open(ctx).is_ok());
    read_all(reader, 10, [&](Batch& b) { acknowledge(reader, b, [](const Record&) { return true; }); });
    CHECK_FALSE(fs::exists(dir / "7.json"));
    CHECK(fs::exists(dir / "quarantine" / "7.json"));
    const auto sidecar = json::parse(read_text(dir / "quarantine" / "7.json.error.json")).as_object();
    CHECK(sidecar.at("file").as_string() == "7.json");
    CHECK(sidecar.at("reason").as_string() == "orderNo: expected integer, got string");
    CHECK(sidecar.at("time").as_string().size() == 24);
    CHECK(count_lines(ctx.logger(), LogLevel::debug, "quarantined 7.json: orderNo: expected integer, got string") == 1);
    CHECK(ctx.logger().lines().size() <= 2);  // the warning, and at most the debug line of open()
}

TEST_CASE("ack: a corrupted file goes to quarantine with the parse error as reason") {
    TempDir dir;
    write_text(dir / "bad.json", "{oops");
    TestContext ctx(options(dir));
    FilesReader reader;
    REQUIRE(reader.open(ctx).is_ok());
    read_all(reader, 10, [&](Batch& b) { acknowledge_all(reader, b); });
    const auto sidecar = json::parse(read_text(dir / "quarantine" / "bad.json.error.json")).as_object();
    CHECK(sidecar.at("reason").as_string().starts_with("invalid JSON at line 1, column 2"));
}

TEST_CASE("ack: a multi-record file with rejected records goes to processed with a list of them") {
    TempDir dir;
    write_text(dir / "l.ndjson", "{\"n\": 1}\nnope\n{\"n\": 3}\n");
    TestContext ctx(options(dir, R"({"pattern": "*.ndjson"})"));
    FilesReader reader;
    REQUIRE(reader.open(ctx).is_ok());
    read_all(reader, 10, [&](Batch& b) { acknowledge_all(reader, b); });
    CHECK(fs::exists(dir / "processed" / "l.ndjson"));
    const auto sidecar = json::parse(read_text(dir / "processed" / "l.ndjson.rejected.json")).as_object();
    REQUIRE(sidecar.at("rejected").as_array().size() == 1);
    CHECK(sidecar.at("rejected").as_array()[0].at("source").as_string() == "l.ndjson#2");
}

TEST_CASE("ack: a name already in processed/ gets a suffix, nothing is overwritten") {
    TempDir dir;
    fs::create_directory(dir / "processed");
    write_text(dir / "processed" / "1.json", "old");
    write_text(dir / "1.json", "{}");
    TestContext ctx(options(dir));
    FilesReader reader;
    REQUIRE(reader.open(ctx).is_ok());
    read_all(reader, 10, [&](Batch& b) { acknowledge_all(reader, b); });
    CHECK(read_text(dir / "processed" / "1.json") == "old");
    CHECK(read_text(dir / "processed" / "1-1.json") == "{}");
}

TEST_CASE("ack: after=delete removes the file, after=keep leaves it") {
    TempDir dir;
    write_text(dir / "1.json", "{}");
    {
        TestContext ctx(options(dir, R"({"after": "keep"})"));
        FilesReader reader;
        REQUIRE(reader.open(ctx).is_ok());
        read_all(reader, 10, [&](Batch& b) { acknowledge_all(reader, b); });
        CHECK(fs::exists(dir / "1.json"));
    }
    TestContext ctx(options(dir, R"({"after": "delete"})"));
    FilesReader reader;
    REQUIRE(reader.open(ctx).is_ok());
    read_all(reader, 10, [&](Batch& b) { acknowledge_all(reader, b); });
    CHECK_FALSE(fs::exists(dir / "1.json"));
    CHECK_FALSE(fs::exists(dir / "processed"));
}

TEST_CASE("ack: a failed move is logged once and the file stays") {
    TempDir dir;
    write_text(dir / "blocker", "a file where the processed folder should be");
    write_text(dir / "1.json", "{}");
    auto o = options(dir);
    o["processed_dir"] = (dir / "blocker" / "sub").string();
    TestContext ctx(o);
    FilesReader reader;
    REQUIRE(reader.open(ctx).is_ok());
    auto records = read_all(reader, 10, [&](Batch& b) {
        acknowledge_all(reader, b);
        acknowledge_all(reader, b);  // a duplicate acknowledgement must not retry the move
    });
    CHECK(records.size() == 1);
    CHECK(fs::exists(dir / "1.json"));
    CHECK(count_lines(ctx.logger(), LogLevel::error, "cannot move 1.json") == 1);
}

TEST_CASE("resume: a committed position in the middle of an NDJSON file resumes after it") {
    TempDir dir;
    std::string text;
    for (int i = 1; i <= 6; ++i)
        text += "{\"n\": " + std::to_string(i) + "}\n";
    write_text(dir / "l.ndjson", text);
    std::string committed;
    {
        TestContext ctx(options(dir, R"({"pattern": "*.ndjson"})"));
        FilesReader reader;
        REQUIRE(reader.open(ctx).is_ok());
        auto records = read_all(reader);
        REQUIRE(records.size() == 6);
        committed = records[2].meta.position;  // the engine committed up to line 3, then crashed
    }
    TestContext ctx(options(dir, R"({"pattern": "*.ndjson"})"));
    ctx.set_committed_position(committed, "l.ndjson");
    FilesReader reader;
    REQUIRE(reader.open(ctx).is_ok());
    auto records = read_all(reader, 10, [&](Batch& b) { acknowledge_all(reader, b); });
    REQUIRE(records.size() == 3);
    CHECK(records[0].payload.at("n").as_int64() == 4);
    CHECK(records[0].meta.source == "l.ndjson#4");
    CHECK(fs::exists(dir / "processed" / "l.ndjson"));
}

TEST_CASE("resume: a committed position in the middle of an array resumes after that element") {
    TempDir dir;
    write_text(dir / "a.json", R"([{"n": 1}, {"n": 2}, {"n": 3}])");
    TestContext ctx(options(dir));
    ctx.set_committed_position(at(dir / "a.json", 19), "a.json");  // just after element 2
    FilesReader reader;
    REQUIRE(reader.open(ctx).is_ok());
    auto records = read_all(reader);
    REQUIRE(records.size() == 1);
    CHECK(records[0].payload.at("n").as_int64() == 3);
    CHECK(records[0].meta.source == "a.json#3");
}

TEST_CASE("resume: with after=keep, files committed to their end are not read again") {
    TempDir dir;
    for (const char* n : {"1.json", "2.json", "3.json"})
        write_text(dir / n, "{}");
    TestContext ctx(options(dir, R"({"after": "keep"})"));
    ctx.set_committed({{"1.json", at(dir / "1.json", 2)}, {"2.json", at(dir / "2.json", 2)}});
    FilesReader reader;
    REQUIRE(reader.open(ctx).is_ok());
    auto records = read_all(reader);
    REQUIRE(records.size() == 1);
    CHECK(records[0].meta.source == "3.json");
}

TEST_CASE("resume: with after=move, a fully committed file still present is moved without re-reading") {
    TempDir dir;
    write_text(dir / "1.json", "{}");
    write_text(dir / "0.json", "{}");  // arrived after the crash, sorts before: still read
    TestContext ctx(options(dir));
    ctx.set_committed_position(at(dir / "1.json", 2), "1.json");
    FilesReader reader;
    REQUIRE(reader.open(ctx).is_ok());
    auto records = read_all(reader, 10, [&](Batch& b) { acknowledge_all(reader, b); });
    REQUIRE(records.size() == 1);
    CHECK(records[0].meta.source == "0.json");
    CHECK(fs::exists(dir / "processed" / "1.json"));
    CHECK(fs::exists(dir / "processed" / "0.json"));
    CHECK(ctx.dropped() == std::vector<std::string>{"1.json", "0.json"});  // released: positions dropped
}

TEST_CASE("resume: a new file on the inode of a deleted one, under its name, is read whole") {
    TempDir dir;
    write_text(dir / "a.ndjson", "{\"n\": 1}\n{\"n\": 2}\n{\"n\": 3}\n");
    const auto old_position = at(dir / "a.ndjson", 18);  // after n=2
    fs::remove(dir / "a.ndjson");
    write_text(dir / "a.ndjson", "{\"n\": 10}\n{\"n\": 20}\n{\"n\": 30}\n");  // ext4 hands out the same inode
    TestContext ctx(options(dir, R"({"pattern": "*.ndjson"})"));
    ctx.set_committed_position(old_position, "a.ndjson");
    FilesReader reader;
    REQUIRE(reader.open(ctx).is_ok());
    auto records = read_all(reader);
    REQUIRE(records.size() == 3);
    CHECK(records[0].payload.at("n").as_int64() == 10);
}

TEST_CASE("resume: a new file under the name of a committed one (another inode) is read whole") {
    TempDir dir;
    write_text(dir / "5.json", R"([{"n": 1}, {"n": 2}])");
    const auto old_position = at(dir / "5.json", 10);
    write_text(dir / "5.json.new", R"([{"n": 3}, {"n": 4}])");
    fs::rename(dir / "5.json.new", dir / "5.json");  // a corrected file, delivered whole
    TestContext ctx(options(dir));
    ctx.set_committed_position(old_position, "5.json");
    FilesReader reader;
    REQUIRE(reader.open(ctx).is_ok());
    auto records = read_all(reader);
    REQUIRE(records.size() == 2);
    CHECK(records[0].payload.at("n").as_int64() == 3);
}

TEST_CASE("resume: each file resumes at its own position, and positions of files gone are dropped") {
    TempDir dir;
    write_text(dir / "a.ndjson", "{\"n\": 1}\n{\"n\": 2}\n");
    write_text(dir / "b.ndjson", "{\"n\": 3}\n{\"n\": 4}\n");
    TestContext ctx(options(dir, R"({"pattern": "*.ndjson"})"));
    ctx.set_committed({{"a.ndjson", at(dir / "a.ndjson", 9)}, {"b.ndjson", at(dir / "b.ndjson", 9)},
                       {"gone.ndjson", "1:9"}});
    FilesReader reader;
    REQUIRE(reader.open(ctx).is_ok());
    CHECK(ctx.dropped() == std::vector<std::string>{"gone.ndjson"});
    auto records = read_all(reader);
    REQUIRE(records.size() == 2);
    CHECK(records[0].payload.at("n").as_int64() == 2);
    CHECK(records[0].meta.partition == "a.ndjson");
    CHECK(records[1].payload.at("n").as_int64() == 4);
    CHECK(records[1].meta.partition == "b.ndjson");
}

TEST_CASE("reader: 3,000 files are read in order and all moved to processed/") {
    TempDir dir;
    for (int i = 0; i < 3000; ++i) {
        char name[32];
        std::snprintf(name, sizeof name, "%05d.json", i);
        write_text(dir / name, "{\"orderNo\": " + std::to_string(i) + "}");
    }
    TestContext ctx(options(dir));
    FilesReader reader;
    REQUIRE(reader.open(ctx).is_ok());
    auto records = read_all(reader, 256, [&](Batch& b) { acknowledge_all(reader, b); });
    REQUIRE(records.size() == 3000);
    bool ordered = true;
    for (int i = 0; i < 3000; ++i)
        ordered = ordered && records[i].payload.at("orderNo").as_int64() == i;
    CHECK(ordered);
    CHECK(names_in(dir.path()) == std::vector<std::string>{"processed"});
    CHECK(names_in(dir / "processed").size() == 3000);
}
