// The `junction` command line: global options, then one command with its own arguments.
#include <cstdlib>
#include <exception>
#include <functional>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include <boost/program_options.hpp>
#include <boost/version.hpp>

#include <junction/core/plugin_registry.hpp>
#include <junction/sdk/abi.hpp>

#include "commands.hpp"

#ifndef JUNCTION_VERSION
#define JUNCTION_VERSION "0.0.0"
#endif

namespace po = boost::program_options;
using namespace junction;

namespace {

using Command = std::function<int(const host::GlobalOptions&, const std::vector<std::string>&)>;

const std::map<std::string, Command>& commands() {
    static const std::map<std::string, Command> table = {
        {"plugins", host::cmd_plugins}, {"run", host::cmd_run},   {"validate", host::cmd_validate},
        {"check", host::cmd_check},     {"runs", host::cmd_runs}, {"dead-letters", host::cmd_dead_letters},
        {"schema", host::cmd_schema},
    };
    return table;
}

// Usage errors are one line and a pointer to --help; no usage dump drowns the cause.
int usage_error(const std::string& what) {
    std::cerr << "junction: " << what << "; see 'junction --help'\n";
    return host::exit_usage;
}

// Options that may come before or after the command (so `plugins list --plugin-dir x` works).
po::options_description anywhere_options() {
    po::options_description d("Global options");
    d.add_options()("plugin-dir", po::value<std::vector<std::string>>()->composing()->value_name("DIR"),
                    "look for plugins in DIR first (repeatable)")(
        "log-level", po::value<std::string>()->value_name("LEVEL"), "trace|debug|info|warning|error (default info)")(
        "log-format", po::value<std::string>()->value_name("FORMAT"), "text|json (default text)");
    return d;
}

po::options_description global_options() {
    po::options_description d = anywhere_options();
    d.add_options()("version", po::bool_switch(), "print the version, SDK ABI and build, then exit")(
        "help,h", po::bool_switch(), "print this help, then exit");
    return d;
}

constexpr int parse_style = po::command_line_style::default_style & ~po::command_line_style::allow_guessing;

void print_help(std::ostream& out) {
    out << "Usage: junction [global options] <command> [arguments]\n"
           "\n"
           "Runs integration pipelines (reader -> translators -> writer) of connector plugins.\n"
           "\n"
           "Commands:\n"
           "  run <config>              run the pipelines of a config file\n"
           "  validate <config>         check a config file and every plugin option in it, run nothing\n"
           "  check <config>            check that the systems a config names can be reached\n"
           "  runs <config> [pipeline]  list past runs from the state store, newest first (--pushes: the push log)\n"
           "  dead-letters <config> <pipeline>  list, or --replay, records that were set aside\n"
           "  schema doc <schema.json>  print a dataset schema's mapping table in Markdown\n"
           "  schema check <old> <new>  refuse a schema version that would break the rows already sent\n"
           "  plugins list              list the plugins found: name, version, status, kinds, file\n"
           "  plugins describe <name>   a plugin's components and options (--json for machines)\n"
           "  Each command takes --help for its own arguments.\n"
           "\n"
        << global_options()
        << "\n"
           "Plugin folders, searched in this order (only lib*.so directly inside):\n"
           "  --plugin-dir, JUNCTION_PLUGIN_PATH (colon-separated), the config's plugin_dirs,\n"
           "  then the bundled folder "
        << core::PluginRegistry::bundled_plugin_dir().string()
        << "\n"
           "\n"
           "Exit codes:\n"
        << "  " << host::exit_ok << "  success\n"
        << "  " << host::exit_failure << "  failure: a pipeline failed, a check failed, a plugin was not found\n"
        << "  " << host::exit_usage << "  bad command line\n"
        << "  " << host::exit_invalid_config << "  the config file is unreadable or invalid\n";
}

void print_version(std::ostream& out) {
    out << "junction " << JUNCTION_VERSION << " (SDK " << JUNCTION_SDK_VERSION << ", ABI " << JUNCTION_SDK_ABI_MAJOR
        << "." << JUNCTION_SDK_ABI_MINOR << ", "
#if defined(__clang__)
        << "Clang " << __clang_major__ << "." << __clang_minor__
#elif defined(__GNUC__)
        << "GCC " << __GNUC__ << "." << __GNUC_MINOR__
#else
        << "unknown compiler"
#endif
        << ", Boost " << BOOST_VERSION / 100000 << "." << BOOST_VERSION / 100 % 1000 << ", " << JUNCTION_PLATFORM
        << ")\n";
}

bool takes_value(std::string_view token) {
    return token == "--plugin-dir" || token == "--log-level" || token == "--log-format";
}

int run_main(int argc, char** argv) {
    std::vector<std::string> before;  // global options before the command
    std::string command;
    std::vector<std::string> after;  // everything after the command
    for (int i = 1; i < argc; ++i) {
        const std::string_view token = argv[i];
        if (!command.empty()) {
            after.emplace_back(token);
        } else if (token == "--") {
            if (i + 1 < argc) command = argv[++i];
        } else if (token.size() > 1 && token.front() == '-') {
            before.emplace_back(token);
            if (takes_value(token) && i + 1 < argc) before.emplace_back(argv[++i]);
        } else {
            command = token;
        }
    }

    // Parsed options point into their description: both must outlive store().
    const po::options_description global_desc = global_options();
    const po::options_description anywhere_desc = anywhere_options();
    po::variables_map vm;
    std::vector<std::string> args;
    try {
        po::store(po::command_line_parser(before).options(global_desc).style(parse_style).run(), vm);
        const auto parsed =
            po::command_line_parser(after).options(anywhere_desc).style(parse_style).allow_unregistered().run();
        po::store(parsed, vm);
        args = po::collect_unrecognized(parsed.options, po::include_positional);
        po::notify(vm);
    } catch (const po::error& e) {
        return usage_error(e.what());
    }

    if (vm["help"].as<bool>() || command == "help") {
        print_help(std::cout);
        return host::exit_ok;
    }
    if (vm["version"].as<bool>()) {
        print_version(std::cout);
        return host::exit_ok;
    }

    host::GlobalOptions global;
    if (vm.count("plugin-dir"))
        for (const auto& d : vm["plugin-dir"].as<std::vector<std::string>>())
            global.plugin_dirs.emplace_back(d);
    if (vm.count("log-level") && !core::parse_log_level(vm["log-level"].as<std::string>(), global.log.level))
        return usage_error("--log-level must be one of trace, debug, info, warning, error, not '" +
                           vm["log-level"].as<std::string>() + "'");
    if (vm.count("log-format") && !core::parse_log_format(vm["log-format"].as<std::string>(), global.log.format))
        return usage_error("--log-format must be text or json, not '" + vm["log-format"].as<std::string>() + "'");

    if (command.empty()) return usage_error("no command given");
    const auto it = commands().find(command);
    if (it == commands().end()) return usage_error("unknown command '" + command + "'");

    core::init_logging(global.log);
    return it->second(global, args);
}

}  // namespace

int main(int argc, char** argv) {
    // Before any plugin is loaded: libraries that a plugin links run their initializers at
    // load, before the plugin can set anything. libmongoc's (the bundled mongodb plugin's
    // driver) maps a /dev/shm/mongoc-<pid> file for statistics no one reads here; a killed
    // process leaves it behind, and a later process given the same pid then prints a
    // "Falling back to malloc for counters." warning outside every log format (seen in
    // about 3% of runs on a test machine). Off unless the operator sets it.
    ::setenv("MONGOC_DISABLE_SHM", "1", 0);
    try {
        return run_main(argc, argv);
    } catch (const std::exception& e) {
        // The last net: one line, never a stack trace.
        std::cerr << "junction: " << e.what() << '\n';
        return host::exit_failure;
    } catch (...) {
        std::cerr << "junction: unexpected error\n";
        return host::exit_failure;
    }
}
