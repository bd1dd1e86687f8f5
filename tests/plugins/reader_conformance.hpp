// One reader vocabulary, two stores: the docstore (SQLite) and mongodb readers take the
// same options with the same meaning, and this one test body holds both to it. Each
// plugin's conformance_test.cpp defines a Backend and instantiates every case with
// JUNCTION_READER_CONFORMANCE(Backend). A Backend provides:
//   static constexpr const char* name;  (named in every failure)
//   sdk::OptionSchema reader_schema() const;  sdk::OptionSchema writer_schema() const;
//   sdk::Status check_reader(const sdk::Options&) const;  (the factory's check_options)
//   sdk::Status check_writer(const sdk::Options&) const;
//   boost::json::object store_options() const;  (the options naming its store and collection)
//   void insert(const boost::json::object& document);  (stored as it is, _id included)
//   std::unique_ptr<sdk::Reader> reader() const;
// The vocabulary: filter, ack_set, reject_set, key_field (a dotted path), sort (then _id);
// "$now" and "$reason" are replaced wherever they are a whole string value inside
// ack_set/reject_set, at any depth (nested objects and arrays); $now is the context
// clock's time (a BSON date in MongoDB, ISO 8601 text in the docstore: both read back
// as "2024-01-01T00:00:00.000Z"); with ack_set every run reads what the filter matches
// now, without it a run sorted by _id resumes after the committed position.
#pragma once

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <junction/sdk/testing.hpp>

namespace junction::test::conformance {

namespace json = boost::json;

inline json::object object_of(std::string_view text) {
    return json::parse(text).as_object();
}

// The backend's store options with `extra` on top.
template <class Backend>
json::object options(const Backend& backend, std::string_view extra = "{}") {
    auto out = backend.store_options();
    for (const auto& [k, v] : object_of(extra))
        out[k] = v;
    return out;
}

// A reader opened on these options (validated and checked as the host does).
template <class Backend>
struct OpenReader {
    OpenReader(const Backend& backend, std::string_view extra, std::optional<std::string> committed = std::nullopt)
        : context(backend.reader_schema(), options(backend, extra)), reader(backend.reader()) {
        const auto checked = backend.check_reader(context.options());
        REQUIRE_MESSAGE(checked.is_ok(), checked.message());
        if (committed) context.set_committed_position(*committed);
        const auto opened = reader->open(context);
        REQUIRE_MESSAGE(opened.is_ok(), opened.message());
    }
    ~OpenReader() { (void)reader->close(); }
    OpenReader(const OpenReader&) = delete;
    OpenReader& operator=(const OpenReader&) = delete;

    // Everything there is, in pages of `page` records, acknowledged or not.
    std::vector<sdk::Record> read_all(std::size_t page = 2) {
        return sdk::testing::read_all(*reader, context, page, sdk::testing::Acknowledge::none);
    }

