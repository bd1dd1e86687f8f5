// A plugin's factory (what it is, what it offers, its config schema; no run state)
// and JUNCTION_PLUGIN, the one macro that exports it.
#pragma once

#include <exception>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <boost/config.hpp>
#include <boost/dll/alias.hpp>
#include <boost/json/object.hpp>

#include "abi.hpp"
#include "components.hpp"
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

enum class Kind : unsigned char { reader, translator, writer };

inline const char* to_string(Kind k) noexcept {
    switch (k) {
        case Kind::reader:
            return "reader";
        case Kind::translator:
            return "translator";
        case Kind::writer:
            return "writer";
    }
    return "unknown";
}

// One thing the plugin provides; a plugin provides at most one of each kind.
struct ComponentInfo {
    Kind kind = Kind::reader;
    std::string description = {};
    OptionSchema options = {};
    bool thread_safe = false;        // translators: may be called from several workers at once
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

// Implemented by the plugin author. Create an instance per call; return nullptr for a
// kind the plugin does not provide.
class BOOST_SYMBOL_VISIBLE PluginFactory {
public:
    virtual ~PluginFactory() = default;
    [[nodiscard]] virtual PluginInfo info() const = 0;
    virtual std::unique_ptr<Reader> create_reader() { return nullptr; }
    virtual std::unique_ptr<Translator> create_translator() { return nullptr; }
    virtual std::unique_ptr<Writer> create_writer() { return nullptr; }
    // Checks beyond the declared schema (options that depend on one another), on options
    // already checked against it. `junction validate` and the engine call it before any
    // open(). Return ok, or fatal with one line that names the option.
    [[nodiscard]] virtual Status check_options(Kind kind, const Options& options) const {
        (void)kind;
        (void)options;
        return Status::ok();
    }
};

namespace detail {

// The guards run in the plugin's own code, so no exception of the plugin ever
// unwinds into the host: whatever escapes becomes a fatal status naming the plugin.
template <class F>
Status guarded(const char* plugin, const char* call, F&& f) noexcept {
    try {
        return std::forward<F>(f)();
    } catch (const std::exception& e) {
        try {
            return Status::fatal(std::string("plugin ") + plugin + " threw in " + call + ": " + e.what());
        } catch (...) {
            return Status::fatal({});
        }
    } catch (...) {
        try {
            return Status::fatal(std::string("plugin ") + plugin + " threw a non-standard exception in " + call);
        } catch (...) {
            return Status::fatal({});
        }
    }
}

class GuardedReader final : public Reader {
public:
    GuardedReader(std::unique_ptr<Reader> inner, const char* plugin) : inner_(std::move(inner)), plugin_(plugin) {}
    Status open(Context& c) override {
        return guarded(plugin_, "open", [&] { return inner_->open(c); });
    }
    Status read(Batch& out, std::size_t max, bool& end) override {
        return guarded(plugin_, "read", [&] { return inner_->read(out, max, end); });
    }
    Status acknowledge(std::span<const Acknowledgement> acks) override {
        return guarded(plugin_, "acknowledge", [&] { return inner_->acknowledge(acks); });
    }
    void request_stop() noexcept override {
        try {
            inner_->request_stop();
        } catch (...) {  // nothing to report to: stopping goes on regardless
        }
    }
    Status close() override {
        return guarded(plugin_, "close", [&] { return inner_->close(); });
    }

private:
    std::unique_ptr<Reader> inner_;
    const char* plugin_;
};

class GuardedTranslator final : public Translator {
public:
    GuardedTranslator(std::unique_ptr<Translator> inner, const char* plugin)
        : inner_(std::move(inner)), plugin_(plugin) {}
    Status open(Context& c) override {
        return guarded(plugin_, "open", [&] { return inner_->open(c); });
    }
    Status translate(Record& r) override {
        return guarded(plugin_, "translate", [&] { return inner_->translate(r); });
    }
    Status close() override {
        return guarded(plugin_, "close", [&] { return inner_->close(); });
    }

private:
    std::unique_ptr<Translator> inner_;
    const char* plugin_;
};

class GuardedWriter final : public Writer {
public:
    GuardedWriter(std::unique_ptr<Writer> inner, const char* plugin) : inner_(std::move(inner)), plugin_(plugin) {}
    Status open(Context& c) override {
        return guarded(plugin_, "open", [&] { return inner_->open(c); });
    }
    Status write(std::span<Record> batch, std::vector<Rejection>& rejected) override {
        return guarded(plugin_, "write", [&] { return inner_->write(batch, rejected); });
    }
    Status flush() override {
        return guarded(plugin_, "flush", [&] { return inner_->flush(); });
    }
    Status close() override {
        return guarded(plugin_, "close", [&] { return inner_->close(); });
    }

private:
    std::unique_ptr<Writer> inner_;
    const char* plugin_;
};

// Stands in for an instance whose creation threw: it fails on open() with the reason.
template <class Base>
class Failed;

template <>
class Failed<Reader> final : public Reader {
public:
    explicit Failed(std::string why) : why_(std::move(why)) {}
    Status open(Context&) override { return Status::fatal(why_); }
    Status read(Batch&, std::size_t, bool& end) override {
        end = true;
        return Status::fatal(why_);
    }

private:
    std::string why_;
};

template <>
class Failed<Translator> final : public Translator {
public:
    explicit Failed(std::string why) : why_(std::move(why)) {}
    Status open(Context&) override { return Status::fatal(why_); }
    Status translate(Record&) override { return Status::fatal(why_); }

private:
    std::string why_;
};

template <>
class Failed<Writer> final : public Writer {
public:
    explicit Failed(std::string why) : why_(std::move(why)) {}
    Status open(Context&) override { return Status::fatal(why_); }
    Status write(std::span<Record>, std::vector<Rejection>&) override { return Status::fatal(why_); }

private:
    std::string why_;
};

template <class Base, class Guard, class Make>
std::unique_ptr<Base> create_guarded(const char* plugin, const char* what, Make&& make) noexcept {
    try {
        auto inner = std::forward<Make>(make)();
        if (!inner) return nullptr;
        return std::make_unique<Guard>(std::move(inner), plugin);
    } catch (const std::exception& e) {
        try {
            return std::make_unique<Failed<Base>>(std::string("plugin ") + plugin + " failed to create its " + what +
                                                  ": " + e.what());
        } catch (...) {
            return nullptr;
        }
    } catch (...) {
        return nullptr;
    }
}

template <class F>
class GuardedFactory final : public PluginFactory {
public:
    GuardedFactory(const char* name, const char* version) : name_(name), version_(version) {}

