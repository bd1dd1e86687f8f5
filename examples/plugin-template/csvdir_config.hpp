// The csvdir plugin's options: one schema per component (the only place defaults live)
// and the typed config each component builds from its validated Options.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <junction/sdk/options.hpp>
#include <junction/sdk/status.hpp>

namespace csvdir {

namespace sdk = junction::sdk;

struct ReaderConfig {
    std::filesystem::path dir;  // absolute: the host resolved it against the config's folder
    std::string extension;      // ".csv"
    char separator = ',';
    bool delete_after = false;       // after: delete; else move into done_dir
    std::filesystem::path done_dir;  // <dir>/done unless given
};

struct TranslatorConfig {
    std::vector<std::string> fields;
    bool strict = false;
};

[[nodiscard]] sdk::OptionSchema reader_options();
[[nodiscard]] sdk::OptionSchema translator_options();

// What the schema cannot say: options that depend on one another. The host calls it
// (PluginFactory::check_options) before any open(), and `junction validate` shows it.
[[nodiscard]] sdk::Status check_reader_options(const sdk::Options& options);

// Options arrive validated and complete, so these only copy them into typed fields.
[[nodiscard]] ReaderConfig reader_config(const sdk::Options& options);
[[nodiscard]] TranslatorConfig translator_config(const sdk::Options& options);

}  // namespace csvdir
