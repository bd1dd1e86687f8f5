// The SDK's Collection kind (2.3): cursors a plugin hands out and recognizes again, the
// export glue around a collection, and the harness's list_all().
#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
#include <vector>

#include <junction/sdk/sdk.hpp>
#include <junction/sdk/testing.hpp>

namespace {

using namespace junction::sdk;

// An in-memory collection of ids "a".."z" in pages, as an author might write one;
// `extra` items are added to every page to break the contract on purpose.
class Letters final : public Collection {
public:
    explicit Letters(std::size_t extra = 0) : extra_(extra) {}
    Status open(Context&) override { return Status::ok(); }
    Status list(const CollectionQuery& q, CollectionPage& out) override {
        char from = 'a';
        if (!q.after.empty()) {
            const auto key = decode_cursor("letters", q.after);
            if (!key || key->size() != 1) return Status::reject("after: not a cursor of letters");
            from = static_cast<char>((*key)[0] + 1);
        }
        for (char c = from; c <= 'z' && out.items.size() < q.limit + extra_; ++c)
            out.items.push_back({{"_id", std::string(1, c)}});
        if (!out.items.empty() && out.items.back().at("_id").as_string() != "z")
            out.next_after = encode_cursor("letters", out.items.back().at("_id").as_string());
        return Status::ok();
    }
    Status get(std::string_view id, std::optional<boost::json::object>& out) override {
        if (id == "boom") throw std::runtime_error("no such letter");
        out = boost::json::object{{"_id", std::string(id)}};
        return Status::ok();
    }

private:
    std::size_t extra_;
};

class LettersFactory final : public PluginFactory {
public:
    PluginInfo info() const override { return {.components = {{.kind = Kind::collection}}}; }
    std::unique_ptr<Component> create(Kind kind) override {
        if (kind == Kind::collection) return std::make_unique<Letters>();
        if (kind == Kind::writer) throw std::runtime_error("no writer");
        return nullptr;
    }
};

class BrokenFactory final : public PluginFactory {
public:
    PluginInfo info() const override { return {}; }
    std::unique_ptr<Component> create(Kind) override { throw std::runtime_error("disk full"); }
};

}  // namespace

TEST_CASE("a cursor decodes to its key under the scope it was made for, and to nothing otherwise") {
    for (const std::string& key : {std::string("o65f1a2b3c4d5e6f708192a3b"), std::string("s\x01\xff \"quoted\""),
                                  std::string(300, 'k'), std::string()}) {
        const auto cursor = encode_cursor("docstore:contacts", key);
        CHECK(decode_cursor("docstore:contacts", cursor) == key);
        CHECK_FALSE(decode_cursor("docstore:orders", cursor).has_value());
    }
    const auto good = encode_cursor("s", "abc");
    CHECK(good == "616263." + good.substr(7));
    std::string edited = good;
    edited[1] = '2';  // "abc" -> "bbc": the checksum no longer fits
    for (const std::string& bad : {std::string(), std::string("garbage"), edited, good.substr(0, good.size() - 1),
                                   good + "0", std::string("61626.") + good.substr(7),
                                   std::string("616263") + good.substr(6, 0), std::string("ZZ.00000000")}) {
        CAPTURE(bad);
        CHECK_FALSE(decode_cursor("s", bad).has_value());
    }
    std::string upper = good;
    for (auto& c : upper)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (upper != good) CHECK_FALSE(decode_cursor("s", upper).has_value());
}

TEST_CASE("the glue hands out a collection as a collection, and turns its exceptions into fatal") {
    std::string error;
    std::unique_ptr<PluginFactory> f(detail::make_factory<LettersFactory>("letters", "1.0.0", &error));
    REQUIRE(f != nullptr);
    CHECK(to_string(Kind::collection) == std::string("collection"));
    auto made = f->create(Kind::collection);
    REQUIRE(made != nullptr);
    REQUIRE(made->kind() == Kind::collection);
    auto& c = static_cast<Collection&>(*made);
    junction::sdk::testing::TestContext ctx;
    REQUIRE(c.open(ctx).is_ok());
    std::optional<boost::json::object> out;
    REQUIRE(c.get("q", out).is_ok());
    CHECK(out->at("_id").as_string() == "q");
    const auto st = c.get("boom", out);
    CHECK(st.code() == Code::fatal);
    CHECK(st.message() == "plugin letters threw in get: no such letter");
    CHECK(f->create(Kind::reader) == nullptr);

    std::unique_ptr<PluginFactory> broken(detail::make_factory<BrokenFactory>("broken", "1.0.0", &error));
    auto failed = broken->create(Kind::collection);
    REQUIRE(failed != nullptr);
    CHECK(failed->kind() == Kind::collection);
    CollectionPage page;
    const auto why = static_cast<Collection&>(*failed).list({}, page);
    CHECK(why.code() == Code::fatal);
    CHECK(why.message() == "plugin broken failed to create its collection: disk full");
}

TEST_CASE("list_all follows the pages to the last one, and refuses a page larger than asked") {
    Letters letters;
    const auto walk = junction::sdk::testing::list_all(letters, {.after = "ignored", .limit = 5});
    CHECK(walk.pages == 6);
    REQUIRE(walk.items.size() == 26);
    CHECK(walk.items.front().at("_id").as_string() == "a");
    CHECK(walk.items.back().at("_id").as_string() == "z");

    Letters greedy(1);
    CHECK_THROWS_WITH(junction::sdk::testing::list_all(greedy, {.limit = 5}),
                      "list() returned 6 items, asked for at most 5");
    CollectionPage page;
    CHECK(letters.list({.after = "nonsense", .limit = 5}, page).code() == Code::reject);
}