    PluginInfo info() const override {
        PluginInfo i;
        try {
            i = inner_.info();
        } catch (const std::exception& e) {
            i = PluginInfo{};
            i.description = std::string("(info() failed: ") + e.what() + ")";
        } catch (...) {
            i = PluginInfo{};
        }
        i.name = name_;
        i.version = version_;
        return i;
    }
    std::unique_ptr<Reader> create_reader() override {
        return create_guarded<Reader, GuardedReader>(name_, "reader", [&] { return inner_.create_reader(); });
    }
    std::unique_ptr<Translator> create_translator() override {
        return create_guarded<Translator, GuardedTranslator>(name_, "translator",
                                                             [&] { return inner_.create_translator(); });
    }
    std::unique_ptr<Writer> create_writer() override {
        return create_guarded<Writer, GuardedWriter>(name_, "writer", [&] { return inner_.create_writer(); });
    }
    Status check_options(Kind kind, const Options& options) const override {
        return guarded(name_, "check_options", [&] { return inner_.check_options(kind, options); });
    }

private:
    F inner_;
    const char* name_;
    const char* version_;
};

// The exported factory function: on failure it returns nullptr and fills *error,
// a host-owned string, so no exception and no plugin-owned memory crosses over.
template <class F>
PluginFactory* make_factory(const char* name, const char* version, std::string* error) noexcept {
    try {
        return new GuardedFactory<F>(name, version);
    } catch (const std::exception& e) {
        if (error != nullptr) {
            try {
                *error = e.what();
            } catch (...) {
            }
        }
    } catch (...) {
        if (error != nullptr) {
            try {
                *error = "unknown exception";
            } catch (...) {
            }
        }
    }
    return nullptr;
}

}  // namespace detail

// The signature of the function behind JUNCTION_FACTORY_ALIAS.
using FactoryFunction = PluginFactory*(std::string* error);

}  // namespace junction::sdk

// Export a plugin: JUNCTION_PLUGIN(MyFactory, "name", "1.2.0") once, in one .cpp file.
// MyFactory derives from junction::sdk::PluginFactory and is default-constructible.
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
