#include <doctest/doctest.h>

#include <boost/json.hpp>

#include "test_context.hpp"
#include "tracos_translator.hpp"

namespace json = boost::json;
using junction::sdk::Code;
using junction::sdk::Record;
using junction::test::TestContext;
using junction::tracos::TracosTranslator;

TEST_CASE("translator: to_tracos rewrites the payload and sets the key") {
    TestContext ctx(junction::tracos::translator_options(), {{"direction", "to_tracos"}});
    TracosTranslator t;
    REQUIRE(t.open(ctx).is_ok());
    Record r;
    r.payload = json::parse(R"({"orderNo": 41, "isDone": true, "creationDate": "2024-03-01T12:00:00Z"})").as_object();
    REQUIRE(t.translate(r).is_ok());
    CHECK(r.meta.key == "41");
    CHECK(r.payload.at("status").as_string() == "completed");
}

TEST_CASE("translator: to_customer rejects an unknown status with the reason") {
    TestContext ctx(junction::tracos::translator_options(), {{"direction", "to_customer"}});
    TracosTranslator t;
    REQUIRE(t.open(ctx).is_ok());
    Record r;
    r.payload = json::parse(R"({"number": 1, "status": "lost", "createdAt": "2024-03-01T12:00:00Z"})").as_object();
    const auto s = t.translate(r);
    CHECK(s.code() == Code::reject);
    CHECK(s.message() == R"(status: unknown value "lost")");
}
