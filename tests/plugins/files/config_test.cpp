// The files reader's and writer's options: what the host refuses before open(), word for
// word, from the schema and from check_*_config (the factory's check_options), and the
// typed configs it hands over.
#include <doctest/doctest.h>

#include <fstream>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "files_config.hpp"
#include "temp_dir.hpp"
#include "test_context.hpp"

namespace json = boost::json;
using namespace junction::files;
using junction::sdk::testing::option_errors;
using junction::test::TestContext;
using Lines = std::vector<std::string>;

namespace {

Lines reader_errors(std::string_view options) {
    return option_errors(reader_options(), json::parse(options).as_object(), "/base");
}
Lines writer_errors(std::string_view options) {
    return option_errors(writer_options(), json::parse(options).as_object(), "/base");
}
// check_*_config's refusal of options the schema accepts ("" when none).
std::string reader_refusal(std::string_view options) {
    const TestContext ctx(reader_options(), json::parse(options).as_object(), "/base");
    return check_reader_config(ctx.options()).message();
}
std::string writer_refusal(std::string_view options) {
    const TestContext ctx(writer_options(), json::parse(options).as_object(), "/base");
    return check_writer_config(ctx.options()).message();
}

}  // namespace

TEST_CASE("config: the reader's defaults come from the schema, its folders resolved against the config's folder") {
    const TestContext ctx(reader_options(), {{"dir", "in"}}, "/base");
    const auto c = reader_config(ctx.options());
    CHECK(c.dir == "/base/in");
    CHECK(c.processed_dir == "/base/in/processed");
    CHECK(c.quarantine_dir == "/base/in/quarantine");
    CHECK(c.pattern == "*.json");
    CHECK(c.after == AfterRead::move);
    CHECK(c.format == FileFormat::auto_detect);
    CHECK(c.settle_ms == 0);
    CHECK(c.max_record_bytes == 16 * 1024 * 1024);
    CHECK(c.max_file_bytes == 0);
}

TEST_CASE("config: max_record_bytes must be at least 1, max_file_bytes at least 0 (no limit)") {
    CHECK(!reader_errors(R"({"dir": "in", "max_record_bytes": 0})").empty());
    CHECK(!reader_errors(R"({"dir": "in", "max_file_bytes": -1})").empty());
    CHECK(reader_errors(R"({"dir": "in", "max_record_bytes": 1048576, "max_file_bytes": 0})").empty());
    const TestContext ctx(reader_options(), {{"dir", "in"}, {"max_record_bytes", 1000}, {"max_file_bytes", 5000}},
                          "/base");
    const auto c = reader_config(ctx.options());
    CHECK(c.max_record_bytes == 1000);
    CHECK(c.max_file_bytes == 5000);
}

TEST_CASE("config: processed_dir and quarantine_dir are paths relative to the config's folder, not to dir") {
    const TestContext ctx(reader_options(),
                          {{"dir", "data/in"}, {"processed_dir", "done"}, {"quarantine_dir", "/var/bad"}}, "/base");
    const auto c = reader_config(ctx.options());
    CHECK(c.processed_dir == "/base/done");
    CHECK(c.quarantine_dir == "/var/bad");
}

TEST_CASE("config: the writer's defaults come from the schema, its folder resolved against the config's folder") {
    const TestContext ctx(writer_options(), {{"dir", "../out"}, {"file_name", "{n}.json"}}, "/base/conf");
    const auto c = writer_config(ctx.options());
    CHECK(c.dir == "/base/out");
    CHECK(c.format == WriteFormat::object);
    CHECK(c.file == "out.ndjson");
    CHECK_FALSE(c.indent);
    CHECK(c.fsync);
}

TEST_CASE("config: the schema refuses a missing or empty dir, an unknown format or after, an empty pattern") {
    CHECK(reader_errors("{}") == Lines{"options.dir: required option missing (path: folder read from; relative paths "
                                       "resolve against the config file's folder)"});
    CHECK(reader_errors(R"({"dir": ""})") == Lines{"options.dir: must not be empty"});
    CHECK(reader_errors(R"({"dir": "in", "after": "shred"})") ==
          Lines{"options.after: \"shred\" is not one of: move, delete, keep"});
    CHECK(reader_errors(R"({"dir": "in", "format": "csv"})") ==
          Lines{"options.format: \"csv\" is not one of: auto, object, array, ndjson"});
    CHECK(reader_errors(R"({"dir": "in", "pattern": ""})") ==
          Lines{"options.pattern: must have at least 1 character, got 0"});
    CHECK(reader_errors(R"({"dir": "in", "settle_ms": -1})") == Lines{"options.settle_ms: must be at least 0, got -1"});
    CHECK(writer_errors(R"({"dir": "out", "format": "csv"})") ==
          Lines{"options.format: \"csv\" is not one of: object, ndjson"});
}