    sdk::testing::TestContext context;
    std::unique_ptr<sdk::Reader> reader;
};

// Every document stored, as a reader without filter reads it (in _id order).
template <class Backend>
std::vector<json::object> stored(const Backend& backend) {
    OpenReader<Backend> all(backend, "{}");
    std::vector<json::object> out;
    for (auto& r : all.read_all(100))
        out.push_back(std::move(r.payload));
    return out;
}

inline void seed(auto& backend) {
    for (const char* doc : {
             R"({"_id": "d1", "kind": "order", "rank": 2, "ref": {"no": "A-7"}, "total": 0.25, "tags": ["x"]})",
             R"({"_id": "d2", "kind": "note", "rank": 1, "ref": {"no": 8}})",
             R"({"_id": "d3", "kind": "order", "rank": 1, "ref": {"no": 9}, "isSynced": false})",
             R"({"_id": "d4", "kind": "order", "rank": 2, "nested": {"a": {"b": null}}})",
             R"({"_id": "d5", "kind": "order", "rank": 0, "ref": {"no": 1000.5}, "isSynced": true})",
         })
        backend.insert(object_of(doc));
}

inline std::vector<std::string> ids(const std::vector<sdk::Record>& records) {
    std::vector<std::string> out;
    for (const auto& r : records)
        out.emplace_back(r.payload.at("_id").as_string());
    return out;
}

// The refusal check_options gives these options ("" when it accepts them), after the
// schema accepted them.
template <class Backend>
std::string reader_refusal(const Backend& backend, std::string_view extra) {
    const sdk::testing::TestContext ctx(backend.reader_schema(), options(backend, extra));
    return backend.check_reader(ctx.options()).message();
}
template <class Backend>
std::string writer_refusal(const Backend& backend, std::string_view extra) {
    const sdk::testing::TestContext ctx(backend.writer_schema(), options(backend, extra));
    return backend.check_writer(ctx.options()).message();
}

inline const sdk::OptionSpec& spec(const sdk::OptionSchema& schema, std::string_view name) {
    for (const auto& s : schema)
        if (s.name == name) return s;
    FAIL("no option " << name);
    throw std::logic_error("unreachable");
}

}  // namespace junction::test::conformance

TEST_CASE_TEMPLATE_DEFINE("reader conformance: the shared options have the same types, defaults and bounds", Backend,
                          conformance_schema) {
    using namespace junction;
    using junction::sdk::OptionType;
    const Backend backend;
    INFO("backend: " << Backend::name);
    const auto reader = backend.reader_schema();
    for (const char* name : {"filter", "ack_set", "reject_set"}) {
        CAPTURE(name);
        const auto& s = test::conformance::spec(reader, name);
        CHECK(s.type == (std::string_view(name) == "filter" ? OptionType::object : OptionType::map));
        CHECK(s.default_value == boost::json::object{});
        CHECK_FALSE(s.required);
    }
    for (const char* name : {"key_field", "sort"}) {
        CAPTURE(name);
        const auto& s = test::conformance::spec(reader, name);
        CHECK(s.type == OptionType::string);
        CHECK(s.default_value == "_id");
        CHECK(s.min == 1);
    }
    const auto writer = backend.writer_schema();
    const auto& upsert_key = test::conformance::spec(writer, "upsert_key");
    CHECK(upsert_key.type == OptionType::string_list);
    CHECK(upsert_key.required);
    CHECK(upsert_key.min == 1);
}

TEST_CASE_TEMPLATE_DEFINE("reader conformance: the same documents and options give the same records, in order", Backend,
                          conformance_records) {
    using namespace junction::test::conformance;
    Backend backend;
    INFO("backend: " << Backend::name);
    seed(backend);

    OpenReader<Backend> by_id(backend, R"({"filter": {"kind": "order"}, "key_field": "ref.no"})");
    const auto records = by_id.read_all(2);
    CHECK(ids(records) == std::vector<std::string>{"d1", "d3", "d4", "d5"});
    std::vector<std::string> keys;
    for (const auto& r : records)
        keys.push_back(r.meta.key);
    CHECK(keys == std::vector<std::string>{"A-7", "9", "", "1000.5"});  // dotted, any type, absent: ""
    CHECK(
        records[0].payload ==
        object_of(R"({"_id": "d1", "kind": "order", "rank": 2, "ref": {"no": "A-7"}, "total": 0.25, "tags": ["x"]})"));
    CHECK(records[2].payload ==
          object_of(R"({"_id": "d4", "kind": "order", "rank": 2, "nested": {"a": {"b": null}}})"));
    for (const auto& r : records) {
        CHECK_FALSE(r.meta.position.empty());
        CHECK(r.meta.received_at == by_id.context.clock().now());
    }

    OpenReader<Backend> by_rank(backend, R"({"sort": "rank", "key_field": "_id", "filter": {"rank": {"$gte": 1}}})");
    const auto ranked = by_rank.read_all(1);
    CHECK(ids(ranked) == std::vector<std::string>{"d2", "d3", "d1", "d4"});  // ties by _id
    CHECK(ranked[0].meta.key == "d2");
}

