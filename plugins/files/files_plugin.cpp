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
    std::unique_ptr<sdk::Component> create(sdk::Kind kind) override {
        if (kind == sdk::Kind::reader) return std::make_unique<FilesReader>();
        if (kind == sdk::Kind::writer) return std::make_unique<FilesWriter>();
        return nullptr;
    }
    // What the schemas cannot say (a file_name template, folders that would loop), so
    // that `junction validate` refuses it before anything runs.
    [[nodiscard]] sdk::Status check_options(sdk::Kind kind, const sdk::Options& options) const override {
        return kind == sdk::Kind::reader ? check_reader_config(options) : check_writer_config(options);
    }
};

}  // namespace junction::files

JUNCTION_PLUGIN(junction::files::FilesFactory, "files", "0.1.0")
