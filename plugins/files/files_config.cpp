#include "files_config.hpp"

#include "file_name_template.hpp"

namespace junction::files {

namespace fs = std::filesystem;
using sdk::OptionType;

sdk::OptionSchema reader_options() {
    return {
        {.name = "dir",
         .type = OptionType::path,
         .required = true,
         .description = "folder read from; relative paths resolve against the config file's folder"},
        {.name = "pattern",
         .type = OptionType::string,
         .default_value = "*.json",
         .min = 1,
         .description = "glob on the file name (* and ?); hidden, *.tmp and *.part files are always ignored"},
        {.name = "format",
         .type = OptionType::string,
         .default_value = "auto",
         .allowed = {"auto", "object", "array", "ndjson"},
         .description = "auto: '[' first is an array, one JSON value per line (or .ndjson/.jsonl) is NDJSON, "
                        "else one object"},
        {.name = "after",
         .type = OptionType::string,
         .default_value = "move",
         .allowed = {"move", "delete", "keep"},
         .description = "what happens to a file once all its records are acknowledged"},
        {.name = "processed_dir",
         .type = OptionType::path,
         .description = "where after=move puts files (default <dir>/processed)"},
        {.name = "quarantine_dir",
         .type = OptionType::path,
         .description = "where rejected single-object files go, with a .error.json sidecar (default "
                        "<dir>/quarantine)"},
        {.name = "settle_ms",
         .type = OptionType::integer,
         .default_value = 0,
         .min = 0.0,
         .description = "files modified more recently than this are left for the next run (still being written)"},
        {.name = "max_record_bytes",
         .type = OptionType::integer,
         .default_value = 16 * 1024 * 1024,
         .min = 1.0,
         .description = "largest record (an object file, an NDJSON line, an array element) parsed; a larger one "
                        "is skipped unread as a rejected record, the rest of its file goes on"},
        {.name = "max_file_bytes",
         .type = OptionType::integer,
         .default_value = 0,
         .min = 0.0,
         .description = "largest file read, 0 for no limit (files stream: memory is bounded by max_record_bytes); "
                        "a larger file is set aside unread"},
    };
}

sdk::OptionSchema writer_options() {
    return {
        {.name = "dir",
         .type = OptionType::path,
         .required = true,
         .description = "folder written to; relative paths resolve against the config file's folder"},
        {.name = "format",
         .type = OptionType::string,
         .default_value = "object",
         .allowed = {"object", "ndjson"},
         .description = "object: one file per record (atomic write); ndjson: lines appended to one file"},
        {.name = "file_name",
         .type = OptionType::string,
         .description = "object format: file name template with {field} placeholders (dotted paths), e.g. "
                        "\"{orderNo}.json\"; required for object format"},
        {.name = "file",
         .type = OptionType::string,
         .default_value = "out.ndjson",
         .description = "ndjson format: the file appended to, a plain name in dir"},
        {.name = "indent", .type = OptionType::boolean, .default_value = false, .description = "pretty-print objects"},
        {.name = "fsync",
         .type = OptionType::boolean,
         .default_value = true,
         .description = "make writes durable before the engine commits (off: faster, may lose the last batch on "
                        "power loss)"},
    };
}

namespace {

fs::path folder_or(const sdk::Options& options, std::string_view name, const fs::path& fallback) {
    const auto given = options.get_string(name);
    return given.empty() ? fallback : fs::path(given);
}

}  // namespace

namespace {

// A folder option naming something that exists and is not a folder (a plain file) would
// pass the schema and fail at open: say so at validate. (A path under a plain file, or in
// a folder that cannot be written, is refused by the host for every path option.)
sdk::Status folder_check(const char* option, const fs::path& dir) {
    std::error_code ec;
    const auto status = fs::status(dir, ec);
    if (fs::exists(status) && !fs::is_directory(status))
        return sdk::Status::fatal(std::string(option) + ": " + dir.string() + " is not a folder");
    return sdk::Status::ok();
}

}  // namespace

sdk::Status check_reader_config(const sdk::Options& options) {
    const auto config = reader_config(options);
    for (const auto& [option, dir] : {std::pair{"dir", config.dir}, std::pair{"processed_dir", config.processed_dir},
                                      std::pair{"quarantine_dir", config.quarantine_dir}})
        if (auto s = folder_check(option, dir); !s.is_ok()) return s;
    // Read from the same folder, a moved or quarantined file would be read again forever.
    if (config.after == AfterRead::move && config.processed_dir == config.dir)
        return sdk::Status::fatal(
            "processed_dir: must not be the folder read from (dir): files moved there would "
            "be read again");
    if (config.quarantine_dir == config.dir)
        return sdk::Status::fatal(
            "quarantine_dir: must not be the folder read from (dir): files set aside there "
            "would be read again");
    return sdk::Status::ok();
}

sdk::Status check_writer_config(const sdk::Options& options) {
    const auto config = writer_config(options);
    if (auto s = folder_check("dir", config.dir); !s.is_ok()) return s;
    if (config.format == WriteFormat::object) {
        if (config.file_name.empty())
            return sdk::Status::fatal("file_name: required for format object, e.g. \"{orderNo}.json\"");
        FileNameTemplate name;
        if (auto error = name.parse(config.file_name); !error.empty()) return sdk::Status::fatal("file_name: " + error);
    } else if (config.file.empty() || config.file.find('/') != std::string::npos || config.file == "." ||
               config.file == "..") {
        return sdk::Status::fatal("file: must be a plain file name in dir, got \"" + config.file + "\"");
    }
    return sdk::Status::ok();
}

ReaderConfig reader_config(const sdk::Options& options) {
    const auto format = options.get_string("format");
    const auto after = options.get_string("after");
    const fs::path dir = options.get_string("dir");
    return {
        .dir = dir,
        .pattern = options.get_string("pattern"),
        .format = format == "object"   ? FileFormat::object
                  : format == "array"  ? FileFormat::array
                  : format == "ndjson" ? FileFormat::ndjson
                                       : FileFormat::auto_detect,
        .after = after == "delete" ? AfterRead::remove
                 : after == "keep" ? AfterRead::keep
                                   : AfterRead::move,
        .processed_dir = folder_or(options, "processed_dir", dir / "processed"),
        .quarantine_dir = folder_or(options, "quarantine_dir", dir / "quarantine"),
        .settle_ms = options.get_int("settle_ms"),
        .max_record_bytes = static_cast<std::uint64_t>(options.get_int("max_record_bytes")),
        .max_file_bytes = static_cast<std::uint64_t>(options.get_int("max_file_bytes")),
    };
}

WriterConfig writer_config(const sdk::Options& options) {
    return {
        .dir = options.get_string("dir"),
        .format = options.get_string("format") == "ndjson" ? WriteFormat::ndjson : WriteFormat::object,
        .file_name = options.get_string("file_name"),
        .file = options.get_string("file"),
        .indent = options.get_bool("indent"),
        .fsync = options.get_bool("fsync"),
    };
}

sdk::Status parse_reader_config(const sdk::Options& options, std::string_view, ReaderConfig& config) {
    config = reader_config(options);
    return sdk::Status::ok();
}

}  // namespace junction::files
