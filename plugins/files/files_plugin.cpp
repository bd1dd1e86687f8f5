// The files plugin: manifest and factory only.
#include <junction/sdk/sdk.hpp>

#include "files_config.hpp"
#include "reader.hpp"
#include "writer.hpp"

namespace junction::files {

class FilesFactory final : public sdk::PluginFactory {
public:
    [[nodiscard]] sdk::PluginInfo info() const override {
        sdk::PluginInfo info;
        info.description = "JSON files in folders: one object per file, JSON arrays, NDJSON";
        info.status = sdk::Maturity::beta;
        info.components.push_back({.kind = sdk::Kind::reader,
                                   .description = "Reads matching files in name order; moves each to processed/ "
                                                  "(or quarantine/ with a reason) once its records are written",
                                   .options = reader_options()});
        info.components.push_back({.kind = sdk::Kind::writer,
                                   .description = "Writes one file per record atomically, or appends NDJSON lines",
                                   .options = writer_options()});
        return info;
    }
    // The typed config's own checks (file_name needed for format object, ...), so that
    // `junction validate` reports them before anything runs.
    std::unique_ptr<sdk::Component> create(sdk::Kind kind) override {
        if (kind == sdk::Kind::reader) return std::make_unique<FilesReader>();
        if (kind == sdk::Kind::writer) return std::make_unique<FilesWriter>();
        return nullptr;
    }
    [[nodiscard]] sdk::Status check_options(sdk::Kind kind, const sdk::Options& options) const override {
        if (kind == sdk::Kind::reader) {
            ReaderConfig config;
            return parse_reader_config(options, "", config);
        }
        WriterConfig config;
        return parse_writer_config(options, "", config);
    }
};

}  // namespace junction::files

JUNCTION_PLUGIN(junction::files::FilesFactory, "files", "0.1.0")
