// The plugin loader against real libraries built in tests/fixtures/plugins: what it
// accepts, what it refuses and with which line, and that loading goes on.
#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdlib>
#include <string>

#include <junction/core/plugin_registry.hpp>

#include "test_context.hpp"

namespace fs = std::filesystem;
using namespace junction;
using core::PluginRegistry;

namespace {

fs::path case_dir(const char* name) {
    return fs::path(JUNCTION_TEST_PLUGIN_DIR) / name;
}

bool contains(const std::string& text, std::string_view part) {
    return text.find(part) != std::string::npos;
}

using junction::test::TestContext;

const core::LoadProblem& only_problem(const PluginRegistry& r) {
    REQUIRE(r.problems().size() == 1);
    const auto& p = r.problems().front();
    CHECK(p.message.find('\n') == std::string::npos);  // one line, always
    return p;
}

}  // namespace

TEST_CASE("a good plugin loads with its manifest's name and version and creates working instances") {
    PluginRegistry r;
    r.load_directories({case_dir("good")});
    CHECK(r.problems().empty());
    const auto* p = r.find("test_good");
    REQUIRE(p != nullptr);
    CHECK(p->info().name == "test_good");
    CHECK(p->info().version == "1.2.3");
    CHECK(p->info().status == sdk::Maturity::beta);
    CHECK(p->info().components.size() == 3);
    CHECK(p->file() == case_dir("good") / "libjunction_test_good.so");
    CHECK(p->manifest().abi_major == JUNCTION_SDK_ABI_MAJOR);
    REQUIRE(r.plugins().size() == 1);

    auto reader = p->create_reader();
    REQUIRE(reader != nullptr);
    TestContext ctx(boost::json::object{{"count", 2}});
    REQUIRE(reader->open(ctx).is_ok());
    sdk::Batch batch;
    bool end = false;
    CHECK(reader->read(batch, 10, end).is_ok());
    CHECK(end);
    CHECK(batch.size() == 2);

    auto translator = p->create_translator();
    REQUIRE(translator != nullptr);
    sdk::Record rec;
    CHECK(translator->translate(rec).is_ok());
    CHECK(rec.payload.at("translated_by") == "test_good");
    rec.payload["bad"] = true;
    CHECK(translator->translate(rec).code() == sdk::Code::reject);

    auto writer = p->create_writer();
    REQUIRE(writer != nullptr);
    CHECK(writer->open(ctx).is_ok());
    std::vector<sdk::Rejection> rejected;
    CHECK(writer->write(batch, rejected).is_ok());
}

TEST_CASE("exceptions thrown inside a plugin reach the host as fatal statuses naming it") {
    PluginRegistry r;
    r.load_directories({case_dir("throwing")});
    REQUIRE(r.problems().empty());
    const auto* p = r.find("test_throwing");
    REQUIRE(p != nullptr);
    TestContext ctx;

    auto t = p->create_translator();
    sdk::Record rec;
    const auto ts = t->translate(rec);
    CHECK(ts.code() == sdk::Code::fatal);
    CHECK(ts.message() == "plugin test_throwing threw in translate: translate exploded");

    auto reader = p->create_reader();
    const auto os = reader->open(ctx);
    CHECK(os.code() == sdk::Code::fatal);
    CHECK(contains(os.message(), "non-standard exception in open"));
    CHECK(reader->close().code() == sdk::Code::fatal);

    auto w = p->create_writer();  // creation threw: a stand-in that fails with the reason
    REQUIRE(w != nullptr);
    const auto ws = w->open(ctx);
    CHECK(ws.code() == sdk::Code::fatal);
    CHECK(ws.message() == "plugin test_throwing failed to create its writer: no writer today");
}

TEST_CASE("a factory that cannot be built is refused with its reason and loading goes on") {
    PluginRegistry r;
    r.load_directories({case_dir("factory_fails"), case_dir("good")});
    const auto& p = only_problem(r);
    CHECK(contains(p.message, "plugin test_factory_fails ("));
    CHECK(contains(p.message, "libjunction_test_factory_fails.so"));
    CHECK(contains(p.message, "license file missing"));
    CHECK(r.find("test_factory_fails") == nullptr);
    CHECK(r.find("test_good") != nullptr);
}

TEST_CASE("an ABI mismatch is refused before the factory is touched, naming both sides and the fix") {
    PluginRegistry r;
    r.load_directories({case_dir("abi_mismatch")});  // its factory would abort() this test
    const auto& p = only_problem(r);
    CHECK(p.file == case_dir("abi_mismatch") / "libjunction_test_abi_mismatch.so");
    const std::string host_compiler =
        std::string(JUNCTION_COMPILER_ID == 2 ? "Clang " : "GCC ") + std::to_string(JUNCTION_COMPILER_MAJOR);
    CHECK(p.message == "plugin test_abi_future (" + p.file.string() + "): built for SDK ABI 99.1 with " +
                           host_compiler + ", host is 2." + std::to_string(JUNCTION_SDK_ABI_MINOR) + " with " +
                           host_compiler + ": rebuild it against SDK 2.x (2.0 to 2." +
                           std::to_string(JUNCTION_SDK_ABI_MINOR) + ")");
    CHECK(r.plugins().empty());
}

