#include <string>

#include <doctest/doctest.h>
#include <junction/sdk/testing.hpp>

#include "csvdir_config.hpp"

namespace json = boost::json;
namespace testing = junction::sdk::testing;

namespace {

// The host's messages for these options, one a line ("" when they are valid).
std::string errors(const junction::sdk::OptionSchema& schema, const json::object& options) {
    std::string out;
    for (const auto& line : testing::option_errors(schema, options))
        out += (out.empty() ? "" : "\n") + line;
    return out;
}

}  // namespace

TEST_CASE("the reader's defaults come from its schema alone") {
    const testing::TestContext ctx(csvdir::reader_options(), {{"dir", "in"}}, "/data");
    const auto config = csvdir::reader_config(ctx.options());
    CHECK(config.dir == "/data/in");
    CHECK(config.extension == ".csv");
    CHECK(config.separator == ',');
    CHECK_FALSE(config.delete_after);
    CHECK(config.done_dir == "/data/in/done");
}

TEST_CASE("empty and invalid reader options are refused with the host's messages") {
    CHECK(errors(csvdir::reader_options(), {}) ==
          "options.dir: required option missing (path: the folder whose files are read (relative: to the config "
          "file's folder))");
    CHECK(errors(csvdir::reader_options(), {{"dir", "in"}, {"separator", ";;"}, {"after", "keep"}, {"colour", 1}}) ==
          "options.colour: unknown option; valid options: dir, extension, separator, after, done_dir\n"
          "options.separator: must have exactly 1 character, got 2\n"
          "options.after: \"keep\" is not one of: move, delete");
}

TEST_CASE("check_options refuses done_dir with after: delete, and done_dir = dir") {
    const auto checked = [](const json::object& options) {
        const testing::TestContext ctx(csvdir::reader_options(), options, "/data");
        return csvdir::check_reader_options(ctx.options());
    };
    CHECK(checked({{"dir", "in"}}).is_ok());
    CHECK(checked({{"dir", "in"}, {"after", "delete"}, {"done_dir", "old"}}).message() ==
          "done_dir: only used with after: move, and after is delete");
    CHECK(checked({{"dir", "in"}, {"done_dir", "in/"}}).message() == "done_dir: must not be dir itself");
}

TEST_CASE("the translator needs at least one field") {
    CHECK(errors(csvdir::translator_options(), {}) ==
          "options.fields: required option missing (list of strings: the top-level fields to upper-case (ASCII "
          "letters))");
    CHECK(errors(csvdir::translator_options(), {{"fields", json::array{}}}) ==
          "options.fields: must have at least 1 element, got 0");
}
