#include <string>
#include <vector>

#include <doctest/doctest.h>
#include <junction/sdk/testing.hpp>

#include "folder.hpp"
#include "reader.hpp"

namespace json = boost::json;
namespace testing = junction::sdk::testing;
using junction::sdk::Batch;
using junction::sdk::Record;
using testing::AckBatch;
using testing::Acknowledge;
using testing::TestContext;

namespace {

// The reader's context as the host makes it: `dir` is "in", resolved against the test's
// folder as a path option is against the config file's.
json::object options_in(json::object more = {}) {
    more["dir"] = "in";
    return more;
}

// One read() of at most `max` records.
Batch read_some(csvdir::CsvReader& reader, std::size_t max, bool& end) {
    Batch batch;
    REQUIRE(reader.read(batch, max, end).is_ok());
    return batch;
}

}  // namespace

TEST_CASE("reads every line of every file as a record, in name order, one partition per file") {
    Folder folder;
    folder.write("in/b.csv", "id,name\n3,edsger\n");
    folder.write("in/a.csv", "id,name\r\n1,ada\r\n\r\n2,grace");  // CRLF, a blank line, no final newline
    TestContext ctx(csvdir::reader_options(), options_in(), folder.path().string());
    csvdir::CsvReader reader;
    REQUIRE(reader.open(ctx).is_ok());

    const auto records = testing::read_all(reader, ctx, 100, Acknowledge::none);
    REQUIRE(records.size() == 3);
    CHECK(records[0].payload == json::object{{"id", "1"}, {"name", "ada"}});
    CHECK(records[1].payload == json::object{{"id", "2"}, {"name", "grace"}});
    CHECK(records[2].payload == json::object{{"id", "3"}, {"name", "edsger"}});
    CHECK(records[0].meta.partition == "a.csv");
    CHECK(records[2].meta.partition == "b.csv");
    CHECK(records[0].meta.source == "a.csv@9");
    CHECK(records[1].meta.position == "25");  // the end of a.csv
    CHECK(records[0].meta.error.empty());
}

TEST_CASE("a line with the wrong number of fields is a record with meta.error, not a failed read") {
    Folder folder;
    folder.write("in/a.csv", "id,name\n1,ada,extra\n");
    TestContext ctx(csvdir::reader_options(), options_in(), folder.path().string());
    csvdir::CsvReader reader;
    REQUIRE(reader.open(ctx).is_ok());

    const auto records = testing::read_all(reader, ctx, 100, Acknowledge::none);
    REQUIRE(records.size() == 1);
    CHECK(records[0].meta.error == "expected 2 fields, got 3");
    CHECK(records[0].payload == json::object{{"file", "a.csv"}, {"text", "1,ada,extra"}});
}

TEST_CASE("a run resumes after the committed position, mid-file") {
    Folder folder;
    folder.write("in/a.csv", "id,name\n1,ada\n2,grace\n3,edsger\n");
    std::string after_grace;
    {
        TestContext ctx(csvdir::reader_options(), options_in(), folder.path().string());
        csvdir::CsvReader reader;
        REQUIRE(reader.open(ctx).is_ok());
        after_grace = testing::read_all(reader, ctx, 100, Acknowledge::none).at(1).meta.position;
    }
    TestContext ctx(csvdir::reader_options(), options_in(), folder.path().string());
    ctx.set_committed_position(after_grace, "a.csv");
    csvdir::CsvReader reader;
    REQUIRE(reader.open(ctx).is_ok());

    const auto records = testing::read_all(reader, ctx);
    REQUIRE(records.size() == 1);
    CHECK(records[0].payload == json::object{{"id", "3"}, {"name", "edsger"}});  // fields from the header still
}

TEST_CASE("a file is released once every record of it is settled and its end was seen, not before") {
    Folder folder;
    folder.write("in/a.csv", "id,name\n1,ada\n2,grace\n");
    TestContext ctx(csvdir::reader_options(), options_in(), folder.path().string());
    csvdir::CsvReader reader;
    REQUIRE(reader.open(ctx).is_ok());
    bool end = false;

    const auto first = read_some(reader, 1, end);
    REQUIRE(reader.acknowledge(AckBatch::all_written(first)).is_ok());
    CHECK(folder.has("in/a.csv"));  // its end not seen yet

    const auto second = read_some(reader, 1, end);
    REQUIRE(second.size() == 1);
    CHECK(read_some(reader, 1, end).empty());
    CHECK(end);
    CHECK(folder.has("in/a.csv"));  // its end seen, its last record not settled
    CHECK(ctx.dropped().empty());

    REQUIRE(reader.acknowledge(AckBatch().rejected(second[0], "name: bad").commit_positions()).is_ok());
    CHECK_FALSE(folder.has("in/a.csv"));
    CHECK(folder.has("in/done/a.csv"));
    CHECK(ctx.dropped() == std::vector<std::string>{"a.csv"});
    CHECK(ctx.logger().contains("a.csv: 1 of 2 records in the dead-letter store"));
}

