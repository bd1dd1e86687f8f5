// `junction schema doc|check`: a dataset schema file (sdk/dataset_schema.hpp) as the
// Markdown mapping table, and whether one version evolves compatibly into another.
#include <iostream>
#include <string>
#include <vector>

#include <junction/sdk/dataset_schema.hpp>

#include "commands.hpp"

namespace junction::host {
namespace {

constexpr const char* schema_usage =
    "Usage: junction schema doc <schema.json>           print the dataset's mapping table in Markdown\n"
    "       junction schema check <old.json> <new.json>  is new a compatible evolution of old?\n";

int schema_usage_error(const std::string& what) {
    std::cerr << "junction schema: " << what << "; see 'junction schema --help'\n";
    return exit_usage;
}

}  // namespace

int cmd_schema(const GlobalOptions& /*global*/, const std::vector<std::string>& args) {
    if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
        std::cout << schema_usage;
        return exit_ok;
    }
    if (args.empty()) return schema_usage_error("no sub-command given (doc or check)");
    const std::string& sub = args[0];
    const std::size_t files = sub == "doc" ? 1 : sub == "check" ? 2 : 0;
    if (files == 0) return schema_usage_error("unknown sub-command '" + sub + "'");
    if (args.size() != files + 1)
        return schema_usage_error(sub + " takes " + (files == 1 ? std::string("one schema file") : "two schema files"));
    try {
        if (sub == "doc") {
            std::cout << sdk::render_markdown(sdk::load_dataset_schema(args[1]));
            return exit_ok;
        }
        const auto before = sdk::load_dataset_schema(args[1]);
        const auto after = sdk::load_dataset_schema(args[2]);
        const auto problems = sdk::check_evolution(before, after);
        for (const auto& p : problems)
            std::cerr << args[2] << ": " << p << '\n';
        if (!problems.empty()) return exit_invalid_config;
        std::cout << args[2] << ": a compatible evolution of " << args[1] << '\n';
        return exit_ok;
    } catch (const sdk::SchemaError& e) {
        std::cerr << e.what() << '\n';
        return exit_invalid_config;
    }
}

}  // namespace junction::host
