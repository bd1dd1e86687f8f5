// `junction plugins list|describe`: what the loader found, for people and for machines.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

#include <junction/core/plugin_registry.hpp>
#include <junction/sdk/json_text.hpp>

#include "commands.hpp"

namespace junction::host {
namespace {

constexpr const char* plugins_usage =
    "Usage: junction [global options] plugins list\n"
    "       junction [global options] plugins describe <name> [--json]\n";

int plugins_usage_error(const std::string& what) {
    std::cerr << "junction plugins: " << what << "; see 'junction plugins --help'\n";
    return exit_usage;
}

std::string kinds_of(const sdk::PluginInfo& info) {
    std::string out;
    for (const auto& c : info.components) {
        if (!out.empty()) out += ',';
        out += sdk::to_string(c.kind);
    }
    return out.empty() ? "-" : out;
}

// The registry's warnings would repeat the report these commands print themselves,
// so loading runs quieter than the user's level; the user's level comes back after.
void load_quietly(core::PluginRegistry& registry, const GlobalOptions& global) {
    core::LogSettings quiet = global.log;
    quiet.level = std::max(quiet.level, sdk::LogLevel::error);
    core::init_logging(quiet);
    registry.load_directories(core::PluginRegistry::search_path(global.plugin_dirs, {}));
    core::init_logging(global.log);
}

void report_problems(const core::PluginRegistry& registry) {
    for (const auto& p : registry.problems())
        std::cerr << "junction: skipped " << p.message << '\n';
}

int list(const GlobalOptions& global) {
    core::PluginRegistry registry;
    load_quietly(registry, global);
    report_problems(registry);

    const auto plugins = registry.plugins();
    if (plugins.empty()) {
        std::cout << "no plugins found; searched:";
        for (const auto& d : core::PluginRegistry::search_path(global.plugin_dirs, {}))
            std::cout << ' ' << d.string();
        std::cout << '\n';
        return exit_ok;
    }
    std::vector<std::vector<std::string>> rows = {{"NAME", "VERSION", "STATUS", "KINDS", "FILE"}};
    for (const auto* p : plugins)
        rows.push_back({p->info().name, p->info().version, sdk::to_string(p->info().status), kinds_of(p->info()),
                        p->file().string()});
    std::vector<std::size_t> width(rows.front().size(), 0);
    for (const auto& r : rows)
        for (std::size_t i = 0; i < r.size(); ++i)
            width[i] = std::max(width[i], r[i].size());
    for (const auto& r : rows) {
        std::string line;
        for (std::size_t i = 0; i < r.size(); ++i) {
            line += r[i];
            if (i + 1 < r.size()) line += std::string(width[i] - r[i].size() + 2, ' ');
        }
        std::cout << line << '\n';
    }
    return exit_ok;
}

// A default of a secret option is as secret as a value.
boost::json::value shown_default(const sdk::OptionSpec& o) {
    if (o.default_value.is_null()) return nullptr;
    return o.secret ? boost::json::value("***") : o.default_value;
}

// Whole bounds print as integers (0, not 0E0), which is what a schema author wrote.
boost::json::value bound_json(const std::optional<double>& bound) {
    if (!bound) return nullptr;
    const double v = *bound;
    if (std::trunc(v) == v && std::abs(v) < 9.0e15) return static_cast<std::int64_t>(v);
    return v;
}

boost::json::object option_json(const sdk::OptionSpec& o) {
    boost::json::object j;
    j["name"] = o.name;
    j["type"] = sdk::to_string(o.type);
    j["required"] = o.required;
    j["default"] = shown_default(o);
    boost::json::array allowed;
    for (const auto& a : o.allowed)
        allowed.emplace_back(a);
    j["allowed"] = std::move(allowed);
    j["min"] = bound_json(o.min);
    j["max"] = bound_json(o.max);
    j["pattern"] = o.pattern.empty() ? boost::json::value(nullptr) : boost::json::value(o.pattern);
    j["secret"] = o.secret;
    j["description"] = o.description;
    // A preset-selecting option (sdk/detail/option_check.hpp): every preset, whole.
    if (const auto* presets = o.extra.if_contains("presets"); presets != nullptr && presets->is_object())
        j["presets"] = *presets;
    return j;
}

boost::json::object plugin_json(const core::LoadedPlugin& p) {
    const auto& info = p.info();
    const auto& m = p.manifest();
    boost::json::object j;
    j["name"] = info.name;
    j["version"] = info.version;
    j["status"] = sdk::to_string(info.status);
    j["description"] = info.description;
    j["file"] = p.file().string();
    j["sdk"] = {{"version", m.sdk_version != nullptr ? m.sdk_version : ""},
                {"abi", std::to_string(m.abi_major) + "." + std::to_string(m.abi_minor)}};
    boost::json::array components;
    for (const auto& c : info.components) {
        boost::json::array options;
        for (const auto& o : c.options)
            options.push_back(option_json(o));
        components.push_back(boost::json::object{{"kind", sdk::to_string(c.kind)},
                                                 {"description", c.description},
                                                 {"thread_safe", c.thread_safe},
                                                 {"options", std::move(options)}});
    }
    j["components"] = std::move(components);
    return j;
}

std::string format_number(double v) {
    std::ostringstream s;
    s << v;
    return s.str();
}

// One line of facts per option, then its description indented under it.
void print_option(std::ostream& out, const sdk::OptionSpec& o) {
    std::vector<std::string> facts = {sdk::to_string(o.type)};
    if (o.required) facts.emplace_back("required");
    if (!o.default_value.is_null()) facts.push_back("default " + sdk::to_json_text(shown_default(o)));
    if (!o.allowed.empty()) {
        std::string s = "one of ";
        for (std::size_t i = 0; i < o.allowed.size(); ++i)
            s += (i ? ", " : "") + o.allowed[i];
        facts.push_back(std::move(s));
    }
    if (o.min && o.max)
        facts.push_back("from " + format_number(*o.min) + " to " + format_number(*o.max));
    else if (o.min)
        facts.push_back("at least " + format_number(*o.min));
    else if (o.max)
        facts.push_back("at most " + format_number(*o.max));
    if (!o.pattern.empty()) facts.push_back("matching /" + o.pattern + "/");
    if (o.secret) facts.emplace_back("secret");
    out << "    " << o.name << "  (";
    for (std::size_t i = 0; i < facts.size(); ++i)
        out << (i ? ", " : "") << facts[i];
    out << ")\n";
    if (!o.description.empty()) out << "        " << o.description << '\n';
    // The presets it names, one line each (--json gives their options).
    if (const auto* presets = o.extra.if_contains("presets"); presets != nullptr && presets->is_object()) {
        out << "        presets (their options: --json):\n";
        for (const auto& [name, preset] : presets->get_object()) {
            const auto* d = preset.is_object() ? preset.get_object().if_contains("description") : nullptr;
            out << "          " << std::string_view(name) << ": "
                << (d != nullptr && d->is_string() ? std::string_view(d->get_string()) : std::string_view()) << '\n';
        }
    }
}

void print_plugin(std::ostream& out, const core::LoadedPlugin& p) {
    const auto& info = p.info();
    const auto& m = p.manifest();
    out << info.name << ' ' << info.version << " (" << sdk::to_string(info.status) << ")\n";
    if (!info.description.empty()) out << "  " << info.description << '\n';
    out << "  file: " << p.file().string() << '\n';
    out << "  built against SDK " << (m.sdk_version != nullptr ? m.sdk_version : "?") << " (ABI " << m.abi_major << '.'
        << m.abi_minor << ")\n";
    for (const auto& c : info.components) {
        out << '\n' << sdk::to_string(c.kind);
        if (c.thread_safe) out << " (thread-safe)";
        if (!c.description.empty()) out << ": " << c.description;
        out << '\n';
        if (c.options.empty()) {
            out << "  no options\n";
            continue;
        }
        out << "  options:\n";
        for (const auto& o : c.options)
            print_option(out, o);
    }
}

int describe(const GlobalOptions& global, const std::vector<std::string>& args) {
    std::string name;
    bool json = false;
    for (std::size_t i = 1; i < args.size(); ++i) {
        if (args[i] == "--json")
            json = true;
        else if (args[i].starts_with("-"))
            return plugins_usage_error("unknown option '" + args[i] + "' for describe");
        else if (name.empty())
            name = args[i];
        else
            return plugins_usage_error("describe takes one plugin name, got '" + name + "' and '" + args[i] + "'");
    }
    if (name.empty()) return plugins_usage_error("describe needs a plugin name");

    core::PluginRegistry registry;
    load_quietly(registry, global);
    const auto* plugin = registry.find(name);
    if (plugin == nullptr) {
        // A refused library of that name is the likeliest reason: say so.
        const std::string refused_prefix = "plugin " + name + " (";
        for (const auto& p : registry.problems())
            if (p.message.starts_with(refused_prefix)) {
                std::cerr << "junction: plugin " << name << " is not loaded: " << p.message << '\n';
                return exit_failure;
            }
        std::string known;
        for (const auto* p : registry.plugins())
            known += (known.empty() ? "" : ", ") + p->info().name;
        std::cerr << "junction: no plugin named '" << name << "'; found: " << (known.empty() ? "none" : known)
                  << " (see 'junction plugins list')\n";
        return exit_failure;
    }
    if (json)
        std::cout << sdk::to_json_text(plugin_json(*plugin)) << '\n';
    else
        print_plugin(std::cout, *plugin);
    return exit_ok;
}

}  // namespace

int cmd_plugins(const GlobalOptions& global, const std::vector<std::string>& args) {
    if (args.empty()) return plugins_usage_error("which one: list or describe");
    const std::string& sub = args.front();
    if (sub == "--help" || sub == "-h" || sub == "help") {
        std::cout << plugins_usage;
        return exit_ok;
    }
    if (sub == "list") {
        if (args.size() > 1) return plugins_usage_error("list takes no argument, got '" + args[1] + "'");
        return list(global);
    }
    if (sub == "describe") return describe(global, args);
    return plugins_usage_error("unknown plugins command '" + sub + "'");
}

}  // namespace junction::host
