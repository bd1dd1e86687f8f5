// The files reader: every matching file of a folder, in name order, as records; once
// the engine acknowledged all of a file's records the file is moved to processed/
// (or deleted, or kept), or to quarantine/ with a sidecar when a single-object file
// was rejected. Positions are "<file name>:<byte offset>", so a run resumes mid-file.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <junction/sdk/components.hpp>

#include "files_config.hpp"
#include "record_source.hpp"

namespace junction::files {

// "name:123" -> {"name", 123}; false when there is no offset after the last colon.
bool parse_position(std::string_view position, std::string& name, std::uint64_t& offset);

class FilesReader final : public sdk::Reader {
public:
    sdk::Status open(sdk::Context& context) override;
    sdk::Status read(sdk::Batch& out, std::size_t max_records, bool& end_of_input) override;
    sdk::Status acknowledge(std::span<const sdk::Acknowledgement> acks) override;
    void request_stop() noexcept override { stop_.store(true); }

private:
    struct Rejected {
        std::string source;
        std::string reason;
    };
    // A file that produced records not all acknowledged yet.
    struct Pending {
        std::uint64_t emitted = 0;
        std::uint64_t acknowledged = 0;
        bool read_done = false;
        bool single = true;  // one record for the whole file: rejecting it quarantines the file
        std::vector<Rejected> rejected;
        std::string last_position;  // of its last record acknowledged
    };

    std::vector<std::string> list_files() const;
    bool settled(const std::filesystem::path& path, const std::string& name) const;
    void finish(const std::string& name, const Pending& pending);
    void quarantine(const std::string& name, const std::string& reason);
    void after_read(const std::string& name, const Pending& pending);
    void remember_gone(const std::string& position);

    sdk::Context* context_ = nullptr;
    ReaderConfig config_;
    std::vector<std::string> files_;
    std::size_t next_file_ = 0;
    std::string resume_file_;
    std::uint64_t resume_offset_ = 0;
    std::unique_ptr<RecordSource> current_;
    std::string current_name_;
    std::map<std::string, Pending> pending_;
    bool gone_ = false;  // set by finish(): the file left the folder (moved or deleted)
    std::atomic<bool> stop_{false};
};

}  // namespace junction::files
