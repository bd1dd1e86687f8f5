// A served collection in the core: resolve_component finds the plugin's Collection and
// checks its options as for a pipeline stage (one line a problem, with its config path),
// OpenedCollection opens it and caps the page size. Uses the bundled docstore plugin.
#include <junction/core/collection.hpp>
#include <junction/sdk/testing.hpp>

#include "engine_fixture.hpp"

using namespace junction;
using namespace junction::test;
namespace json = boost::json;

namespace {

struct CollectionFixture {
    TempDir dir;
    core::PluginRegistry registry;
    core::Config config;

    CollectionFixture() {
        registry.load_file(std::filesystem::path(JUNCTION_PLUGIN_DIR) / "libjunction_docstore.so");
        registry.load_directories({std::filesystem::path(JUNCTION_TEST_PLUGIN_DIR) / "testkit"});
        REQUIRE_MESSAGE(registry.find("docstore") != nullptr, "the bundled docstore plugin must load");
        REQUIRE(registry.find("testkit") != nullptr);
        config.base_dir = dir.path();
    }

    // The problems of resolving {plugin, options} as http.collections[0], one line each.
    std::vector<std::string> problems(const std::string& plugin, json::object options) const {
        const core::StageConfig sc{.plugin = plugin, .options = std::move(options), .path = "http.collections[0]"};
        core::ResolvedStage out;
        std::vector<core::ConfigError> errors;
        const bool ok = core::resolve_component(sc, sdk::Kind::collection, registry, config, out, errors);
        CHECK(ok == errors.empty());
        std::vector<std::string> lines;
        for (const auto& e : errors)
            lines.push_back(e.line());
        return lines;
    }
};

// Documents numbered 1..n in the docstore file, through its writer (a pipeline's stage).
void seed(const CollectionFixture& f, const std::filesystem::path& db, int n) {
    core::StageConfig sc{
        .plugin = "docstore",
        .options = {{"path", db.string()}, {"collection", "contacts"}, {"upsert_key", json::array{"number"}}},
        .path = "pipelines[0].writer"};
    core::ResolvedStage stage;
    std::vector<core::ConfigError> errors;
    REQUIRE(core::resolve_component(sc, sdk::Kind::writer, f.registry, f.config, stage, errors));
    auto writer = stage.plugin->create_writer();
    sdk::testing::TestContext ctx(stage.component->options, sc.options, f.dir.path().string());
    REQUIRE(writer->open(ctx).is_ok());
    sdk::Batch batch;
    for (int i = 1; i <= n; ++i) {
        sdk::Record r;
        r.payload = {{"number", i}, {"email", "c" + std::to_string(i) + "@example.com"}};
        batch.push_back(std::move(r));
    }
    std::vector<sdk::Rejection> rejected;
    REQUIRE(writer->write(batch, rejected).is_ok());
    REQUIRE(writer->flush().is_ok());
    REQUIRE(writer->close().is_ok());
}

}  // namespace

TEST_CASE("resolving a collection: an unknown plugin is one line naming the plugins that serve collections") {
    CollectionFixture f;
    CHECK(f.problems("nope", {}) ==
          std::vector<std::string>{"http.collections[0].plugin: no plugin named \"nope\" is loaded; collections "
                                   "available: docstore (see `junction plugins list` and --plugin-dir)"});
}

TEST_CASE("resolving a collection: a plugin without the collection kind is one line") {
    CollectionFixture f;
    CHECK(f.problems("testkit", {}) ==
          std::vector<std::string>{"http.collections[0].plugin: plugin \"testkit\" provides no collection"});
}

TEST_CASE("resolving a collection: bad options are one line each, under their config path") {
    CollectionFixture f;
    const auto missing = f.problems("docstore", {{"path", "c.db"}});
    REQUIRE(missing.size() == 1);
    CHECK(missing[0].starts_with("http.collections[0].options.collection: required option missing (string: "));
    CHECK(f.problems("docstore", {{"collection", "contacts"}, {"filter", json::object{}}}) ==
          std::vector<std::string>{"http.collections[0].options.filter: unknown option; valid options: path, "
                                   "collection"});
    CHECK(f.problems("docstore", {{"collection", "no spaces"}}).size() == 1);
    // the plugin's own check (check_options), placed under the option it names
    write_file(f.dir / "notes.txt", std::string(64, 'x'));
    CHECK(f.problems("docstore", {{"path", "notes.txt"}, {"collection", "contacts"}}) ==
          std::vector<std::string>{"http.collections[0].options.path: " + (f.dir / "notes.txt").string() +
                                   " is not an SQLite database"});
    CHECK(f.problems("docstore", {{"path", "contacts.db"}, {"collection", "contacts"}}).empty());
}

TEST_CASE("an opened collection serves pages with the limit capped, get, and rejects a foreign cursor") {
    CollectionFixture f;
    const auto db = f.dir / "contacts.db";
    seed(f, db, 7);
    const core::StageConfig sc{.plugin = "docstore",
                               .options = {{"path", "contacts.db"}, {"collection", "contacts"}},
                               .path = "http.collections[0]"};
    core::ResolvedStage stage;
    std::vector<core::ConfigError> errors;
    REQUIRE(core::resolve_component(sc, sdk::Kind::collection, f.registry, f.config, stage, errors));
    auto store = core::StateStore::open(f.dir / "state.db");
    core::HostServices services;
    sdk::Status st;
    auto contacts = core::OpenedCollection::open(stage, {.name = "contacts", .max_limit = 3}, *store, services, {}, st);
    REQUIRE_MESSAGE(contacts != nullptr, st.message());
    CHECK(contacts->name() == "contacts");
    CHECK(contacts->plugin() == "docstore");

    sdk::CollectionPage page;
    REQUIRE(contacts->list({.limit = 100}, page).is_ok());
    CHECK(page.items.size() == 3);  // capped at max_limit
    CHECK_FALSE(page.next_after.empty());
    sdk::CollectionPage one;
    REQUIRE(contacts->list({.limit = 0}, one).is_ok());
    CHECK(one.items.size() == 1);  // raised to 1
    sdk::CollectionPage email;
    REQUIRE(contacts->list({.equals = {{"email", "c5@example.com"}}}, email).is_ok());
    REQUIRE(email.items.size() == 1);
    CHECK(email.items[0].at("number").to_number<int>() == 5);

    std::optional<json::object> doc;
    REQUIRE(contacts->get(email.items[0].at("_id").as_string(), doc).is_ok());
    REQUIRE(doc.has_value());
    CHECK(doc->at("email").as_string() == "c5@example.com");

    sdk::CollectionPage bad;
    const auto rejected = contacts->list({.after = "nonsense", .limit = 2}, bad);
    CHECK(rejected.code() == sdk::Code::reject);
    CHECK(rejected.message().find("after: \"nonsense\" is not a cursor of collection contacts") == 0);
}

TEST_CASE("plugins describe docstore shows its collection and the collection's options") {
    const auto r =
        run(sh_quote(JUNCTION_BIN) + " --plugin-dir " + sh_quote(JUNCTION_PLUGIN_DIR) + " plugins describe docstore");
    CHECK(r.exit_code == 0);
    const auto at = r.out.find("\ncollection: ");
    REQUIRE_MESSAGE(at != std::string::npos, r.out);
    const auto section = r.out.substr(at);
    CHECK(section.find("\n    path  (path") != std::string::npos);
    CHECK(section.find("\n    collection  (string, required") != std::string::npos);
    CHECK(section.find("upsert_key") == std::string::npos);
}
