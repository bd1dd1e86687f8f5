// The author's API: a plugin's factory (what it is, what it offers, its config schema;
// no run state) and JUNCTION_PLUGIN, the one macro that exports it.
//
//   class MyFactory final : public junction::sdk::PluginFactory {
//   public:
//       PluginInfo info() const override { return {.description = "...", .components = {...}}; }
//       std::unique_ptr<Component> create(Kind kind) override {
//           if (kind == Kind::reader) return std::make_unique<MyReader>();
//           return nullptr;  // a kind this plugin does not provide
//       }
//   };
//   JUNCTION_PLUGIN(MyFactory, "my-system", "1.0.0")
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <boost/config.hpp>
#include <boost/json/object.hpp>

#include "abi.hpp"
#include "collection.hpp"
#include "components.hpp"
#include "intake.hpp"
#include "options.hpp"

namespace junction::sdk {

enum class Maturity : unsigned char { stable, beta, experimental };

inline const char* to_string(Maturity m) noexcept {
    switch (m) {
        case Maturity::stable:
            return "stable";
        case Maturity::beta:
            return "beta";
        case Maturity::experimental:
            return "experimental";
    }
    return "unknown";
}

// One component the plugin provides; a plugin provides at most one of each kind
// (variants are options, e.g. tracos's `direction`).
struct ComponentInfo {
    Kind kind = Kind::reader;
    std::string description = {};
    OptionSchema options = {};
    bool thread_safe = false;        // translators: may be called from several workers at once
    bool redelivers = false;         // readers: can take a record back (Outcome::released), as a queue can
    boost::json::object extra = {};  // room to grow without an ABI break
};

struct PluginInfo {
    std::string name = {};     // filled from JUNCTION_PLUGIN by the SDK glue
    std::string version = {};  // filled from JUNCTION_PLUGIN by the SDK glue
    std::string description = {};
    Maturity status = Maturity::experimental;
    std::vector<ComponentInfo> components = {};
    boost::json::object extra = {};  // room to grow without an ABI break

    [[nodiscard]] const ComponentInfo* find(Kind kind) const noexcept {
        for (const auto& c : components)
            if (c.kind == kind) return &c;
        return nullptr;
    }
};

// Implemented by the plugin author; default-constructible, without side effects.
class BOOST_SYMBOL_VISIBLE PluginFactory {
public:
    virtual ~PluginFactory() = default;
    [[nodiscard]] virtual PluginInfo info() const = 0;
    // A new instance of that kind, or nullptr for a kind the plugin does not provide.
    virtual std::unique_ptr<Component> create(Kind kind) = 0;
    // Checks beyond the declared schema (options that depend on one another, a URI's
    // syntax), on options already validated against it. `junction validate` and the
    // engine call it before any open(). Return ok, or fatal with one line that starts
    // with the option's path and ": " ("upsert_key[0]: _id cannot be an upsert key"): the
    // host shows it under that option, "pipelines[0].writer.options.upsert_key[0]: ...".
    [[nodiscard]] virtual Status check_options(Kind kind, const Options& options) const {
        (void)kind;
        (void)options;
        return Status::ok();
    }
};

// The signature of the function behind JUNCTION_FACTORY_ALIAS: on failure it returns
// nullptr and fills *error, a host-owned string.
using FactoryFunction = PluginFactory*(std::string* error);

}  // namespace junction::sdk

#include "detail/guards.hpp"

// Export a plugin: JUNCTION_PLUGIN(MyFactory, "name", "1.2.0") once, in one .cpp file.
// The manifest is constant-initialized (no static initializer runs on dlopen).
#define JUNCTION_PLUGIN(FACTORY, NAME, VERSION)                                                               \
    extern "C" BOOST_SYMBOL_EXPORT const ::junction_plugin_manifest* junction_plugin_manifest_v1() noexcept { \
        static constexpr ::junction_plugin_manifest manifest = JUNCTION_MANIFEST_INIT(NAME, VERSION);         \
        return &manifest;                                                                                     \
    }                                                                                                         \
    namespace junction_plugin_export {                                                                        \
    inline ::junction::sdk::PluginFactory* create_factory(std::string* error) noexcept {                      \
        return ::junction::sdk::detail::make_factory<FACTORY>(NAME, VERSION, error);                          \
    }                                                                                                         \
    }                                                                                                         \
    BOOST_DLL_ALIAS(junction_plugin_export::create_factory, junction_create_factory)