TEST_CASE("a file whose records were all settled before its end was seen is released by read()") {
    Folder folder;
    folder.write("in/a.csv", "id,name\n1,ada\n2,grace\n");
    TestContext ctx(csvdir::reader_options(), options_in(), folder.path().string());
    csvdir::CsvReader reader;
    REQUIRE(reader.open(ctx).is_ok());

    // Batches of 2: the first holds both records, acknowledged before the next read()
    // finds the end of the file.
    CHECK(testing::read_all(reader, ctx, 2).size() == 2);
    CHECK(folder.has("in/done/a.csv"));
    CHECK(ctx.dropped() == std::vector<std::string>{"a.csv"});
}

TEST_CASE("a file fully committed but not released (a crash before acknowledge) is released without reading it") {
    Folder folder;
    const std::string text = "id,name\n1,ada\n";
    folder.write("in/a.csv", text);
    TestContext ctx(csvdir::reader_options(), options_in(), folder.path().string());
    ctx.set_committed_position(std::to_string(text.size()), "a.csv");
    csvdir::CsvReader reader;
    REQUIRE(reader.open(ctx).is_ok());

    CHECK(testing::read_all(reader, ctx).empty());
    CHECK(folder.has("in/done/a.csv"));
    CHECK(ctx.dropped() == std::vector<std::string>{"a.csv"});
}

TEST_CASE("open() drops the position of a file no longer in the folder (a crash before drop_position)") {
    Folder folder;
    folder.write("in/a.csv", "id\n1\n");
    TestContext ctx(csvdir::reader_options(), options_in(), folder.path().string());
    ctx.set_committed({{"a.csv", "3"}, {"gone.csv", "12"}});
    csvdir::CsvReader reader;
    REQUIRE(reader.open(ctx).is_ok());
    CHECK(ctx.dropped() == std::vector<std::string>{"gone.csv"});
}

TEST_CASE("a position past the end of the file (another, shorter file of that name) reads it from the start") {
    Folder folder;
    folder.write("in/a.csv", "id\n1\n");
    TestContext ctx(csvdir::reader_options(), options_in(), folder.path().string());
    ctx.set_committed_position("500", "a.csv");
    csvdir::CsvReader reader;
    REQUIRE(reader.open(ctx).is_ok());
    CHECK(testing::read_all(reader, ctx).size() == 1);
    CHECK(ctx.logger().contains("a.csv: position 500 does not fit the file (5 bytes): read from the start"));
}

TEST_CASE("after: delete deletes a released file; done_dir puts it elsewhere") {
    Folder folder;
    folder.write("in/a.csv", "id\n1\n");
    SUBCASE("delete") {
        TestContext ctx(csvdir::reader_options(), options_in({{"after", "delete"}}), folder.path().string());
        csvdir::CsvReader reader;
        REQUIRE(reader.open(ctx).is_ok());
        testing::read_all(reader, ctx);
        CHECK_FALSE(folder.has("in/a.csv"));
        CHECK_FALSE(folder.has("in/done"));
    }
    SUBCASE("done_dir") {
        TestContext ctx(csvdir::reader_options(), options_in({{"done_dir", "archive"}}), folder.path().string());
        csvdir::CsvReader reader;
        REQUIRE(reader.open(ctx).is_ok());
        testing::read_all(reader, ctx);
        CHECK(folder.has("archive/a.csv"));  // resolved against the config's folder, as dir is
    }
}

TEST_CASE("a missing folder stops the run at open()") {
    Folder folder;
    TestContext ctx(csvdir::reader_options(), options_in(), folder.path().string());
    csvdir::CsvReader reader;
    const auto status = reader.open(ctx);
    CHECK(status.code() == junction::sdk::Code::fatal);
    CHECK(status.message() == "dir: " + (folder / "in").string() + " is not a folder");
}
