// The files reader against hostile input: entries that are not regular files, records
// and files over the size limits, and objects with a key given twice.
#include <doctest/doctest.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <boost/json.hpp>

#include "files_test_util.hpp"
#include "json_text.hpp"
#include "record_source.hpp"

namespace json = boost::json;
using junction::files::FilesReader;
using junction::sdk::LogLevel;
using junction::sdk::Record;
using namespace junction::test;

namespace {

json::object options(const TempDir& dir, std::string_view extra = "{}") {
    auto o = json::parse(extra).as_object();
    o["dir"] = dir.path().string();
    o["after"] = o.contains("after") ? o["after"] : json::value("keep");
    if (!o.contains("pattern")) o["pattern"] = "*";
    return with_defaults(junction::files::reader_options(), std::move(o));
}

std::vector<Record> read_with(TestContext& ctx) {
    FilesReader reader;
    REQUIRE(reader.open(ctx).is_ok());
    return read_all(reader);
}

std::vector<Record> read_folder(const TempDir& dir, std::string_view extra = "{}") {
    TestContext ctx(options(dir, extra));
    return read_with(ctx);
}

std::string order(int n) {
    return R"({"orderNo": )" + std::to_string(n) + "}";
}

// The orderNo of every record that is not an error, in order.
std::vector<std::int64_t> orders(const std::vector<Record>& records) {
    std::vector<std::int64_t> out;
    for (const auto& r : records)
        if (r.meta.error.empty()) out.push_back(r.payload.at("orderNo").as_int64());
    return out;
}

std::vector<const Record*> errors(const std::vector<Record>& records) {
    std::vector<const Record*> out;
    for (const auto& r : records)
        if (!r.meta.error.empty()) out.push_back(&r);
    return out;
}

}  // namespace

TEST_CASE("skip: a FIFO is skipped with one warning and never opened (the run does not hang)") {
    TempDir dir;
    REQUIRE(::mkfifo((dir / "2.json").c_str(), 0644) == 0);
    write_text(dir / "1.json", order(1));
    TestContext ctx(options(dir));
    const auto records = read_with(ctx);
    CHECK(orders(records) == std::vector<std::int64_t>{1});
    CHECK(errors(records).empty());
    CHECK(count_lines(ctx.logger(), LogLevel::warning,
                      "skipping 2.json: a FIFO (named pipe), not a regular file; it is never opened") == 1);
    CHECK(fs::is_fifo(dir / "2.json"));
}

TEST_CASE("skip: a directory named x.json is skipped with one warning and left where it is") {
    TempDir dir;
    fs::create_directory(dir / "x.json");
    TestContext ctx(options(dir, R"({"after": "move"})"));
    CHECK(read_with(ctx).empty());
    CHECK(count_lines(ctx.logger(), LogLevel::warning, "skipping x.json: a directory, not a regular file") == 1);
    CHECK(fs::is_directory(dir / "x.json"));
    CHECK(!fs::exists(dir / "quarantine"));
}

TEST_CASE("skip: a dangling symbolic link is skipped with one warning") {
    TempDir dir;
    fs::create_symlink(dir / "nowhere", dir / "link.json");
    TestContext ctx(options(dir));
    CHECK(read_with(ctx).empty());
    CHECK(count_lines(ctx.logger(), LogLevel::warning,
                      "skipping link.json: a dangling symbolic link (its target does not exist)") == 1);
}

TEST_CASE("skip: a socket is skipped with one warning") {
    TempDir dir;
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    const auto path = (dir / "s.json").string();
    REQUIRE(path.size() < sizeof addr.sun_path);
    std::copy(path.begin(), path.end(), addr.sun_path);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    TestContext ctx(options(dir));
    CHECK(read_with(ctx).empty());
    ::close(fd);
    CHECK(count_lines(ctx.logger(), LogLevel::warning, "skipping s.json: a socket, not a regular file") == 1);
}

TEST_CASE("skip: a symbolic link to a regular file is followed") {
    TempDir dir;
    TempDir elsewhere;
    write_text(elsewhere / "target.json", order(7));
    fs::create_symlink(elsewhere / "target.json", dir / "7.json");
    TestContext ctx(options(dir));
    CHECK(orders(read_with(ctx)) == std::vector<std::int64_t>{7});
    CHECK(count_lines(ctx.logger(), LogLevel::warning, "skipping") == 0);
}

