// "Libraries outlive what they made": a plugin library stays mapped while anything it
// created lives, and goes away with the last of them. Observed with dlopen(RTLD_NOLOAD),
// which finds a library only if it is still loaded.
#include <doctest/doctest.h>

#include <dlfcn.h>

#include <memory>

#include <junction/core/plugin_registry.hpp>

namespace fs = std::filesystem;
using namespace junction;

namespace {

const fs::path good_dir = fs::path(JUNCTION_TEST_PLUGIN_DIR) / "good";
const fs::path good_file = good_dir / "libjunction_test_good.so";

bool is_loaded(const fs::path& file) {
    void* handle = ::dlopen(file.c_str(), RTLD_NOW | RTLD_NOLOAD);
    if (handle == nullptr) return false;
    ::dlclose(handle);  // NOLOAD still took a reference
    return true;
}

}  // namespace

TEST_CASE("the observer sees a library only while it is loaded") {
    REQUIRE(fs::exists(good_file));
    CHECK_FALSE(is_loaded(good_file));
    {
        core::PluginRegistry r;
        r.load_directories({good_dir});
        REQUIRE(r.find("test_good") != nullptr);
        CHECK(is_loaded(good_file));
    }
    CHECK_FALSE(is_loaded(good_file));
}

TEST_CASE("an instance keeps working after the registry is gone; the library goes with the last instance") {
    auto registry = std::make_unique<core::PluginRegistry>();
    registry->load_directories({good_dir});
    const auto* plugin = registry->find("test_good");
    REQUIRE(plugin != nullptr);
    std::shared_ptr<sdk::Translator> translator = plugin->create_translator();
    std::shared_ptr<sdk::Writer> writer = plugin->create_writer();
    REQUIRE(translator != nullptr);
    REQUIRE(writer != nullptr);

    registry.reset();
    REQUIRE(is_loaded(good_file));

    sdk::Record rec;
    CHECK(translator->translate(rec).is_ok());  // the plugin's code and vtable are still there
    CHECK(rec.payload.at("translated_by") == "test_good");

    translator.reset();
    CHECK(is_loaded(good_file));  // the writer still needs it

    writer.reset();
    CHECK_FALSE(is_loaded(good_file));
}

TEST_CASE("an instance copied around keeps the library as long as any copy lives") {
    std::shared_ptr<sdk::Translator> copy;
    {
        core::PluginRegistry r;
        r.load_directories({good_dir});
        auto t = r.find("test_good")->create_translator();
        copy = t;
    }
    CHECK(is_loaded(good_file));
    copy.reset();
    CHECK_FALSE(is_loaded(good_file));
}
