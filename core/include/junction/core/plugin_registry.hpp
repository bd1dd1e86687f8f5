// Finds, checks and loads plugin libraries (Boost.DLL) and hands out instances that
// keep their library loaded for as long as they live.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <junction/sdk/sdk.hpp>

namespace junction::core {

// One refusal: the file and a one-line reason that names both sides and the fix.
struct LoadProblem {
    std::filesystem::path file;
    std::string message;  // the whole line, e.g. "plugin x (libx.so): built for SDK ABI 2.0 ... : rebuild ..."
};

class LoadedPlugin;

// The result of checking a manifest against this host; empty when accepted.
std::optional<std::string> check_manifest(const junction_plugin_manifest& plugin, const std::filesystem::path& file);

class PluginRegistry {
public:
    PluginRegistry();
    ~PluginRegistry();
    PluginRegistry(const PluginRegistry&) = delete;
    PluginRegistry& operator=(const PluginRegistry&) = delete;

    // Loads every lib*.so directly in each folder, in order; a later plugin whose name
    // is already taken is refused (naming both files). Missing folders are skipped.
    // Problems are collected (and logged as warnings), never thrown.
    void load_directories(const std::vector<std::filesystem::path>& dirs);
    void load_file(const std::filesystem::path& file);

    [[nodiscard]] const LoadedPlugin* find(std::string_view name) const;
    [[nodiscard]] std::vector<const LoadedPlugin*> plugins() const;  // sorted by name
    [[nodiscard]] const std::vector<LoadProblem>& problems() const noexcept;

    // Search order: explicit --plugin-dir options, JUNCTION_PLUGIN_PATH (colon-separated),
    // the config's plugin_dirs, then the bundled folder (../lib/junction/plugins beside the executable).
    static std::vector<std::filesystem::path> search_path(const std::vector<std::filesystem::path>& cli_dirs,
                                                          const std::vector<std::filesystem::path>& config_dirs);
    static std::filesystem::path bundled_plugin_dir();

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

class LoadedPlugin {
public:
    virtual ~LoadedPlugin() = default;
    [[nodiscard]] virtual const sdk::PluginInfo& info() const noexcept = 0;
    [[nodiscard]] virtual const std::filesystem::path& file() const noexcept = 0;
    [[nodiscard]] virtual const junction_plugin_manifest& manifest() const noexcept = 0;
    // Each instance holds the library: it stays loaded until the last instance is gone.
    // nullptr when the plugin does not provide that kind.
    [[nodiscard]] virtual std::shared_ptr<sdk::Component> create(sdk::Kind kind) const = 0;
    [[nodiscard]] std::shared_ptr<sdk::Reader> create_reader() const { return make<sdk::Reader>(sdk::Kind::reader); }
    [[nodiscard]] std::shared_ptr<sdk::Translator> create_translator() const {
        return make<sdk::Translator>(sdk::Kind::translator);
    }
    [[nodiscard]] std::shared_ptr<sdk::Writer> create_writer() const { return make<sdk::Writer>(sdk::Kind::writer); }
    [[nodiscard]] std::shared_ptr<sdk::Collection> create_collection() const {
        return make<sdk::Collection>(sdk::Kind::collection);
    }
    [[nodiscard]] std::shared_ptr<sdk::Intake> create_intake() const { return make<sdk::Intake>(sdk::Kind::intake); }
    // The plugin's own checks beyond its schema (see sdk::PluginFactory::check_options).
    [[nodiscard]] virtual sdk::Status check_options(sdk::Kind kind, const sdk::Options& options) const = 0;

private:
    // The SDK's glue checked that the instance is of the kind asked for.
    template <class T>
    std::shared_ptr<T> make(sdk::Kind kind) const {
        auto c = create(kind);
        if (!c || c->kind() != kind) return nullptr;
        return std::static_pointer_cast<T>(std::move(c));
    }
};

}  // namespace junction::core