TEST_CASE("skip: a daemon's later polls do not warn again about the same entry") {
    TempDir dir;
    REQUIRE(::mkfifo((dir / "2.json").c_str(), 0644) == 0);
    TestContext ctx(options(dir));  // one state store, as the pipeline's across its runs
    for (int poll = 0; poll < 3; ++poll)
        CHECK(read_with(ctx).empty());
    CHECK(count_lines(ctx.logger(), LogLevel::warning, "skipping 2.json") == 1);
    CHECK(count_lines(ctx.logger(), LogLevel::debug, "skipping 2.json") == 2);
    // Another entry under that name is warned about again.
    fs::remove(dir / "2.json");
    fs::create_directory(dir / "2.json");
    CHECK(read_with(ctx).empty());
    CHECK(count_lines(ctx.logger(), LogLevel::warning, "skipping 2.json: a directory") == 1);
}

TEST_CASE("source: a FIFO handed to RecordSource directly is refused after fstat, without blocking") {
    TempDir dir;
    REQUIRE(::mkfifo((dir / "p.json").c_str(), 0644) == 0);
    junction::files::RecordSource source(dir / "p.json", "p.json", junction::files::FileFormat::auto_detect, 0);
    junction::files::SourceItem item;
    REQUIRE(source.next(item));
    CHECK(item.error == "not a regular file: a FIFO (named pipe)");
    CHECK(item.whole_file);
}

TEST_CASE("limits: an NDJSON line over max_record_bytes is rejected unread, the next lines go on") {
    TempDir dir;
    const std::string big = R"({"orderNo": 2, "s": ")" + std::string(300000, 'x') + "\"}";
    write_text(dir / "a.ndjson", order(1) + "\n" + big + "\n" + order(3) + "\n");
    const auto records = read_folder(dir, R"({"max_record_bytes": 100000})");
    CHECK(orders(records) == std::vector<std::int64_t>{1, 3});
    const auto bad = errors(records);
    REQUIRE(bad.size() == 1);
    CHECK(bad[0]->meta.error == "a.ndjson line 2 is " + std::to_string(big.size()) +
                                    " bytes, over max_record_bytes (100000): skipped without reading it into memory");
    CHECK(bad[0]->meta.source == "a.ndjson#2");
    CHECK(bad[0]->payload.at("line").as_int64() == 2);
}

TEST_CASE("limits: a long line within the read-ahead is refused the same way (a small limit)") {
    TempDir dir;
    write_text(dir / "a.ndjson", order(1) + "\n" + R"({"orderNo": 2, "s": "0123456789"})" + "\n" + order(3));
    const auto records = read_folder(dir, R"({"max_record_bytes": 20})");
    CHECK(orders(records) == std::vector<std::int64_t>{1, 3});
    REQUIRE(errors(records).size() == 1);
    CHECK(errors(records)[0]->meta.error.starts_with("a.ndjson line 2 is 33 bytes, over max_record_bytes (20)"));
}

TEST_CASE("limits: an over-long first line of an auto-detected .json file is NDJSON when lines follow") {
    TempDir dir;
    const std::string big = R"({"orderNo": 1, "s": ")" + std::string(200000, 'x') + "\"}";
    write_text(dir / "a.json", big + "\n" + order(2) + "\n" + order(3) + "\n");
    const auto records = read_folder(dir, R"({"max_record_bytes": 65536})");
    CHECK(orders(records) == std::vector<std::int64_t>{2, 3});
    REQUIRE(errors(records).size() == 1);
    CHECK(errors(records)[0]->meta.error.starts_with("a.json line 1 is " + std::to_string(big.size()) + " bytes"));
}

TEST_CASE("limits: an array element over max_record_bytes is rejected unread, the next elements go on") {
    TempDir dir;
    const std::string big = R"({"orderNo": 2, "s": ")" + std::string(300000, 'x') + R"(", "t": "],}"})";
    write_text(dir / "a.json", "[" + order(1) + ",\n" + big + ",\n" + order(3) + "]");
    const auto records = read_folder(dir, R"({"max_record_bytes": 100000})");
    CHECK(orders(records) == std::vector<std::int64_t>{1, 3});
    const auto bad = errors(records);
    REQUIRE(bad.size() == 1);
    CHECK(bad[0]->meta.error == "a.json element 2 is " + std::to_string(big.size()) +
                                    " bytes, over max_record_bytes (100000): skipped without reading it into memory");
    CHECK(bad[0]->meta.source == "a.json#2");
}

