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

namespace {

// One pipeline, validated alone: exit 3 and exactly `expected` (after the file name),
// then the count. What issue 14's trial saw pass validate and fail at run.
struct Refusal {
    const char* what;
    std::string pipeline;
    std::string expected;
};

void check_refused(const Refusal& c) {
    TempDir dir;
    const auto v = validate(dir, {c.pipeline});
    CAPTURE(c.what);
    CHECK_MESSAGE(v.result.exit_code == 3, v.result.err);
    CHECK(v.result.err == v.config + ": " + c.expected + "\n" + v.config + ": 1 problem found\n");
}

std::string docstore_reader(const std::string& options) {
    return pipeline(0, R"({"plugin": "docstore", "options": {"collection": "c", )" + options + "}}", ndjson_out);
}
std::string mongodb_reader(const std::string& options) {
    return pipeline(0, R"({"plugin": "mongodb", "options": {)" + mongo + ", " + options + "}}", ndjson_out);
}
std::string writer(const std::string& plugin, const std::string& options) {
    const std::string common = plugin == "mongodb" ? mongo + ", " : std::string(R"("collection": "c", )");
    return pipeline(0, files_in, R"({"plugin": ")" + plugin + R"(", "options": {)" + common + options + "}}");
}
std::string mongodb_uri(const std::string& uri) {
    return pipeline(0, files_in,
                    R"({"plugin": "mongodb", "options": {"uri": ")" + uri +
                        R"(", "database": "d", "collection": "c", "upsert_key": ["number"]}})");
}

}  // namespace

TEST_CASE("validate refuses an upsert_key that names no field, for docstore and mongodb") {
    for (const std::string plugin : {"docstore", "mongodb"}) {
        check_refused({"[]", writer(plugin, R"("upsert_key": [])"),
                       "pipelines[0].writer.options.upsert_key: must have at least 1 element, got 0"});
        check_refused({"[\"\"]", writer(plugin, R"("upsert_key": [""])"),
                       R"(pipelines[0].writer.options.upsert_key[0]: "" is not a field path: it is empty)"});
        check_refused({"[null]", writer(plugin, R"("upsert_key": [null])"),
                       "pipelines[0].writer.options.upsert_key[0]: expected a string, got null"});
        check_refused({"[5]", writer(plugin, R"("upsert_key": ["number", 5])"),
                       "pipelines[0].writer.options.upsert_key[1]: expected a string, got integer"});
        check_refused({"a..b", writer(plugin, R"("upsert_key": ["a..b"])"),
                       R"(pipelines[0].writer.options.upsert_key[0]: "a..b" is not a field path: it has an empty segment)"});
    }
}

TEST_CASE("validate refuses a docstore filter the store cannot run") {
    const std::string at = "pipelines[0].reader.options.filter: ";
    const std::string supported = "(supported: $eq, $ne, $exists, $in, $gt, $gte, $lt, $lte";
    for (const Refusal& c : std::vector<Refusal>{
             {"$where", docstore_reader(R"("filter": {"$where": "this.a == 1"})"),
              at + "operator $where is not supported " + supported + ", on fields)"},
             {"$regex", docstore_reader(R"("filter": {"a": {"$regex": "^x"}})"),
              at + "operator $regex on field 'a' is not supported " + supported + ")"},
             {"$or", docstore_reader(R"("filter": {"$or": [{"a": 1}]})"),
              at + "operator $or is not supported " + supported + ", on fields)"},
             {"$in: 5", docstore_reader(R"("filter": {"a": {"$in": 5}})"), at + "$in on field 'a' needs an array"},
             {"empty field", docstore_reader(R"("filter": {"": 1})"), at + "an empty field name"},
             {"a.b..c", docstore_reader(R"("filter": {"a.b..c": 1})"), at + "field name 'a.b..c' has an empty part"},
             {"operator then plain key", docstore_reader(R"("filter": {"a": {"$gt": 1, "b": 2}})"),
              at + "field 'a' mixes operators and the plain key 'b'"},
             {"plain key then operator", docstore_reader(R"("filter": {"a": {"b": 2, "$gt": 1}})"),
              at + "field 'a' mixes operators and the plain key 'b'"},
         })
        check_refused(c);
}

