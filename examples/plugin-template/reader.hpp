// The csvdir reader: the files of a folder, in name order, one partition each. A file's
// first line names its fields; every later line is a record. A record's position is the
// byte offset after its line, so a run resumes mid-file; a file is moved to done/ (or
// deleted) once every record of it is settled and its end was seen.
#pragma once

#include <cstdint>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include <junction/sdk/components.hpp>
#include <junction/sdk/source_tracker.hpp>

#include "csvdir_config.hpp"

namespace csvdir {

class CsvReader final : public sdk::Reader {
public:
    sdk::Status open(sdk::Context& context) override;
    sdk::Status read(sdk::Batch& out, std::size_t max_records, bool& end_of_input) override;
    sdk::Status acknowledge(const sdk::Acknowledgements& acks) override;

private:
    struct OpenFile {
        std::string name;  // the partition
        std::ifstream in;
        std::vector<std::string> fields;
        std::uint64_t offset = 0;  // where the next line starts
    };

    bool start_next_file();
    std::uint64_t resume_offset(const std::string& name, std::uint64_t size) const;
    void end_of_file(const std::string& name);
    void release(const sdk::ReleasableSource& source);

    sdk::Context* context_ = nullptr;
    ReaderConfig config_;
    std::vector<std::string> files_;  // as listed by open(), in name order
    std::size_t next_file_ = 0;
    std::optional<OpenFile> current_;
    sdk::SourceTracker tracker_;
};

}  // namespace csvdir
