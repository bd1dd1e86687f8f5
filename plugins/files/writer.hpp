// The files writer. Object format: one file per record, named from the record, written
// atomically (never a half-written file under the final name) and overwritten by a
// replay of the same record. NDJSON format: lines appended to one file, at-least-once
// (a replayed batch appends its lines again).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <junction/sdk/components.hpp>

#include "file_name_template.hpp"
#include "files_config.hpp"

namespace junction::files {

class FilesWriter final : public sdk::Writer {
public:
    ~FilesWriter() override;
    sdk::Status open(sdk::Context& context) override;
    sdk::Status write(std::span<const sdk::Record> batch, std::vector<sdk::Rejection>& rejected) override;
    sdk::Status flush() override;
    sdk::Status close() override;

private:
    struct PendingFile {
        std::filesystem::path temp;
        std::filesystem::path final;
    };

    sdk::Status write_objects(std::span<const sdk::Record> batch, std::vector<sdk::Rejection>& rejected);
    sdk::Status append_lines(std::span<const sdk::Record> batch);
    sdk::Status flush_objects();
    void discard_pending() noexcept;

    sdk::Context* context_ = nullptr;
    WriterConfig config_{};
    FileNameTemplate name_template_;
    std::vector<PendingFile> pending_;  // written temp files awaiting flush()
    int ndjson_fd_ = -1;
    bool torn_ = false;  // an append failed and its partial line could not be cut off
};

}  // namespace junction::files
