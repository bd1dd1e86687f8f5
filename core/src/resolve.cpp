// Binding a pipeline's config to loaded plugins and validated options.
#include <algorithm>

#include "junction/core/engine.hpp"
#include "junction/core/option_validation.hpp"

namespace junction::core {

std::size_t ResolvedPipeline::effective_workers() const {
    const bool all_safe = std::all_of(translators.begin(), translators.end(),
                                      [](const ResolvedStage& s) { return s.component && s.component->thread_safe; });
    return all_safe ? std::max<std::size_t>(1, config->workers) : 1;
}

namespace {

// A `connection` option naming no entry of the config's connections section, refused at
// validate rather than at the first request.
void check_connection_names(const sdk::OptionSchema& schema, const sdk::Options& options, const Config& config,
                            const std::string& path, std::vector<ConfigError>& errors) {
    for (const auto& spec : schema) {
        if (spec.type != sdk::OptionType::connection || !options.has(spec.name)) continue;
        const auto name = options.get_string(spec.name);
        const auto& names = config.connection_names;
        if (name.empty() || std::find(names.begin(), names.end(), name) != names.end()) continue;
        std::string declared;
        for (const auto& n : names)
            declared += (declared.empty() ? "" : ", ") + n;
        errors.push_back({path + "." + spec.name, "no connection named \"" + std::string(name) +
                                                      "\" in the config's connections section (declared: " +
                                                      (declared.empty() ? "none" : declared) + ")"});
    }
}

}  // namespace

bool resolve_component(const StageConfig& sc, sdk::Kind kind, const PluginRegistry& registry, const Config& config,
                       ResolvedStage& out, std::vector<ConfigError>& errors) {
    const auto& base_dir = config.base_dir;
    out.config = &sc;
    if (sc.plugin.empty()) return false;  // already reported by the config parser
    out.plugin = registry.find(sc.plugin);
    if (out.plugin == nullptr) {
        std::string known;
        for (const auto* p : registry.plugins())
            if (p->info().find(kind) != nullptr) known += (known.empty() ? "" : ", ") + p->info().name;
        errors.push_back({sc.path + ".plugin", "no plugin named \"" + sc.plugin + "\" is loaded; " +
                                                   std::string(sdk::to_string(kind)) +
                                                   "s available: " + (known.empty() ? "none" : known) +
                                                   " (see `junction plugins list` and --plugin-dir)"});
        return false;
    }
    out.component = out.plugin->info().find(kind);
    if (out.component == nullptr) {
        errors.push_back(
            {sc.path + ".plugin", "plugin \"" + sc.plugin + "\" provides no " + std::string(sdk::to_string(kind))});
        return false;
    }
    const auto before = errors.size();
    out.options = validate_options(out.component->options, sc.options, sc.path + ".options", base_dir, errors);
    if (errors.size() != before) return false;
    check_connection_names(out.component->options, out.options, config, sc.path + ".options", errors);
    if (errors.size() != before) return false;
    // What open() would trip on for a path alone (under a file, no permission).
    for (const auto& spec : out.component->options) {
        if (spec.type != sdk::OptionType::path || !out.options.has(spec.name)) continue;
        const auto value = out.options.get_string(spec.name);
        if (value.empty()) continue;
        if (auto p = path_problem(value); !p.empty()) errors.push_back({sc.path + ".options." + spec.name, p});
    }
    if (errors.size() != before) return false;
    if (auto st = out.plugin->check_options(kind, out.options); !st.is_ok()) {
        errors.push_back(check_options_error(out.component->options, sc.path + ".options", st.message()));
        return false;
    }
    return true;
}

std::vector<ResolvedPipeline> resolve_pipelines(const Config& config, const PluginRegistry& registry,
                                                std::vector<ConfigError>& errors) {
    std::vector<ResolvedPipeline> out;
    for (const auto& pc : config.pipelines) {
        ResolvedPipeline rp;
        rp.config = &pc;
        bool ok = resolve_component(pc.reader, sdk::Kind::reader, registry, config, rp.reader, errors);
        for (const auto& t : pc.translators) {
            ResolvedStage rs;
            ok = resolve_component(t, sdk::Kind::translator, registry, config, rs, errors) && ok;
            rp.translators.push_back(std::move(rs));
        }
        ok = resolve_component(pc.writer, sdk::Kind::writer, registry, config, rp.writer, errors) && ok;
        if (ok) out.push_back(std::move(rp));
    }
    return out;
}

}  // namespace junction::core