TEST_CASE("a plugin built for an older minor (a smaller manifest) loads, runs, and its missing fields read as 0") {
    PluginRegistry r;
    r.load_directories({case_dir("older_minor")});
    CHECK(r.problems().empty());
    const auto* p = r.find("test_older");
    REQUIRE(p != nullptr);
    CHECK(p->manifest().abi_minor == 0);
    CHECK(p->manifest().layout_flags == 0);
    // A kind appended after its minor (2.3's collection) is one it does not provide.
    CHECK(p->info().find(sdk::Kind::collection) == nullptr);
    CHECK(p->create(sdk::Kind::collection) == nullptr);
    CHECK(p->create_collection() == nullptr);
    auto reader = p->create_reader();
    REQUIRE(reader != nullptr);
    TestContext ctx;
    REQUIRE(reader->open(ctx).is_ok());
    sdk::Batch batch;
    bool end = false;
    REQUIRE(reader->read(batch, 10, end).is_ok());
    CHECK(batch.size() == 2);
    CHECK(end);
}

TEST_CASE("a plugin built for a newer minor is refused with the upgrade advice, its factory untouched") {
    PluginRegistry r;
    r.load_directories({case_dir("newer_minor")});  // its factory would abort() this test
    const auto& p = only_problem(r);
    const auto newer = "2." + std::to_string(JUNCTION_SDK_ABI_MINOR + 1);
    CHECK(p.message == "plugin test_newer (" + p.file.string() + "): built for SDK ABI " + newer +
                           ", newer than this host's 2." + std::to_string(JUNCTION_SDK_ABI_MINOR) +
                           ": upgrade the host to " + newer + " or later, or rebuild the plugin against SDK 2." +
                           std::to_string(JUNCTION_SDK_ABI_MINOR));
    CHECK(r.plugins().empty());
}

TEST_CASE("a library with an unresolved symbol is refused with the dynamic loader's reason") {
    PluginRegistry r;
    r.load_directories({case_dir("missing_symbol")});
    const auto& p = only_problem(r);
    CHECK(contains(p.message, "libjunction_test_missing_symbol.so"));
    CHECK(contains(p.message, "undefined symbol: junction_test_function_nobody_defines"));
    CHECK(r.plugins().empty());
}

TEST_CASE("garbage named like a plugin is refused, not fatal") {
    PluginRegistry r;
    r.load_directories({case_dir("garbage")});
    const auto& p = only_problem(r);
    CHECK(contains(p.message, "libjunction_garbage.so"));
    CHECK(contains(p.message, "cannot be loaded"));
}

TEST_CASE("a real library without a manifest is refused as not a plugin") {
    PluginRegistry r;
    r.load_directories({case_dir("no_manifest")});
    const auto& p = only_problem(r);
    CHECK(contains(p.message, "libjunction_test_no_manifest.so"));
    CHECK(contains(p.message, "not a Junction plugin"));
    CHECK(contains(p.message, JUNCTION_MANIFEST_SYMBOL));
}

TEST_CASE("two plugins with one name: the first file wins and the refusal names both files") {
    PluginRegistry r;
    r.load_directories({case_dir("duplicate")});
    const auto& p = only_problem(r);
    const auto first = case_dir("duplicate") / "libjunction_test_dup_a.so";
    const auto second = case_dir("duplicate") / "libjunction_test_dup_b.so";
    CHECK(p.file == second);
    CHECK(contains(p.message, first.string()));
    CHECK(contains(p.message, second.string()));
    CHECK(contains(p.message, "test_dup"));
    REQUIRE(r.find("test_dup") != nullptr);
    CHECK(r.find("test_dup")->info().version == "1.0.0");
    CHECK(r.find("test_dup")->file() == first);
}

TEST_CASE("a folder with good and bad files loads the good one and records one problem per bad file") {
    PluginRegistry r;
    r.load_directories({case_dir("mixed"), case_dir("does-not-exist")});
    CHECK(r.problems().size() == 2);
    REQUIRE(r.plugins().size() == 1);
    CHECK(r.plugins().front()->info().name == "test_good");
}

TEST_CASE("only lib*.so files directly in a folder are considered") {
    const fs::path dir = fs::temp_directory_path() / ("junction-loader-" + std::to_string(::getpid()));
    fs::create_directories(dir / "sub");
    fs::copy_file(case_dir("garbage") / "libjunction_garbage.so", dir / "garbage.so",
                  fs::copy_options::overwrite_existing);
    fs::copy_file(case_dir("garbage") / "libjunction_garbage.so", dir / "libnotes.txt",
                  fs::copy_options::overwrite_existing);
    fs::copy_file(case_dir("garbage") / "libjunction_garbage.so", dir / "sub" / "libjunction_garbage.so",
                  fs::copy_options::overwrite_existing);
    PluginRegistry r;
    r.load_directories({dir});
    CHECK(r.problems().empty());
    CHECK(r.plugins().empty());
    fs::remove_all(dir);
}