TEST_CASE_TEMPLATE_DEFINE("reader conformance: acknowledgements mark documents alike, $now and $reason at any depth",
                          Backend, conformance_marks) {
    using namespace junction::test::conformance;
    using junction::sdk::testing::AckBatch;
    Backend backend;
    INFO("backend: " << Backend::name);
    seed(backend);
    const char* queue = R"({"filter": {"kind": "order", "isSynced": {"$ne": true}},
        "ack_set": {"isSynced": true, "sync.at": "$now", "sync.log": ["$now", {"by": "$reason"}]},
        "reject_set": {"syncError": "$reason", "failure": {"at": "$now", "why": ["$reason", "$now!"]}}})";
    {
        OpenReader<Backend> run(backend, queue);
        const auto records = run.read_all(10);
        REQUIRE(ids(records) == std::vector<std::string>{"d1", "d3", "d4"});
        AckBatch acks;
        acks.written(records[0]).rejected(records[1], "status: unknown value \"lost\"").commit_positions();
        REQUIRE(run.reader->acknowledge(acks).is_ok());  // d4 not yet settled: left alone
    }
    const auto docs = stored(backend);
    REQUIRE(docs.size() == 5);
    CHECK(docs[0] == object_of(R"({"_id": "d1", "kind": "order", "rank": 2, "ref": {"no": "A-7"}, "total": 0.25,
        "tags": ["x"], "isSynced": true,
        "sync": {"at": "2024-01-01T00:00:00.000Z", "log": ["2024-01-01T00:00:00.000Z", {"by": ""}]}})"));
    CHECK(docs[2] == object_of(R"({"_id": "d3", "kind": "order", "rank": 1, "ref": {"no": 9}, "isSynced": false,
        "syncError": "status: unknown value \"lost\"",
        "failure": {"at": "2024-01-01T00:00:00.000Z", "why": ["status: unknown value \"lost\"", "$now!"]}})"));
    CHECK(docs[3] == object_of(R"({"_id": "d4", "kind": "order", "rank": 2, "nested": {"a": {"b": null}}})"));

    // The filter is the queue: the next run reads what it matches now, the rejected d3
    // again (its marks do not take it out), the unsettled d4 again.
    OpenReader<Backend> next(backend, queue);
    CHECK(ids(next.read_all()) == std::vector<std::string>{"d3", "d4"});
}

TEST_CASE_TEMPLATE_DEFINE("reader conformance: without ack_set a run resumes after the committed position", Backend,
                          conformance_resume) {
    using namespace junction::test::conformance;
    Backend backend;
    INFO("backend: " << Backend::name);
    seed(backend);
    std::string position;
    {
        OpenReader<Backend> first(backend, "{}");
        junction::sdk::Batch batch;
        bool end = false;
        REQUIRE(first.reader->read(batch, 3, end).is_ok());
        REQUIRE(ids(batch) == std::vector<std::string>{"d1", "d2", "d3"});
        position = batch.back().meta.position;
    }
    OpenReader<Backend> resumed(backend, "{}", position);
    CHECK(ids(resumed.read_all()) == std::vector<std::string>{"d4", "d5"});
    // With ack_set the filter is the queue: a run starts over whatever was committed.
    OpenReader<Backend> queue(backend, R"({"ack_set": {"seen": true}})", position);
    CHECK(ids(queue.read_all()) == std::vector<std::string>{"d1", "d2", "d3", "d4", "d5"});
}

