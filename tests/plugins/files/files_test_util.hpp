// Helpers of the files plugin tests: a fresh folder per test, file writing, and
// driving a reader through a whole run.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "files_config.hpp"
#include "reader.hpp"
#include "test_context.hpp"

#include "temp_dir.hpp"

namespace junction::test {

namespace fs = std::filesystem;

// How many lines of this level contain the text.
inline std::size_t count_lines(const RecordingLogger& logger, sdk::LogLevel level, std::string_view text) {
    std::size_t n = 0;
    for (const auto& l : logger.lines())
        if (l.level == level && l.message.find(text) != std::string::npos) ++n;
    return n;
}

inline void write_text(const fs::path& path, std::string_view text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
    REQUIRE(out.good());
}

inline std::string read_text(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

inline std::vector<std::string> names_in(const fs::path& dir) {
    std::vector<std::string> names;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
        names.push_back(it->path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

// Reads until end of input; every batch is handed to `on_batch` (e.g. to acknowledge it).
template <class OnBatch>
std::vector<sdk::Record> read_all(files::FilesReader& reader, std::size_t batch_size, OnBatch&& on_batch) {
    std::vector<sdk::Record> all;
    for (int calls = 0; calls < 100000; ++calls) {
        sdk::Batch batch;
        bool end = false;
        REQUIRE(reader.read(batch, batch_size, end).is_ok());
        on_batch(batch);
        for (auto& r : batch)
            all.push_back(std::move(r));
        if (end) return all;
    }
    FAIL("reader never reached end of input");
    return all;
}

inline std::vector<sdk::Record> read_all(files::FilesReader& reader, std::size_t batch_size = 100) {
    return read_all(reader, batch_size, [](sdk::Batch&) {});
}

// Acknowledges a batch the way the engine does: error records and `reject`ed ones as rejected.
template <class Reject>
void acknowledge(files::FilesReader& reader, const sdk::Batch& batch, Reject&& reject) {
    std::vector<sdk::Acknowledgement> acks;
    for (const auto& r : batch) {
        sdk::Acknowledgement a;
        a.meta = r.meta;
        const bool rejected = !r.meta.error.empty() || reject(r);
        a.outcome = rejected ? sdk::Outcome::rejected : sdk::Outcome::written;
        a.reason = !r.meta.error.empty() ? r.meta.error : (rejected ? "orderNo: expected integer, got string" : "");
        acks.push_back(std::move(a));
    }
    REQUIRE(reader.acknowledge(Acks(std::move(acks))).is_ok());
}

inline void acknowledge_all(files::FilesReader& reader, const sdk::Batch& batch) {
    acknowledge(reader, batch, [](const sdk::Record&) { return false; });
}

}  // namespace junction::test
