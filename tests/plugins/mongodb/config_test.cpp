// Option schema and typed configs: refusals a schema cannot express, with their message.
#include <doctest/doctest.h>

#include "mongodb_config.hpp"
#include "test_context.hpp"

using namespace junction;

namespace {
const sdk::OptionSpec* find(const sdk::OptionSchema& schema, const std::string& name) {
    for (const auto& s : schema)
        if (s.name == name) return &s;
    return nullptr;
}
}  // namespace

TEST_CASE("the uri option is required and secret; upsert_key is required for the writer only") {
    const auto w = mongodb::writer_options();
    const auto r = mongodb::reader_options();
    REQUIRE(find(w, "uri") != nullptr);
    CHECK(find(w, "uri")->secret);
    CHECK(find(w, "uri")->required);
    CHECK(find(w, "upsert_key")->required);
    CHECK(find(r, "upsert_key") == nullptr);
    CHECK(find(r, "filter")->default_value.is_object());
    CHECK(find(r, "key_field")->default_value == "_id");
    CHECK(find(r, "timeout_ms")->default_value == 5000);
}

TEST_CASE("a writer config with an empty upsert_key is refused with a fix") {
    test::TestContext ctx(
        mongodb::writer_options(),
        {{"uri", "mongodb://x"}, {"database", "d"}, {"collection", "c"}, {"upsert_key", boost::json::array{}}});
    mongodb::WriterConfig config;
    const auto s = mongodb::parse_writer_config(ctx.options(), config);
    CHECK(s.code() == sdk::Code::fatal);
    CHECK(s.message() == "mongodb: option 'upsert_key' needs at least one field, e.g. [\"number\"]");
}

TEST_CASE("a reader config gets its defaults") {
    test::TestContext ctx(mongodb::reader_options(), {{"uri", "mongodb://x"}, {"database", "d"}, {"collection", "c"}});
    mongodb::ReaderConfig config;
    REQUIRE(mongodb::parse_reader_config(ctx.options(), config).is_ok());
    CHECK(config.timeout.count() == 5000);
    CHECK(config.sort == "_id");
    CHECK(config.filter.empty());
    CHECK(config.date_fields.empty());
}
