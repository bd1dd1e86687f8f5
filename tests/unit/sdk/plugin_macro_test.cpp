// JUNCTION_PLUGIN and the SDK's export glue, in-process: what the macro exports, and
// that no exception of a plugin gets past the guards.
#include <doctest/doctest.h>

#include <cstring>
#include <stdexcept>
#include <string>

#include <junction/sdk/sdk.hpp>

#include "test_context.hpp"

namespace {

using namespace junction::sdk;

int factories_built = 0;

class ExplodingTranslator final : public Translator {
public:
    Status translate(Record&) override { throw std::runtime_error("boom"); }
};

class ExplodingReader final : public Reader {
public:
    Status open(Context&) override { throw "not a std::exception"; }
    Status read(Batch&, std::size_t, bool&) override { return Status::ok(); }
};

class MacroFactory final : public PluginFactory {
public:
    MacroFactory() { ++factories_built; }
    PluginInfo info() const override {
        PluginInfo i;
        i.name = "a name the glue must overwrite";
        i.version = "9.9.9";
        i.description = "macro test";
        i.components = {{.kind = Kind::translator}, {.kind = Kind::reader}};
        return i;
    }
    std::unique_ptr<Component> create(Kind kind) override {
        if (kind == Kind::reader) return std::make_unique<ExplodingReader>();
        if (kind == Kind::translator) return std::make_unique<ExplodingTranslator>();
        throw std::runtime_error("no writer here");
    }
};

// A translator asked for, a reader made: the glue must not hand it out as a translator.
class ConfusedFactory final : public PluginFactory {
public:
    PluginInfo info() const override { return {}; }
    std::unique_ptr<Component> create(Kind) override { return std::make_unique<ExplodingReader>(); }
};

using junction::test::TestContext;

}  // namespace

JUNCTION_PLUGIN(MacroFactory, "macro_test", "3.4.5")

TEST_CASE("the manifest the macro exports carries this build's ABI, compiler, Boost and the plugin's name") {
    const junction_plugin_manifest* m = junction_plugin_manifest_v1();
    REQUIRE(m != nullptr);
    CHECK(m->magic == JUNCTION_MANIFEST_MAGIC);
    CHECK(m->size == sizeof(junction_plugin_manifest));
    CHECK(m->abi_major == JUNCTION_SDK_ABI_MAJOR);
    CHECK(m->abi_minor == JUNCTION_SDK_ABI_MINOR);
    CHECK(m->compiler_id == JUNCTION_COMPILER_ID);
    CHECK(m->compiler_major == JUNCTION_COMPILER_MAJOR);
    CHECK(m->cxx11_abi == JUNCTION_CXX11_ABI);
    CHECK(m->boost_version == BOOST_VERSION);
    CHECK(std::strcmp(m->platform, JUNCTION_PLATFORM) == 0);
    CHECK(std::strcmp(m->sdk_version, JUNCTION_SDK_VERSION) == 0);
    CHECK(std::strcmp(m->name, "macro_test") == 0);
    CHECK(std::strcmp(m->version, "3.4.5") == 0);
}

TEST_CASE("the registration macro fills name and version of the factory's info from its arguments") {
    std::string error;
    std::unique_ptr<PluginFactory> f(junction_plugin_export::create_factory(&error));
    REQUIRE(f != nullptr);
    CHECK(error.empty());
    const PluginInfo info = f->info();
    CHECK(info.name == "macro_test");
    CHECK(info.version == "3.4.5");
    CHECK(info.description == "macro test");
    CHECK(info.find(Kind::translator) != nullptr);
    CHECK(info.find(Kind::writer) == nullptr);
}

TEST_CASE("an exception thrown by translate becomes a fatal status naming the plugin") {
    std::string error;
    std::unique_ptr<PluginFactory> f(junction_plugin_export::create_factory(&error));
    REQUIRE(f != nullptr);
    auto t = f->create(Kind::translator);
    REQUIRE(t != nullptr);
    Record r;
    Status s = Status::ok();
    REQUIRE(t->kind() == Kind::translator);
    CHECK_NOTHROW(s = static_cast<Translator&>(*t).translate(r));
    CHECK(s.code() == Code::fatal);
    CHECK(s.message() == "plugin macro_test threw in translate: boom");
}

TEST_CASE("a non-standard exception in open becomes a fatal status") {
    std::string error;
    std::unique_ptr<PluginFactory> f(junction_plugin_export::create_factory(&error));
    auto r = f->create(Kind::reader);
    REQUIRE(r != nullptr);
    TestContext ctx;
    const Status s = r->open(ctx);
    CHECK(s.code() == Code::fatal);
    CHECK(s.message().find("macro_test") != std::string::npos);
    CHECK(s.message().find("non-standard exception in open") != std::string::npos);
}

TEST_CASE("a create that throws yields an instance that fails fatally on open with the reason") {
    std::string error;
    std::unique_ptr<PluginFactory> f(junction_plugin_export::create_factory(&error));
    auto w = f->create(Kind::writer);
    REQUIRE(w != nullptr);
    TestContext ctx;
    const Status s = w->open(ctx);
    CHECK(s.code() == Code::fatal);
    CHECK(s.message() == "plugin macro_test failed to create its writer: no writer here");
}

TEST_CASE("each call of the exported function builds a new factory") {
    const int before = factories_built;
    std::string error;
    std::unique_ptr<PluginFactory> a(junction_plugin_export::create_factory(&error));
    std::unique_ptr<PluginFactory> b(junction_plugin_export::create_factory(&error));
    CHECK(factories_built == before + 2);
    CHECK(a.get() != b.get());
}

TEST_CASE("an instance of another kind than asked for is refused by the glue, not handed out") {
    std::string error;
    std::unique_ptr<PluginFactory> f(detail::make_factory<ConfusedFactory>("confused", "1.0.0", &error));
    REQUIRE(f != nullptr);
    auto t = f->create(Kind::translator);
    REQUIRE(t != nullptr);
    CHECK(t->kind() == Kind::translator);  // a stand-in that fails, never the reader
    TestContext ctx;
    const Status s = t->open(ctx);
    CHECK(s.code() == Code::fatal);
    CHECK(s.message() == "plugin confused made a reader when asked for a translator");
}
