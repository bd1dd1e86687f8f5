// Pure parts of the files plugin: name filters, file name templates, positions.
#include <doctest/doctest.h>

#include <boost/json.hpp>

#include "file_name_template.hpp"
#include "file_ops.hpp"
#include "files_config.hpp"
#include "name_filter.hpp"
#include "reader.hpp"

namespace json = boost::json;
using namespace junction::files;

TEST_CASE("glob: * and ? match the whole name") {
    CHECK(glob_match("*.json", "a.json"));
    CHECK_FALSE(glob_match("*.json", "a.json.bak"));
    CHECK(glob_match("order-?.json", "order-1.json"));
    CHECK_FALSE(glob_match("order-?.json", "order-12.json"));
    CHECK(glob_match("*", ""));
    CHECK(glob_match("a*b*c", "axxbyyc"));
    CHECK_FALSE(glob_match("a*b*c", "axxbyy"));
}

TEST_CASE("ignored names: hidden, .tmp and .part") {
    CHECK(is_ignored_name(".x.json"));
    CHECK(is_ignored_name("x.json.tmp"));
    CHECK(is_ignored_name("x.part"));
    CHECK_FALSE(is_ignored_name("x.json"));
}

TEST_CASE("template: literals, fields and escaped braces") {
    FileNameTemplate t;
    REQUIRE(t.parse("wo-{{{orderNo}}}.json").empty());
    std::string name, error;
    REQUIRE(t.render(json::object{{"orderNo", 7}}, name, error));
    CHECK(name == "wo-{7}.json");
}

TEST_CASE("template: malformed templates are refused with the reason") {
    FileNameTemplate t;
    CHECK(t.parse("{orderNo.json") == "unclosed '{' in \"{orderNo.json\"");
    CHECK(t.parse("{}.json") == "empty placeholder {} in \"{}.json\"");
    CHECK(t.parse("a/{x}.json").find("no '/' or '..'") != std::string::npos);
    CHECK(t.parse("{a..b}.json") == "placeholder {a..b} is not a field path: it has an empty segment");
}

TEST_CASE("template: a value that would make a hidden file is prefixed") {
    FileNameTemplate t;
    REQUIRE(t.parse("{id}").empty());
    std::string name, error;
    REQUIRE(t.render(json::object{{"id", ".secret"}}, name, error));
    CHECK(name == "_.secret");
}

TEST_CASE("sanitize: separators, control characters and .. are replaced") {
    CHECK(sanitize_name_part("../x") == "__x");
    CHECK(sanitize_name_part("a\\b\nc") == "a_b_c");
    CHECK(sanitize_name_part("v1.2") == "v1.2");
}

TEST_CASE("position: the file's inode, a fingerprint of its first bytes, and a byte offset") {
    FileIdentity file{.inode = 77, .head = "{\"n\": 1}\n{\"n\": 2}\n"};
    std::uint64_t inode = 0, fingerprint = 0, offset = 0;
    REQUIRE(parse_position(make_position(file, 9), inode, fingerprint, offset));
    CHECK(inode == 77);
    CHECK(fingerprint == file.fingerprint(9));
    CHECK(offset == 9);
    CHECK(file.fingerprint(9) != file.fingerprint(18));                       // the prefix up to the offset
    CHECK(file.fingerprint(5000) == file.fingerprint(file.head.size()));      // at most the head
    CHECK_FALSE(parse_position("a.json:120", inode, fingerprint, offset));  // a pre-2.0 position
    CHECK_FALSE(parse_position("12:ab", inode, fingerprint, offset));
    CHECK_FALSE(parse_position("12:zz:3", inode, fingerprint, offset));
    CHECK_FALSE(parse_position("12:ab:1x", inode, fingerprint, offset));
}

TEST_CASE("numbered names keep the extension") {
    CHECK(numbered_name("12.json", 3) == "12-3.json");
    CHECK(numbered_name("noext", 1) == "noext-1");
    CHECK(numbered_name(".hidden", 1) == ".hidden-1");
}

TEST_CASE("schemas: every option is declared with a description") {
    for (const auto& schema : {reader_options(), writer_options()})
        for (const auto& o : schema) {
            CAPTURE(o.name);
            CHECK_FALSE(o.description.empty());
        }
    CHECK(reader_options().size() == 9);
    CHECK(writer_options().size() == 6);
}