TEST_CASE("check_manifest accepts this host's own manifest and refuses each kind of mismatch") {
    const junction_plugin_manifest same = JUNCTION_MANIFEST_INIT("x", "1.0.0");
    const fs::path file = "/p/libjunction_x.so";
    CHECK_FALSE(core::check_manifest(same, file).has_value());

    auto newer_minor = same;
    newer_minor.abi_minor = JUNCTION_SDK_ABI_MINOR + 1;
    REQUIRE(core::check_manifest(newer_minor, file));
    CHECK(contains(*core::check_manifest(newer_minor, file),
                   "upgrade the host to 2." + std::to_string(JUNCTION_SDK_ABI_MINOR + 1) +
                       " or later, or rebuild the plugin against SDK 2." + std::to_string(JUNCTION_SDK_ABI_MINOR)));

    auto older_minor = same;
    older_minor.abi_minor = 0;
    CHECK_FALSE(core::check_manifest(older_minor, file).has_value());

    auto debug_containers = same;
    debug_containers.layout_flags ^= JUNCTION_LAYOUT_GLIBCXX_DEBUG;
    REQUIRE(core::check_manifest(debug_containers, file));
    CHECK(contains(*core::check_manifest(debug_containers, file), "_GLIBCXX_DEBUG"));
    auto assertions = same;
    assertions.layout_flags ^= JUNCTION_LAYOUT_GLIBCXX_ASSERTIONS;  // checks, no layout change
    CHECK_FALSE(core::check_manifest(assertions, file).has_value());

    auto too_old_compiler = same;
    too_old_compiler.compiler_major = JUNCTION_COMPILER_ID == 2 ? JUNCTION_MIN_CLANG_MAJOR - 1 : JUNCTION_MIN_GCC_MAJOR - 1;
    REQUIRE(core::check_manifest(too_old_compiler, file));

    auto newer_compiler = same;
    newer_compiler.compiler_major = JUNCTION_COMPILER_MAJOR + 1;
    REQUIRE(core::check_manifest(newer_compiler, file));
    CHECK(contains(*core::check_manifest(newer_compiler, file), std::to_string(JUNCTION_COMPILER_MAJOR + 1)));

    // An older compiler of the family, from the minimum on, is fine (clang 14 is both the
    // minimum and the asan preset's compiler: then there is none older to accept).
    if (JUNCTION_COMPILER_MAJOR > (JUNCTION_COMPILER_ID == 2 ? JUNCTION_MIN_CLANG_MAJOR : JUNCTION_MIN_GCC_MAJOR)) {
        auto older_compiler = same;
        older_compiler.compiler_major = JUNCTION_COMPILER_MAJOR - 1;
        CHECK_FALSE(core::check_manifest(older_compiler, file).has_value());
    }

    auto other_family = same;
    other_family.compiler_id = JUNCTION_COMPILER_ID == 1 ? 2 : 1;
    CHECK(core::check_manifest(other_family, file).has_value());

    auto old_abi = same;
    old_abi.cxx11_abi = JUNCTION_CXX11_ABI == 1 ? 0 : 1;
    REQUIRE(core::check_manifest(old_abi, file));
    CHECK(contains(*core::check_manifest(old_abi, file), "_GLIBCXX_USE_CXX11_ABI"));

    auto other_boost = same;
    other_boost.boost_version = BOOST_VERSION + 200;  // next minor
    REQUIRE(core::check_manifest(other_boost, file));
    CHECK(contains(*core::check_manifest(other_boost, file), "Boost"));
    auto boost_patch = same;
    boost_patch.boost_version = BOOST_VERSION + 1;  // patch releases keep the ABI
    CHECK_FALSE(core::check_manifest(boost_patch, file).has_value());

    auto other_platform = same;
    other_platform.platform = "plan9-mips";
    REQUIRE(core::check_manifest(other_platform, file));
    CHECK(contains(*core::check_manifest(other_platform, file), "plan9-mips"));
    CHECK(contains(*core::check_manifest(other_platform, file), "plugin x (/p/libjunction_x.so)"));
}

TEST_CASE("the search path is --plugin-dir, JUNCTION_PLUGIN_PATH, config, bundled, without repeats") {
    ::setenv("JUNCTION_PLUGIN_PATH", "/env/a::/env/b", 1);
    const auto path = PluginRegistry::search_path({"/cli/a", "/cli/b"}, {"/config/a", "/cli/a"});
    ::unsetenv("JUNCTION_PLUGIN_PATH");
    const std::vector<fs::path> expected = {"/cli/a", "/cli/b",    "/env/a",
                                            "/env/b", "/config/a", PluginRegistry::bundled_plugin_dir()};
    CHECK(path == expected);
}

TEST_CASE("the bundled plugin folder is ../lib/junction/plugins beside the executable") {
    CHECK(PluginRegistry::bundled_plugin_dir() == fs::path(JUNCTION_PLUGIN_DIR).lexically_normal());
}
