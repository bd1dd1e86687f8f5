// `junction validate` refuses, through the real binary and the bundled plugins, what a
// plugin's open() would refuse for the config alone: one line per problem, each under
// the option at fault, secrets never shown.
#include <doctest/doctest.h>

#include "subprocess.hpp"

using namespace junction::test;

namespace {

// A pipeline of `reader` and `writer` (JSON stage objects) named p<index>.
std::string pipeline(int index, const std::string& reader, const std::string& writer) {
    return R"({"name": "p)" + std::to_string(index) + R"(", "reader": )" + reader + R"(, "writer": )" + writer + "}";
}

const std::string files_in = R"({"plugin": "files", "options": {"dir": "in"}})";
const std::string ndjson_out = R"({"plugin": "files", "options": {"dir": "out", "format": "ndjson"}})";
const std::string mongo = R"("uri": "mongodb://127.0.0.1:1", "database": "d", "collection": "c")";

struct Validated {
    std::string config;
    Result result;
};

Validated validate(const TempDir& dir, const std::vector<std::string>& pipelines) {
    std::string list;
    for (const auto& p : pipelines)
        list += (list.empty() ? "" : ",\n") + p;
    const auto config = (dir / "c.json").string();
    write_file(config, "{\"pipelines\": [" + list + "]}");
    return {config, run(sh_quote(JUNCTION_BIN) + " validate " + sh_quote(config))};
}

}  // namespace

TEST_CASE("validate refuses every plugin's config-only problems, each under its option") {
    TempDir dir;
    const auto v = validate(
        dir,
        {
            pipeline(0, files_in,
                     R"({"plugin": "mongodb", "options": {"uri": "mongodb://junction:s3cr%40t@127.0.0.1:notaport",
                         "database": "d", "collection": "c", "upsert_key": ["number"]}})"),
            pipeline(1, files_in, R"({"plugin": "docstore", "options": {"collection": "c", "upsert_key": ["_id"]}})"),
            pipeline(2,
                     R"({"plugin": "docstore", "options": {"collection": "workorders", "key_field": "number",
                         "ack_set": {"isSynced": true, "number": "$reason"}}})",
                     ndjson_out),
            pipeline(3, R"({"plugin": "mongodb", "options": {)" + mongo + R"(, "key_field": "a..b"}})", ndjson_out),
            pipeline(4, files_in,
                     R"({"plugin": "files", "options": {"dir": "out", "file_name": "../{orderNo}.json"}})"),
            pipeline(5, R"({"plugin": "docstore", "options": {"path": "", "collection": "c"}})", ndjson_out),
            pipeline(6, files_in, R"({"plugin": "mongodb", "options": {)" + mongo + R"(, "upsert_key": []}})"),
            pipeline(7, R"({"plugin": "docstore", "options": {"collection": "c", "filter": {"$or": []}}})", ndjson_out),
            R"({"name": "p8", "reader": )" + files_in +
                R"(, "translators": [{"plugin": "mapping", "options": {"rename": {"a": "x..y"}}}], "writer": )" +
                ndjson_out + "}",
        });
    CHECK(v.result.exit_code == 3);
    const auto& err = v.result.err;
    const auto line = [&](const std::string& text) {
        CHECK_MESSAGE(err.find(v.config + ": " + text + "\n") != std::string::npos, text, "\n---\n", err);
    };
    line("pipelines[0].writer.options.uri: not a valid MongoDB URI: Invalid host string in URI");  // libmongoc's words
    CHECK(err.find("s3cr") == std::string::npos);
    line(
        "pipelines[1].writer.options.upsert_key[0]: _id cannot be an upsert key: the store gives each document "
        "its own; name the business key, e.g. [\"number\"]");
    line("pipelines[2].reader.options.ack_set: \"number\" would overwrite the key field \"number\" (key_field)");
    line("pipelines[3].reader.options.key_field: \"a..b\" is not a field path: it has an empty segment");
    line("pipelines[4].writer.options.file_name: a file name, not a path: no '/' or '..' in \"../{orderNo}.json\"");
    line("pipelines[5].reader.options.path: must name the SQLite file, e.g. \"tracos.db\"");
    line("pipelines[6].writer.options.upsert_key: must have at least 1 element, got 0");
    line(
        "pipelines[7].reader.options.filter: operator $or is not supported (supported: $eq, $ne, $exists, $in, "
        "$gt, $gte, $lt, $lte, on fields)");
    line("pipelines[8].translators[0].options.rename.a: \"x..y\" is not a field path: it has an empty segment");
    CHECK(err.find(v.config + ": 9 problems found\n") != std::string::npos);
}

TEST_CASE("validate accepts what the plugins accept, and path options resolve against the config's folder") {
    TempDir dir;
    const auto v =
        validate(dir, {pipeline(0, R"({"plugin": "files", "options": {"dir": "in", "processed_dir": "done"}})",
                                R"({"plugin": "docstore", "options": {"path": "t.db", "collection": "c",
                           "upsert_key": ["number"]}})")});
    CHECK_MESSAGE(v.result.exit_code == 0, v.result.err);
    const auto r = run(sh_quote(JUNCTION_BIN) + " run --once " + sh_quote(v.config));
    CHECK_MESSAGE(r.exit_code == 0, r.err);
    CHECK(std::filesystem::is_directory(dir / "in"));
    CHECK(std::filesystem::exists(dir / "t.db"));
}
