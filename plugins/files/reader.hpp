// The files reader: every matching file of a folder, in name order, as records; once
// the engine acknowledged all of a file's records the file is moved to processed/
// (or deleted, or kept), or to quarantine/ with a sidecar when a single-object file
// was rejected. Each file is a partition; its position names the file's identity and a
// byte offset, so a run resumes mid-file, and a new file under an old name is read whole.
#pragma once

#include <atomic>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <junction/sdk/components.hpp>
#include <junction/sdk/source_tracker.hpp>

#include "files_config.hpp"
#include "record_source.hpp"

namespace junction::files {

// What a position trusts a file by: its inode and its first bytes (an inode number alone
// is handed to the next file created once a file is deleted, on ext4 at once).
struct FileIdentity {
    static constexpr std::uint64_t head_bytes = 1024;
    std::uint64_t inode = 0;
    std::string head;  // the first head_bytes bytes (fewer for a shorter file)

    // Nothing that is not a regular file is opened for it (a FIFO would block).
    static FileIdentity of(const std::filesystem::path& path);
    [[nodiscard]] std::uint64_t fingerprint(std::uint64_t offset) const;

    // The last fingerprint computed: every record past the first KiB of a file has the
    // same one, and hashing 1 KiB per record was 16% of W1's time (a reader is used by one
    // thread at a time).
    mutable std::uint64_t cached_length = UINT64_MAX;
    mutable std::uint64_t cached_fingerprint = 0;
};

// "<inode>:<fingerprint of the first min(offset, 1 KiB) bytes, hex>:<offset>".
std::string make_position(const FileIdentity& file, std::uint64_t offset);
bool parse_position(std::string_view position, std::uint64_t& inode, std::uint64_t& fingerprint,
                    std::uint64_t& offset);

class FilesReader final : public sdk::Reader {
public:
    sdk::Status open(sdk::Context& context) override;
    sdk::Status read(sdk::Batch& out, std::size_t max_records, bool& end_of_input) override;
    sdk::Status acknowledge(const sdk::Acknowledgements& acks) override;

private:
    struct Rejected {
        std::string source;
        std::string reason;
    };
    // What the release of a file needs beyond the tracker's counts.
    struct FileNotes {
        bool single = true;  // one record for the whole file: rejecting it quarantines the file
        std::vector<Rejected> rejected;
    };

    std::vector<std::string> list_files(std::string& error) const;
    // True when the entry is not a regular file (nor a link to one): warned about once.
    bool skipped(const std::filesystem::directory_entry& entry, const std::string& name) const;
    bool settled(const std::filesystem::path& path, const std::string& name) const;
    std::uint64_t resume_offset(const std::string& name, const FileIdentity& file) const;
    void release(const sdk::ReleasableSource& file);
    // Both return true when the file left the folder.
    bool quarantine(const std::string& name, const std::string& reason);
    bool after_read(const std::string& name, const sdk::ReleasableSource& file, const FileNotes& notes);

    sdk::Context* context_ = nullptr;
    ReaderConfig config_;
    std::string process_tag_;  // this process (PID and start time), for warnings given once per run
    std::vector<std::string> files_;
    std::size_t next_file_ = 0;
    std::unique_ptr<RecordSource> current_;
    std::string current_name_;
    FileIdentity current_file_;
    sdk::SourceTracker tracker_;
    std::map<std::string, FileNotes> notes_;  // of the files the tracker holds
};

}  // namespace junction::files
