#include "files_config.hpp"

namespace junction::files {

namespace fs = std::filesystem;
using sdk::OptionType;

sdk::OptionSchema reader_options() {
    return {
        {.name = "dir",
         .type = OptionType::string,
         .required = true,
         .description = "folder read from; relative paths resolve against the config file's folder"},
        {.name = "pattern",
         .type = OptionType::string,
         .default_value = "*.json",
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
         .type = OptionType::string,
         .description = "where after=move puts files (default <dir>/processed)"},
        {.name = "quarantine_dir",
         .type = OptionType::string,
         .description = "where rejected single-object files go, with a .error.json sidecar (default "
                        "<dir>/quarantine)"},
        {.name = "settle_ms",
         .type = OptionType::integer,
         .default_value = 0,
         .min = 0.0,
         .description = "files modified more recently than this are left for the next run (still being written)"},
    };
}

sdk::OptionSchema writer_options() {
    return {
        {.name = "dir", .type = OptionType::string, .required = true, .description = "folder written to"},
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
         .description = "ndjson format: the file appended to"},
        {.name = "indent", .type = OptionType::boolean, .default_value = false, .description = "pretty-print objects"},
        {.name = "fsync",
         .type = OptionType::boolean,
         .default_value = true,
         .description = "make writes durable before the engine commits (off: faster, may lose the last batch on "
                        "power loss)"},
    };
}

namespace {

fs::path resolve(std::string_view base_dir, const std::string& p) {
    fs::path path(p);
    if (path.is_relative() && !base_dir.empty()) path = fs::path(base_dir) / path;
    return path.lexically_normal();
}

sdk::Status bad(std::string_view what) {
    return sdk::Status::fatal("files: " + std::string(what));
}

}  // namespace

sdk::Status parse_reader_config(const sdk::Options& options, std::string_view base_dir, ReaderConfig& config) {
    config = {};
    const auto dir = options.get_string("dir");
    if (dir.empty()) return bad("option dir is required");
    config.dir = resolve(base_dir, dir);
    config.pattern = options.get_string("pattern", "*.json");
    if (config.pattern.empty()) return bad("option pattern must not be empty");

    const auto format = options.get_string("format", "auto");
    if (format == "auto")
        config.format = FileFormat::auto_detect;
    else if (format == "object")
        config.format = FileFormat::object;
    else if (format == "array")
        config.format = FileFormat::array;
    else if (format == "ndjson")
        config.format = FileFormat::ndjson;
    else
        return bad("option format must be auto, object, array or ndjson, got \"" + format + "\"");

    const auto after = options.get_string("after", "move");
    if (after == "move")
        config.after = AfterRead::move;
    else if (after == "delete")
        config.after = AfterRead::remove;
    else if (after == "keep")
        config.after = AfterRead::keep;
    else
        return bad("option after must be move, delete or keep, got \"" + after + "\"");

    const auto processed = options.get_string("processed_dir");
    config.processed_dir = processed.empty() ? config.dir / "processed" : resolve(base_dir, processed);
    const auto quarantine = options.get_string("quarantine_dir");
    config.quarantine_dir = quarantine.empty() ? config.dir / "quarantine" : resolve(base_dir, quarantine);
    config.settle_ms = options.get_int("settle_ms", 0);
    if (config.settle_ms < 0) return bad("option settle_ms must be at least 0");
    return sdk::Status::ok();
}

sdk::Status parse_writer_config(const sdk::Options& options, std::string_view base_dir, WriterConfig& config) {
    config = {};
    const auto dir = options.get_string("dir");
    if (dir.empty()) return bad("option dir is required");
    config.dir = resolve(base_dir, dir);
    const auto format = options.get_string("format", "object");
    if (format == "object")
        config.format = WriteFormat::object;
    else if (format == "ndjson")
        config.format = WriteFormat::ndjson;
    else
        return bad("option format must be object or ndjson, got \"" + format + "\"");
    config.file_name = options.get_string("file_name");
    if (config.format == WriteFormat::object && config.file_name.empty())
        return bad("option file_name is required for format object (e.g. \"{orderNo}.json\")");
    config.file = options.get_string("file", "out.ndjson");
    if (config.file.empty() || config.file.find('/') != std::string::npos || config.file == "." || config.file == "..")
        return bad("option file must be a plain file name, got \"" + config.file + "\"");
    config.indent = options.get_bool("indent", false);
    config.fsync = options.get_bool("fsync", true);
    return sdk::Status::ok();
}

}  // namespace junction::files
