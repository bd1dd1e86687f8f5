#include "csvdir_config.hpp"

namespace csvdir {

using sdk::OptionType;

sdk::OptionSchema reader_options() {
    return {
        {.name = "dir",
         .type = OptionType::path,
         .required = true,
         .description = "the folder whose files are read (relative: to the config file's folder)"},
        {.name = "extension",
         .type = OptionType::string,
         .default_value = ".csv",
         .pattern = R"(\.[A-Za-z0-9]+)",
         .description = "only files whose name ends with it are read; write files under another name and rename"},
        {.name = "separator",
         .type = OptionType::string,
         .default_value = ",",
         .min = 1,
         .max = 1,
         .description = "the field separator; no quoting, so a value cannot contain it"},
        {.name = "after",
         .type = OptionType::string,
         .default_value = "move",
         .allowed = {"move", "delete"},
         .description = "what happens to a file once every line of it is written or dead-lettered"},
        {.name = "done_dir",
         .type = OptionType::path,
         .description = "where after=move puts files (left out: done/ inside dir)"},
    };
}

sdk::OptionSchema translator_options() {
    return {
        {.name = "fields",
         .type = OptionType::string_list,
         .required = true,
         .min = 1,
         .description = "the top-level fields to upper-case (ASCII letters)"},
        {.name = "strict",
         .type = OptionType::boolean,
         .default_value = false,
         .description = "reject a record that lacks one of the fields"},
    };
}

sdk::Status check_reader_options(const sdk::Options& options) {
    if (options.has("done_dir") && options.get_string("after") == "delete")
        return sdk::Status::fatal("done_dir: only used with after: move, and after is delete");
    if (options.has("done_dir") && options.get_string("done_dir") == options.get_string("dir"))
        return sdk::Status::fatal("done_dir: must not be dir itself");
    return sdk::Status::ok();
}

ReaderConfig reader_config(const sdk::Options& options) {
    ReaderConfig c;
    c.dir = options.get_string("dir");
    c.extension = options.get_string("extension");
    c.separator = options.get_string("separator").front();  // exactly one character: the schema says so
    c.delete_after = options.get_string("after") == "delete";
    c.done_dir = options.has("done_dir") ? std::filesystem::path(options.get_string("done_dir")) : c.dir / "done";
    return c;
}

TranslatorConfig translator_config(const sdk::Options& options) {
    return {.fields = options.get_strings("fields"), .strict = options.get_bool("strict")};
}

}  // namespace csvdir