TEST_CASE("validate refuses a mongodb filter MongoDB would refuse, and accepts its other operators") {
    const std::string at = "pipelines[0].reader.options.filter: ";
    for (const Refusal& c : std::vector<Refusal>{
             {"$where", mongodb_reader(R"("filter": {"$where": "this.a == 1"})"),
              at + "operator $where is not supported: it runs JavaScript on the server (deprecated since MongoDB "
                   "8.0, often disabled); use query operators or $expr"},
             {"unknown top-level", mongodb_reader(R"("filter": {"$foo": 1})"), at + "unknown top-level operator $foo"},
             {"unknown on a field", mongodb_reader(R"("filter": {"a": {"$foo": 1}})"),
              at + "unknown operator $foo on field \"a\""},
             {"$or: []", mongodb_reader(R"("filter": {"$or": []})"), at + "$or needs a non-empty array of queries"},
             {"$or: [5]", mongodb_reader(R"("filter": {"$or": [5]})"), at + "$or needs a non-empty array of queries"},
             {"$in: 5", mongodb_reader(R"("filter": {"a": {"$in": 5}})"), at + "$in on field \"a\" needs an array"},
             {"$regex: 5", mongodb_reader(R"("filter": {"a": {"$regex": 5}})"),
              at + "$regex on field \"a\" needs a string"},
             {"empty field", mongodb_reader(R"("filter": {"": 1})"), at + R"("" is not a field path: it is empty)"},
             {"a.b..c", mongodb_reader(R"("filter": {"a.b..c": 1})"),
              at + R"("a.b..c" is not a field path: it has an empty segment)"},
             {"a..b inside $or", mongodb_reader(R"("filter": {"$or": [{"a": 1}, {"a..b": 1}]})"),
              at + R"("a..b" is not a field path: it has an empty segment)"},
             {"operator then plain key", mongodb_reader(R"("filter": {"a": {"$gt": 1, "b": 2}})"),
              at + R"(field "a" mixes operators ($gt) and the plain key "b")"},
             {"plain key then operator", mongodb_reader(R"("filter": {"a": {"b": 2, "$gt": 1}})"),
              at + R"(field "a" mixes operators ($gt) and the plain key "b")"},
         })
        check_refused(c);
    TempDir dir;
    const auto v = validate(
        dir, {mongodb_reader(R"("filter": {"$or": [{"a": {"$regex": "^x", "$options": "i"}}, {"b": {"$nin": [1]}}],
                                "_id": {"$gt": {"$oid": "0123456789abcdef01234567"}},
                                "d": {"$gte": {"$date": "2024-01-01T00:00:00Z"}}, "e": {"x": 1}})")});
    CHECK_MESSAGE(v.result.exit_code == 0, v.result.err);
}

TEST_CASE("validate refuses ack_set/reject_set fields that are empty or touch the key, for docstore and mongodb") {
    const std::string at = "pipelines[0].reader.options.";
    for (const auto& reader : {docstore_reader, mongodb_reader}) {
        for (const Refusal& c : std::vector<Refusal>{
                 {"ack_set {\"\": 1}", reader(R"("ack_set": {"": 1})"),
                  at + R"(ack_set: "" is not a field path: it is empty)"},
                 {"key_field \"\"", reader(R"("key_field": "")"), at + "key_field: must have at least 1 character, got 0"},
                 {"reject_set sets the key", reader(R"("key_field": "number", "reject_set": {"number": "$reason"})"),
                  at + R"(reject_set: "number" would overwrite the key field "number" (key_field))"},
                 {"reject_set inside the key", reader(R"("key_field": "number", "reject_set": {"number.x": "$reason"})"),
                  at + R"(reject_set: "number.x" would overwrite the key field "number" (key_field))"},
                 {"ack_set holds the key", reader(R"("key_field": "number.x", "ack_set": {"number": 1})"),
                  at + R"(ack_set: "number" would overwrite the key field "number.x" (key_field))"},
                 {"ack_set sets _id", reader(R"("ack_set": {"isSynced": true, "_id": 1})"),
                  at + R"(ack_set: "_id" would overwrite the document's _id)"},
                 {"reject_set inside _id", reader(R"("key_field": "number", "reject_set": {"_id.a": "$reason"})"),
                  at + R"(reject_set: "_id.a" would overwrite the document's _id)"},
             })
            check_refused(c);
    }
    TempDir dir;  // a sibling of the key is fine: "numbers" is not inside "number"
    const auto v = validate(dir, {docstore_reader(R"("key_field": "number", "ack_set": {"numbers": 1, "n.umber": 2})")});
    CHECK_MESSAGE(v.result.exit_code == 0, v.result.err);
}

TEST_CASE("validate refuses an empty docstore path") {
    check_refused({"path \"\"", docstore_reader(R"("path": "")"),
                   R"(pipelines[0].reader.options.path: must name the SQLite file, e.g. "tracos.db")"});
    check_refused({"writer path \"\"", writer("docstore", R"("path": "", "upsert_key": ["number"])"),
                   R"(pipelines[0].writer.options.path: must name the SQLite file, e.g. "tracos.db")"});
}

TEST_CASE("validate refuses malformed MongoDB URIs with libmongoc's own parser, never showing the password") {
    const std::string at = "pipelines[0].writer.options.uri: not a valid MongoDB URI: ";
    const std::string pw = "s3cr3t-pw";
    for (const Refusal& c : std::vector<Refusal>{
             {"no scheme", mongodb_uri("u:" + pw + "@127.0.0.1:27017"),
              at + "Invalid URI Schema, expecting 'mongodb://' or 'mongodb+srv://'"},
             {"empty host", mongodb_uri("mongodb://"), at + "Invalid host string in URI"},
             {"port not a number", mongodb_uri("mongodb://u:" + pw + "@h:abc"), at + "Invalid host string in URI"},
             {"port 99999", mongodb_uri("mongodb://u:" + pw + "@h:99999"), at + "Invalid host string in URI"},
             {"unknown option", mongodb_uri("mongodb://u:" + pw + "@h/?bogusOption=1"),
              at + "Unsupported URI option \"bogusoption\""},
             {"srv with a port", mongodb_uri("mongodb+srv://u:" + pw + "@db.example.com:27017"),
              at + "Port numbers are prohibited in an SRV URI"},
             {"unescaped @ in the password", mongodb_uri("mongodb://u:" + pw + "@x@h"),
              at + "the user name or password holds an unescaped '@': percent-encode it as %40"},
             {"bad option value", mongodb_uri("mongodb://u:" + pw + "@h/?connectTimeoutMS=soon"),
              at + "Unsupported value for \"connecttimeoutms\": \"soon\""},
             {"a space", mongodb_uri("mongodb://u:" + pw + "@h /"),
              at + "it holds a space or control character: percent-encode it (a space is %20)"},
         }) {
        check_refused(c);
        TempDir dir;
        CHECK(validate(dir, {c.pipeline}).result.err.find("s3cr3t") == std::string::npos);
    }
    TempDir dir;
    const auto v = validate(dir, {mongodb_uri("mongodb://u:p%40ss@db1:27017,db2:27018/d?replicaSet=rs0&appname=j")});
    CHECK_MESSAGE(v.result.exit_code == 0, v.result.err);
}

TEST_CASE("validate says an empty plugin name is empty") {
    check_refused({"plugin \"\"", pipeline(0, files_in, R"({"plugin": "", "options": {}})"),
                   "pipelines[0].writer.plugin: a plugin name must not be empty"});
}

TEST_CASE("a docstore path in a missing folder: validate accepts it and the run creates the folder") {
    TempDir dir;
    const auto v = validate(dir, {pipeline(0, files_in, R"({"plugin": "docstore", "options": {"path": "data/new/t.db",
                                                           "collection": "c", "upsert_key": ["number"]}})")});
    CHECK_MESSAGE(v.result.exit_code == 0, v.result.err);
    const auto r = run(sh_quote(JUNCTION_BIN) + " run --once " + sh_quote(v.config));
    CHECK_MESSAGE(r.exit_code == 0, r.err);
    CHECK(std::filesystem::is_regular_file(dir / "data/new/t.db"));
}

TEST_CASE("validate refuses a connection option naming no declared connection, and accepts a declared one") {
    TempDir dir;
    const auto config = (dir / "c.json").string();
    write_file(config, R"({
      "connections": {"github": {"type": "bearer", "token": "t0ken-value"}},
      "pipelines": [
        {"name": "a", "reader": {"plugin": "rest", "options": {"connection": "githb", "base_url": "http://127.0.0.1:9",
                                                              "request": {"path": "/x"}}},
         "writer": {"plugin": "files", "options": {"dir": "out", "format": "ndjson"}}},
        {"name": "b", "reader": {"plugin": "rest", "options": {"connection": "github", "base_url": "http://127.0.0.1:9",
                                                              "request": {"path": "/x"}}},
         "writer": {"plugin": "files", "options": {"dir": "out", "format": "ndjson"}}}
      ]})");
    const auto r = run(sh_quote(JUNCTION_BIN) + " validate " + sh_quote(config));
    CHECK(r.exit_code == 3);
    CHECK((r.out + r.err).find("pipelines[0].reader.options.connection: no connection named \"githb\" in the config's "
                        "connections section (declared: github)") != std::string::npos);
    CHECK((r.out + r.err).find("pipelines[1]") == std::string::npos);
    CHECK((r.out + r.err).find("1 problem") != std::string::npos);
    CHECK((r.out + r.err).find("t0ken-value") == std::string::npos);
}