TEST_CASE("limits: an object file over max_record_bytes is one error for the whole file") {
    TempDir dir;
    const std::string big = R"({"orderNo": 1, "s": ")" + std::string(5000, 'x') + "\"}";
    write_text(dir / "1.json", big);
    const auto records = read_folder(dir, R"({"max_record_bytes": 1000})");
    REQUIRE(records.size() == 1);
    CHECK(records[0].meta.error == "1.json (one record, the whole file) is " + std::to_string(big.size()) +
                                       " bytes, over max_record_bytes (1000): skipped without reading it into memory");
}

TEST_CASE("limits: a file over max_file_bytes is refused unread; 0 (the default) is no limit") {
    TempDir dir;
    write_text(dir / "a.ndjson", order(1) + "\n" + order(2) + "\n");
    const auto limited = read_folder(dir, R"({"max_file_bytes": 20})");
    REQUIRE(limited.size() == 1);
    CHECK(limited[0].meta.error == "a.ndjson is 30 bytes, over max_file_bytes (20): not read");
    CHECK(orders(read_folder(dir)) == std::vector<std::int64_t>{1, 2});
}

TEST_CASE("duplicate keys: an object file with a key twice is rejected naming the key") {
    TempDir dir;
    write_text(dir / "5.json", R"({"orderNo": 5, "summary": "a", "orderNo": 900})");
    const auto records = read_folder(dir);
    REQUIRE(records.size() == 1);
    CHECK(records[0].meta.error ==
          "5.json: duplicate key \"orderNo\": given twice in one object (refused rather than keeping the last)");
}

TEST_CASE("duplicate keys: an NDJSON line and an array element are rejected, the others go on") {
    TempDir dir;
    write_text(dir / "a.ndjson", order(1) + "\n" + R"({"orderNo": 2, "c": {"id": 1, "id": 2}})" + "\n" + order(3));
    write_text(dir / "b.json", "[" + order(4) + R"(, {"orderNo": 5, "l": [{"k": 1}, {"k": 1, "k": 2}]}, )" +
                                   order(6) + "]");
    const auto records = read_folder(dir);
    CHECK(orders(records) == std::vector<std::int64_t>{1, 3, 4, 6});
    const auto bad = errors(records);
    REQUIRE(bad.size() == 2);
    CHECK(bad[0]->meta.source == "a.ndjson#2");
    CHECK(bad[0]->meta.error.starts_with("a.ndjson line 2: duplicate key \"c.id\": given twice in one object"));
    CHECK(bad[1]->meta.source == "b.json#2");
    CHECK(bad[1]->meta.error.starts_with("b.json element 2: duplicate key \"l[1].k\": given twice in one object"));
}

TEST_CASE("duplicate keys: equal keys in different objects are not duplicates") {
    json::value v;
    std::string error;
    junction::files::JsonTextParser parser;
    CHECK(parser.parse(R"({"a": {"id": 1}, "b": {"id": 1}, "c": [{"id": 1}, {"id": 2}]})", v, error));
    CHECK(error.empty());
    CHECK(!parser.parse(R"({"a": 1, "b": 2, "a": 3})", v, error));
    CHECK(error.starts_with("duplicate key \"a\""));
    CHECK(junction::files::find_duplicate_key(R"({"x": [{"a": 1}], "y": {"z": {"q": 1, "q": 1}}})") == "y.z.q");
}

TEST_CASE("encoding: a UTF-8 byte order mark at the start of a file is accepted") {
    TempDir dir;
    write_text(dir / "1.json", "\xEF\xBB\xBF" + order(1));
    write_text(dir / "2.ndjson", "\xEF\xBB\xBF" + order(2) + "\n" + order(3) + "\n");
    const auto records = read_folder(dir);
    CHECK(orders(records) == std::vector<std::int64_t>{1, 2, 3});
}

TEST_CASE("encoding: invalid UTF-8, NUL bytes and 1e400 are error records") {
    TempDir dir;
    write_text(dir / "u.json", "{\"orderNo\": 1, \"s\": \"\xC3\x28\"}");
    write_text(dir / "z.json", std::string("{\"orderNo\": 2,\0 \"s\": 1}", 24));
    write_text(dir / "n.json", R"({"orderNo": 3, "amount": 1e400})");
    const auto records = read_folder(dir);
    REQUIRE(records.size() == 3);
    for (const auto& r : records) {
        CAPTURE(r.meta.source);
        CAPTURE(r.meta.error);
        CHECK(r.meta.error.starts_with("invalid JSON at line 1, column "));
    }
}
