// The files reader's and writer's options (declared schemas), the checks the schemas
// cannot express, and the typed configs.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include <junction/sdk/options.hpp>
#include <junction/sdk/status.hpp>

namespace junction::files {

enum class FileFormat : unsigned char { auto_detect, object, array, ndjson };
enum class AfterRead : unsigned char { move, remove, keep };
enum class WriteFormat : unsigned char { object, ndjson };

// Every value comes from the options (the schema holds the defaults); folders are
// absolute, resolved by the host against the config file's folder.
struct ReaderConfig {
    std::filesystem::path dir;
    std::string pattern;
    FileFormat format;
    AfterRead after;
    std::filesystem::path processed_dir;   // <dir>/processed unless given
    std::filesystem::path quarantine_dir;  // <dir>/quarantine unless given
    std::int64_t settle_ms;
    std::uint64_t max_record_bytes;  // one record's text; bounds the reader's memory
    std::uint64_t max_file_bytes;    // 0: no limit (files stream)
};

struct WriterConfig {
    std::filesystem::path dir;
    WriteFormat format;
    std::string file_name;  // object format: template with {field} placeholders
    std::string file;       // ndjson format: the file appended to, in dir
    bool indent;
    bool fsync;
};

sdk::OptionSchema reader_options();
sdk::OptionSchema writer_options();

// What the schemas cannot say, on validated options: ok, or fatal with one line that
// starts with the option ("file_name: unclosed '{' in \"{orderNo\""). The factory's
// check_options(), so `junction validate` refuses it before any open().
sdk::Status check_reader_config(const sdk::Options& options);
sdk::Status check_writer_config(const sdk::Options& options);

// The typed configs of options validated and checked by the host.
ReaderConfig reader_config(const sdk::Options& options);
WriterConfig writer_config(const sdk::Options& options);

// The call reader.cpp makes, kept while that file is reworked on another branch:
// base_dir is unused (path options arrive resolved) and the status is always ok.
// New code calls reader_config().
sdk::Status parse_reader_config(const sdk::Options& options, std::string_view base_dir, ReaderConfig& config);

}  // namespace junction::files
