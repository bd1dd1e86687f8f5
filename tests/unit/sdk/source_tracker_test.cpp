// SourceTracker: when a reader may let go of a source.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include <junction/sdk/source_tracker.hpp>
#include <junction/sdk/testing.hpp>

using namespace junction::sdk;
using junction::sdk::testing::AckBatch;

namespace {

Record record(std::string partition, std::string position = {}) {
    Record r;
    r.meta.partition = std::move(partition);
    r.meta.position = std::move(position);
    return r;
}

std::vector<std::string> names(const std::vector<ReleasableSource>& released) {
    std::vector<std::string> out;
    out.reserve(released.size());
    for (const auto& r : released)
        out.push_back(r.partition);
    return out;
}

}  // namespace

TEST_CASE("a partition is releasable once every record is acknowledged and its end was seen") {
    SourceTracker t;
    t.read("a.json", 3);
    CHECK_FALSE(t.end("a.json"));
    CHECK(t.acknowledge(AckBatch().written(record("a.json")).written(record("a.json"))).empty());
    const auto released = t.acknowledge(AckBatch().written(record("a.json")));
    REQUIRE(released.size() == 1);
    CHECK(released[0].partition == "a.json");
    CHECK(released[0].written == 3);
    CHECK(released[0].all_written());
    CHECK_FALSE(t.tracks("a.json"));
}

TEST_CASE("a partition whose records are all settled is releasable when its end is seen") {
    SourceTracker t;
    t.read("a");
    t.read("a");
    CHECK(t.acknowledge(AckBatch().written(record("a")).rejected(record("a"), "bad")).empty());
    const auto released = t.end("a");
    REQUIRE(released);
    CHECK(released->written == 1);
    CHECK(released->rejected == 1);
    CHECK_FALSE(released->all_written());
}

TEST_CASE("an empty source is releasable as soon as its end is seen") {
    SourceTracker t;
    const auto released = t.end("empty.ndjson");
    REQUIRE(released);
    CHECK(released->records() == 0);
    CHECK(released->all_written());
    CHECK(t.size() == 0);
}

TEST_CASE("released records settle a partition but flag its redeliveries") {
    SourceTracker t;
    t.read("q", 2);
    t.end("q");
    const auto released = t.acknowledge(AckBatch().written(record("q")).released(record("q"), "busy"));
    REQUIRE(released.size() == 1);
    CHECK(released[0].released == 1);
    CHECK(released[0].has_redeliveries());
    CHECK_FALSE(released[0].all_written());
}

TEST_CASE("outstanding counts the records read and not yet settled, per partition") {
    SourceTracker t;
    t.read("a", 5);
    t.read("b", 2);
    CHECK(t.outstanding("a") == 5);
    (void)t.acknowledge(AckBatch().written(record("a")).written(record("b")).written(record("a")));
    CHECK(t.outstanding("a") == 3);
    CHECK(t.outstanding("b") == 1);
    CHECK(t.outstanding("never read") == 0);
}

TEST_CASE("one acknowledgement releases every partition it completes, in the order it did") {
    SourceTracker t;
    t.read("a");
    t.read("b");
    t.read("c", 2);
    t.end("a");
    t.end("b");
    t.end("c");
    const auto released =
        t.acknowledge(AckBatch().written(record("c")).written(record("b")).written(record("a")).written(record("c")));
    CHECK(names(released) == std::vector<std::string>{"b", "a", "c"});
}

TEST_CASE("acknowledgements of a forgotten or never read partition are ignored") {
    SourceTracker t;
    t.read("a", 2);
    t.end("a");
    t.forget("a");
    CHECK_FALSE(t.tracks("a"));
    CHECK(t.acknowledge(AckBatch().written(record("a")).written(record("a")).written(record("x"))).empty());
    CHECK(t.outstanding("a") == 0);
    CHECK(t.size() == 0);
}

TEST_CASE("more acknowledgements than records read are ignored") {
    SourceTracker t;
    t.read("a");
    (void)t.acknowledge(AckBatch().written(record("a")).rejected(record("a"), "twice"));
    const auto released = t.end("a");
    REQUIRE(released);
    CHECK(released->written == 1);
    CHECK(released->rejected == 0);
}

TEST_CASE("a partition handed out is forgotten; the same name later starts afresh") {
    SourceTracker t;
    t.read("a");
    t.end("a");
    REQUIRE(t.acknowledge(AckBatch().written(record("a"))).size() == 1);
    t.read("a");
    CHECK(t.outstanding("a") == 1);
    CHECK_FALSE(t.end("a"));
    const auto released = t.acknowledge(AckBatch().rejected(record("a"), "bad"));
    REQUIRE(released.size() == 1);
    CHECK(released[0].written == 0);
    CHECK(released[0].rejected == 1);
}

TEST_CASE("records read but not ended keep a partition tracked, however many are settled") {
    SourceTracker t;
    t.read("tail.log", 2);
    CHECK(t.acknowledge(AckBatch().written(record("tail.log")).written(record("tail.log"))).empty());
    CHECK(t.tracks("tail.log"));
    CHECK(t.outstanding("tail.log") == 0);
}
