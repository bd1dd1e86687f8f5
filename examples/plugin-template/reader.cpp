#include "reader.hpp"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <system_error>

#include <boost/json/object.hpp>

namespace csvdir {

namespace fs = std::filesystem;

namespace {

std::vector<std::string> split(const std::string& line, char separator) {
    std::vector<std::string> out;
    std::size_t start = 0;
    for (auto at = line.find(separator); at != std::string::npos; at = line.find(separator, start)) {
        out.push_back(line.substr(start, at - start));
        start = at + 1;
    }
    out.push_back(line.substr(start));
    return out;
}

// The next line without its line ending, advancing `offset` past it; false at the end.
bool next_line(std::ifstream& in, std::uint64_t& offset, std::string& line) {
    if (!std::getline(in, line)) return false;
    offset += line.size() + (in.eof() ? 0 : 1);  // a last line may lack its '\n'
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return true;
}

}  // namespace

sdk::Status CsvReader::open(sdk::Context& context) {
    context_ = &context;
    config_ = reader_config(context.options());
    std::error_code ec;
    if (!fs::is_directory(config_.dir, ec))
        return sdk::Status::fatal("dir: " + config_.dir.string() + " is not a folder");
    for (fs::directory_iterator it(config_.dir, ec), end; !ec && it != end; it.increment(ec)) {
        const auto name = it->path().filename().string();
        if (it->is_regular_file() && name.ends_with(config_.extension)) files_.push_back(name);
    }
    if (ec) return sdk::Status::retry("cannot list " + config_.dir.string() + ": " + ec.message());
    std::sort(files_.begin(), files_.end());

    // A position whose file is gone: a crash came between a release and its
    // drop_position(). Nothing is in flight yet, so drop it now.
    std::vector<std::string> gone;
    for (const auto& [partition, offset] : context.committed())
        if (!std::binary_search(files_.begin(), files_.end(), partition)) gone.push_back(partition);
    for (const auto& partition : gone)
        context.drop_position(partition);
    return sdk::Status::ok();
}

// After the committed position of the file, if any. A position past the end means the
// file was replaced by a shorter one: it is read from the start. (A position is a bare
// offset, so a file replaced by one at least as long is not told apart; the window is
// small, as a file's position is dropped as soon as the file is released.)
std::uint64_t CsvReader::resume_offset(const std::string& name, std::uint64_t size) const {
    const auto committed = context_->committed_position(name);
    if (!committed) return 0;
    std::uint64_t offset = 0;
    const auto [end, ec] = std::from_chars(committed->data(), committed->data() + committed->size(), offset);
    if (ec != std::errc{} || end != committed->data() + committed->size() || offset > size) {
        context_->log().warn(name + ": position " + *committed + " does not fit the file (" + std::to_string(size) +
                             " bytes): read from the start");
        return 0;
    }
    return offset;
}

// Opens the next file to read, skipping the ones with nothing left; false when none is.
bool CsvReader::start_next_file() {
    while (next_file_ < files_.size()) {
        const auto& name = files_[next_file_++];
        std::error_code ec;
        const auto size = fs::file_size(config_.dir / name, ec);
        if (ec) {  // gone or unreadable since open(): left for the next run
            context_->log().warn("skipping " + name + ": " + ec.message());
            continue;
        }
        const auto offset = resume_offset(name, size);
        if (offset > 0 && offset == size) {
            // Every line committed, the file not released: a crash came between the
            // commit and acknowledge(). Release it without reading it again.
            end_of_file(name);
            continue;
        }
        OpenFile file;
        file.name = name;
        file.in.open(config_.dir / name, std::ios::binary);
        std::string header;
        if (!file.in || !next_line(file.in, file.offset, header)) {
            if (file.in.eof())
                end_of_file(name);  // empty: nothing to deliver
            else
                context_->log().warn("skipping " + name + ": cannot read it");
            continue;
        }
        file.fields = split(header, config_.separator);
        if (offset > file.offset) {  // resume after the committed line; else start after the header
            file.in.seekg(static_cast<std::streamoff>(offset));
            file.offset = offset;
        }
        current_.emplace(std::move(file));
        return true;
    }
    return false;
}

sdk::Status CsvReader::read(sdk::Batch& out, std::size_t max_records, bool& end_of_input) {
    end_of_input = false;
    std::string line;
    while (out.size() < max_records) {
        if (context_->stop_requested()) return sdk::Status::ok();
        if (!current_ && !start_next_file()) {
            end_of_input = true;
            return sdk::Status::ok();
        }
        auto& file = *current_;
        const auto start = file.offset;
        if (!next_line(file.in, file.offset, line)) {
            if (file.in.bad()) return sdk::Status::fatal("cannot read " + (config_.dir / file.name).string());
            const auto name = file.name;
            current_.reset();
            end_of_file(name);
            continue;
        }
        if (line.empty()) continue;

        sdk::Record record;
        record.meta.partition = file.name;
        record.meta.position = std::to_string(file.offset);  // resume after this line
        record.meta.source = file.name + "@" + std::to_string(start);
        record.meta.received_at = context_->clock().now();
        const auto values = split(line, config_.separator);
        if (values.size() == file.fields.size()) {
            for (std::size_t i = 0; i < values.size(); ++i)
                record.payload[file.fields[i]] = values[i];
        } else {
            // Input that is not a record: the engine dead-letters it with this reason.
            record.meta.error =
                "expected " + std::to_string(file.fields.size()) + " fields, got " + std::to_string(values.size());
            record.payload["file"] = file.name;
            record.payload["text"] = line;
        }
        tracker_.read(file.name);
        out.push_back(std::move(record));
    }
    return sdk::Status::ok();
}

void CsvReader::end_of_file(const std::string& name) {
    // Releasable at once when every record read of it is already settled (or none was).
    if (auto source = tracker_.end(name)) release(*source);
}

sdk::Status CsvReader::acknowledge(const sdk::Acknowledgements& acks) {
    // The engine committed these records' positions before this call.
    for (const auto& source : tracker_.acknowledge(acks))
        release(source);
    return sdk::Status::ok();
}

void CsvReader::release(const sdk::ReleasableSource& source) {
    const auto path = config_.dir / source.partition;
    std::error_code ec;
    if (config_.delete_after) {
        fs::remove(path, ec);
    } else {
        fs::create_directories(config_.done_dir, ec);
        if (!ec) fs::rename(path, config_.done_dir / source.partition, ec);
    }
    if (ec) {
        // Its position stays: the next run finds it fully committed and releases it.
        context_->log().error("cannot release " + source.partition + ": " + ec.message());
        return;
    }
    context_->drop_position(source.partition);
    if (!source.all_written())
        context_->log().warn(source.partition + ": " + std::to_string(source.rejected) + " of " +
                             std::to_string(source.records()) + " records in the dead-letter store");
}

}  // namespace csvdir
