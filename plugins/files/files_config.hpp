// The files reader's and writer's options (declared schemas) and their typed configs.
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

struct ReaderConfig {
    std::filesystem::path dir;
    std::string pattern = "*.json";
    FileFormat format = FileFormat::auto_detect;
    AfterRead after = AfterRead::move;
    std::filesystem::path processed_dir;   // default <dir>/processed
    std::filesystem::path quarantine_dir;  // default <dir>/quarantine
    std::int64_t settle_ms = 0;
};

struct WriterConfig {
    std::filesystem::path dir;
    WriteFormat format = WriteFormat::object;
    std::string file_name;            // object format: template with {field} placeholders
    std::string file = "out.ndjson";  // ndjson format: the file appended to
    bool indent = false;
    bool fsync = true;
};

sdk::OptionSchema reader_options();
sdk::OptionSchema writer_options();

// Typed configs from validated options; relative paths resolve against base_dir. Options
// missing here get their declared default, so tests may pass only what they need.
sdk::Status parse_reader_config(const sdk::Options& options, std::string_view base_dir, ReaderConfig& config);
sdk::Status parse_writer_config(const sdk::Options& options, std::string_view base_dir, WriterConfig& config);

}  // namespace junction::files