TEST_CASE("config: the reader refuses processed or quarantine folders that are the folder it reads") {
    CHECK(reader_refusal(R"({"dir": "in", "processed_dir": "./in/"})") ==
          "processed_dir: must not be the folder read from (dir): files moved there would be read again");
    CHECK(reader_refusal(R"({"dir": "in", "processed_dir": "in", "after": "keep"})").empty());
    CHECK(reader_refusal(R"({"dir": "in", "quarantine_dir": "in"})") ==
          "quarantine_dir: must not be the folder read from (dir): files set aside there would be read again");
    CHECK(reader_refusal(R"({"dir": "in", "processed_dir": "in/done", "quarantine_dir": "bad"})").empty());
}

TEST_CASE("config: object format needs a file_name template that names a file in the folder") {
    CHECK(writer_refusal(R"({"dir": "out"})") == "file_name: required for format object, e.g. \"{orderNo}.json\"");
    CHECK(writer_refusal(R"({"dir": "out", "file_name": "{orderNo"})") == "file_name: unclosed '{' in \"{orderNo\"");
    CHECK(writer_refusal(R"({"dir": "out", "file_name": "{}.json"})") ==
          "file_name: empty placeholder {} in \"{}.json\"");
    CHECK(writer_refusal(R"({"dir": "out", "file_name": "n}.json"})") == "file_name: unmatched '}' in \"n}.json\"");
    CHECK(writer_refusal(R"({"dir": "out", "file_name": "{a..b}.json"})") ==
          "file_name: placeholder {a..b} is not a field path: it has an empty segment");
    for (const char* escaping : {"../../{orderNo}.json", "/etc/{orderNo}.json", "sub/{orderNo}.json", ".."}) {
        CAPTURE(escaping);
        CHECK(writer_refusal(json::serialize(json::object{{"dir", "out"}, {"file_name", escaping}})) ==
              "file_name: a file name, not a path: no '/' or '..' in \"" + std::string(escaping) + "\"");
    }
    CHECK(writer_refusal(R"({"dir": "out", "file_name": "wo-{customer.id}-{{{orderNo}}}.json"})").empty());
}

TEST_CASE("config: ndjson format needs a plain file name in the folder") {
    CHECK(writer_refusal(R"({"dir": "out", "format": "ndjson"})").empty());
    for (const char* bad : {"a/b.ndjson", "..", ".", ""}) {
        CAPTURE(bad);
        CHECK(writer_refusal(json::serialize(json::object{{"dir", "out"}, {"format", "ndjson"}, {"file", bad}})) ==
              "file: must be a plain file name in dir, got \"" + std::string(bad) + "\"");
    }
}

// Issue 14's list, each on its own: junction validate shows these under
// pipelines[i].writer.options.file_name (tests/e2e/files_input_test.cpp runs one through it).
TEST_CASE("config: file_name refusals - unclosed brace") {
    CHECK(writer_refusal(R"({"dir": "out", "file_name": "{orderNo"})") == "file_name: unclosed '{' in \"{orderNo\"");
}
TEST_CASE("config: file_name refusals - empty placeholder") {
    CHECK(writer_refusal(R"({"dir": "out", "file_name": "{}"})") == "file_name: empty placeholder {} in \"{}\"");
}
TEST_CASE("config: file_name refusals - a .. segment") {
    CHECK(writer_refusal(R"({"dir": "out", "file_name": "../.."})") ==
          "file_name: a file name, not a path: no '/' or '..' in \"../..\"");
    CHECK(writer_refusal(R"({"dir": "out", "file_name": "..{orderNo}.json"})") ==
          "file_name: a file name, not a path: no '/' or '..' in \"..{orderNo}.json\"");
}
TEST_CASE("config: file_name refusals - an absolute path") {
    CHECK(writer_refusal(R"({"dir": "out", "file_name": "/tmp/{orderNo}.json"})") ==
          "file_name: a file name, not a path: no '/' or '..' in \"/tmp/{orderNo}.json\"");
}
TEST_CASE("config: file_name refusals - a separator between placeholders") {
    CHECK(writer_refusal(R"({"dir": "out", "file_name": "{orderNo}/{orderNo}.json"})") ==
          "file_name: a file name, not a path: no '/' or '..' in \"{orderNo}/{orderNo}.json\"");
}

TEST_CASE("config: a folder option that names a plain file is refused, reader and writer") {
    junction::test::TempDir dir;
    const auto file = (dir / "plain").string();
    {
        std::ofstream(file) << "x";
    }
    CHECK(reader_refusal(json::serialize(json::object{{"dir", file}})) == "dir: " + file + " is not a folder");
    CHECK(reader_refusal(json::serialize(json::object{{"dir", (dir / "in").string()}, {"processed_dir", file}})) ==
          "processed_dir: " + file + " is not a folder");
    CHECK(reader_refusal(json::serialize(json::object{{"dir", (dir / "in").string()}, {"quarantine_dir", file}})) ==
          "quarantine_dir: " + file + " is not a folder");
    CHECK(writer_refusal(json::serialize(json::object{{"dir", file}, {"format", "ndjson"}})) ==
          "dir: " + file + " is not a folder");
    CHECK(writer_refusal(json::serialize(json::object{{"dir", dir.path().string()}, {"format", "ndjson"}})).empty());
}