TEST_CASE_TEMPLATE_DEFINE("reader conformance: the same options are refused with the same words", Backend,
                          conformance_refusals) {
    using namespace junction::test::conformance;
    using junction::sdk::testing::option_errors;
    using Lines = std::vector<std::string>;
    const Backend backend;
    INFO("backend: " << Backend::name);
    // By the schema.
    CHECK(option_errors(backend.reader_schema(), options(backend, R"({"key_field": ""})")) ==
          Lines{"options.key_field: must have at least 1 character, got 0"});
    CHECK(option_errors(backend.reader_schema(), options(backend, R"({"sort": ""})")) ==
          Lines{"options.sort: must have at least 1 character, got 0"});
    CHECK(option_errors(backend.reader_schema(), options(backend, R"({"ack_set": [1]})")) ==
          Lines{"options.ack_set: expected an object, got array"});
    CHECK(option_errors(backend.writer_schema(), options(backend, R"({"upsert_key": []})")) ==
          Lines{"options.upsert_key: must have at least 1 element, got 0"});
    // By check_options, which `junction validate` and the engine call before open().
    CHECK(writer_refusal(backend, R"({"upsert_key": [""]})") ==
          R"(upsert_key[0]: "" is not a field path: it is empty)");
    CHECK(writer_refusal(backend, R"({"upsert_key": ["number", "a..b"]})") ==
          R"(upsert_key[1]: "a..b" is not a field path: it has an empty segment)");
    CHECK(
        writer_refusal(backend, R"({"upsert_key": ["_id"]})") ==
        R"(upsert_key[0]: _id cannot be an upsert key: the store gives each document its own; name the business key, e.g. ["number"])");
    CHECK(writer_refusal(backend, R"({"upsert_key": ["number", "customer.id"]})").empty());
    CHECK(reader_refusal(backend, R"({"key_field": "a..b"})") ==
          R"(key_field: "a..b" is not a field path: it has an empty segment)");
    CHECK(reader_refusal(backend, R"({"sort": ".rank"})") ==
          R"(sort: ".rank" is not a field path: it has an empty segment)");
    CHECK(reader_refusal(backend, R"({"key_field": "number", "ack_set": {"isSynced": true, "number": "$reason"}})") ==
          R"(ack_set: "number" would overwrite the key field "number" (key_field))");
    CHECK(reader_refusal(backend, R"({"key_field": "ref.no", "reject_set": {"ref": "$reason"}})") ==
          R"(reject_set: "ref" would overwrite the key field "ref.no" (key_field))");
    CHECK(reader_refusal(backend, R"({"key_field": "ref", "ack_set": {"ref.no": 1}})") ==
          R"(ack_set: "ref.no" would overwrite the key field "ref" (key_field))");
    CHECK(reader_refusal(backend, R"({"ack_set": {"_id": "x"}})") ==
          R"(ack_set: "_id" would overwrite the document's _id)");
    CHECK(reader_refusal(backend, R"({"key_field": "n", "reject_set": {"_id.x": 1}})") ==
          R"(reject_set: "_id.x" would overwrite the document's _id)");
    CHECK(reader_refusal(backend, R"({"reject_set": {"a..b": "$reason"}})") ==
          R"(reject_set: "a..b" is not a field path: it has an empty segment)");
    CHECK(reader_refusal(backend, R"({"ack_set": {"": true}})") == R"(ack_set: "" is not a field path: it is empty)");
    CHECK(
        reader_refusal(backend, R"({"key_field": "number", "ack_set": {"numbers": 1, "number_at": "$now"}})").empty());
    // A filter the store cannot run: the words are the store's own, the option is the same.
    CHECK(reader_refusal(backend, R"({"filter": {"_id": {"$oid": "not hex"}}})").rfind("filter: ", 0) == 0);
}

// Every case above, for one backend.
#define JUNCTION_READER_CONFORMANCE(Backend)                 \
    TEST_CASE_TEMPLATE_INVOKE(conformance_schema, Backend);  \
    TEST_CASE_TEMPLATE_INVOKE(conformance_records, Backend); \
    TEST_CASE_TEMPLATE_INVOKE(conformance_marks, Backend);   \
    TEST_CASE_TEMPLATE_INVOKE(conformance_resume, Backend);  \
    TEST_CASE_TEMPLATE_INVOKE(conformance_refusals, Backend)
