// Fuzzes what `junction validate` and `junction run` do with a config file: the loader
// (JSON with comments, duplicate keys, ${VAR} substitution, the pipeline model) and, for
// every stage naming a bundled plugin, the option schema, the plugin's own checks and the
// typed config its open() builds. The same calls as core/src/resolve.cpp, with the
// bundled plugins' schemas linked in instead of loaded from their .so.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <junction/core/config.hpp>
#include <junction/core/option_validation.hpp>
#include <junction/sdk/sdk.hpp>

#include "docstore_config.hpp"
#include "files_config.hpp"
#include "mapping_config.hpp"
#include "mongodb_config.hpp"
#include "rest_config.hpp"
#include "tracos_config.hpp"

namespace {

namespace core = junction::core;
namespace sdk = junction::sdk;

struct Component {
    std::string_view plugin;
    sdk::Kind kind;
    std::function<sdk::OptionSchema()> schema;
    std::function<sdk::Status(const sdk::Options&)> check;
    std::function<void(const sdk::Options&)> open;  // builds the typed config, as open() does
};

const std::vector<Component>& bundled() {
    namespace files = junction::files;
    namespace mapping = junction::mapping;
    namespace tracos = junction::tracos;
    namespace docstore = junction::docstore;
    namespace mongodb = junction::mongodb;
    namespace rest = junction::rest;
    static const std::vector<Component> components = {
        {"files", sdk::Kind::reader, files::reader_options, files::check_reader_config,
         [](const sdk::Options& o) { (void)files::reader_config(o); }},
        {"files", sdk::Kind::writer, files::writer_options, files::check_writer_config,
         [](const sdk::Options& o) { (void)files::writer_config(o); }},
        {"mapping", sdk::Kind::translator, mapping::translator_options, mapping::check_config,
         [](const sdk::Options& o) { (void)mapping::parse_config(o); }},
        {"tracos", sdk::Kind::translator, tracos::translator_options,
         [](const sdk::Options&) { return sdk::Status::ok(); },
         [](const sdk::Options& o) {
             tracos::TracosConfig c;
             (void)tracos::parse_config(o, c);
         }},
        {"docstore", sdk::Kind::reader, docstore::reader_schema, docstore::check_reader_config,
         [](const sdk::Options& o) { (void)docstore::reader_config(o); }},
        {"docstore", sdk::Kind::writer, docstore::writer_schema, docstore::check_writer_config,
         [](const sdk::Options& o) { (void)docstore::writer_config(o); }},
        {"mongodb", sdk::Kind::reader, mongodb::reader_options, mongodb::check_reader_config,
         [](const sdk::Options& o) { (void)mongodb::reader_config(o); }},
        {"mongodb", sdk::Kind::writer, mongodb::writer_options, mongodb::check_writer_config,
         [](const sdk::Options& o) { (void)mongodb::writer_config(o); }},
        {"rest", sdk::Kind::reader, rest::reader_options, rest::check_reader_config,
         [](const sdk::Options& o) {
             rest::RestConfig c;
             (void)rest::make_config(o, c);
         }},
    };
    return components;
}

// The variables the examples use, one empty and one holding JSON-ish text; others are unset.
std::optional<std::string> environment(const std::string& name) {
    static const std::map<std::string, std::string> env = {
        {"MONGO_URI", "mongodb://127.0.0.1:27017/?serverSelectionTimeoutMS=2000"},
        {"MONGO_DATABASE", "tracos"},
        {"MONGO_COLLECTION", "workorders"},
        {"DATA_INBOUND_DIR", "data/inbound"},
        {"DATA_OUTBOUND_DIR", "/tmp/outbound"},
        {"BATCH_SIZE", "100"},
        {"EMPTY", ""},
        {"ODD", "\"${x}\\\n{,}]"},
    };
    if (auto it = env.find(name); it != env.end()) return it->second;
    return std::nullopt;
}

void resolve(const core::StageConfig& stage, sdk::Kind kind, const std::filesystem::path& base_dir,
             std::vector<core::ConfigError>& errors) {
    for (const auto& c : bundled()) {
        if (c.plugin != stage.plugin || c.kind != kind) continue;
        const auto schema = c.schema();
        const auto before = errors.size();
        auto options = core::validate_options(schema, stage.options, stage.path + ".options", base_dir, errors);
        if (errors.size() != before) return;
        if (auto st = c.check(options); !st.is_ok()) {
            errors.push_back(core::check_options_error(schema, stage.path + ".options", st.message()));
            return;
        }
        c.open(options);
        (void)core::redact(schema, stage.options);  // what the logs show of the options
        return;
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    std::vector<core::ConfigError> errors;
    const auto config = core::parse_config(text, "/fuzz/junction.json", errors, environment);
    // Stages are resolved even when the file has other problems, so that `junction
    // validate` lists every problem at once.
    for (const auto& p : config.pipelines) {
        resolve(p.reader, sdk::Kind::reader, config.base_dir, errors);
        for (const auto& t : p.translators)
            resolve(t, sdk::Kind::translator, config.base_dir, errors);
        resolve(p.writer, sdk::Kind::writer, config.base_dir, errors);
    }
    for (const auto& e : errors)
        (void)e.line();
    return 0;
}
