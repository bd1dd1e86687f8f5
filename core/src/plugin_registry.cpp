// Loads plugin libraries: manifest first, then the factory, then instances that each
// hold their library (DESIGN.md, "Libraries outlive what they made").
#include "junction/core/plugin_registry.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <set>
#include <system_error>

#include <boost/dll/shared_library.hpp>

#include "junction/core/logging.hpp"

namespace junction::core {
namespace fs = std::filesystem;

namespace {

std::string compiler_name(unsigned id) {
    switch (id) {
        case 1:
            return "GCC";
        case 2:
            return "Clang";
        case 3:
            return "MSVC";
        default:
            return "an unknown compiler";
    }
}

std::string compiler_of(const junction_plugin_manifest& m) {
    return compiler_name(m.compiler_id) + " " + std::to_string(m.compiler_major);
}

std::string boost_of(std::uint32_t v) {
    return std::to_string(v / 100000) + "." + std::to_string(v / 100 % 1000);
}

std::string safe(const char* s) {
    return s != nullptr ? std::string(s) : std::string("?");
}

// "plugin NAME (FILE)" once the manifest is trusted, else just the file.
std::string who(const char* name, const fs::path& file) {
    if (name == nullptr || *name == '\0') return file.string();
    return "plugin " + std::string(name) + " (" + file.string() + ")";
}

// dlerror() says "<path>: undefined symbol: x"; the file is already named, and a
// line must stay a line.
std::string short_dlerror(const std::string& what, const fs::path& file) {
    static constexpr std::string_view marker = "dlerror system message: ";
    std::string text = what;
    if (const auto at = text.find(marker); at != std::string::npos) {
        // "...load() failed (dlerror system message: TEXT): Bad file descriptor"
        text = text.substr(at + marker.size());
        if (const auto close = text.rfind(')'); close != std::string::npos) text.erase(close);
    }
    const std::string prefix = file.string() + ": ";
    if (text.starts_with(prefix)) text = text.substr(prefix.size());
    std::replace(text.begin(), text.end(), '\n', ' ');
    return text;
}

const junction_plugin_manifest& host_manifest() {
    static constexpr junction_plugin_manifest host = JUNCTION_MANIFEST_INIT("junction", JUNCTION_SDK_VERSION);
    return host;
}

class LoadedPluginImpl final : public LoadedPlugin {
public:
    LoadedPluginImpl(std::shared_ptr<boost::dll::shared_library> lib, std::shared_ptr<sdk::PluginFactory> factory,
                     sdk::PluginInfo info, fs::path file, const junction_plugin_manifest& manifest)
        : lib_(std::move(lib)),
          factory_(std::move(factory)),
          info_(std::move(info)),
          file_(std::move(file)),
          manifest_(manifest) {}

    // The factory goes first; its deleter then lets go of the library.
    ~LoadedPluginImpl() override { factory_.reset(); }

    const sdk::PluginInfo& info() const noexcept override { return info_; }
    const fs::path& file() const noexcept override { return file_; }
    const junction_plugin_manifest& manifest() const noexcept override { return manifest_; }

    std::shared_ptr<sdk::Component> create(sdk::Kind kind) const override { return hold(factory_->create(kind)); }
    sdk::Status check_options(sdk::Kind kind, const sdk::Options& options) const override {
        return factory_->check_options(kind, options);
    }

private:
    // The deleter runs the plugin's destructor, then drops the factory (an instance may
    // point back to it) and the library it captured (the factory's own deleter holds the
    // library too, so the code goes last whatever the order).
    template <class T>
    std::shared_ptr<T> hold(std::unique_ptr<T> made) const {
        if (!made) return nullptr;
        return std::shared_ptr<T>(made.release(), [lib = lib_, factory = factory_](T* p) { delete p; });
    }

    std::shared_ptr<boost::dll::shared_library> lib_;
    std::shared_ptr<sdk::PluginFactory> factory_;
    sdk::PluginInfo info_;
    fs::path file_;
    junction_plugin_manifest manifest_;  // its strings point into the library, which we hold
};

bool is_plugin_file_name(const fs::path& p) {
    const std::string name = p.filename().string();
    return name.starts_with("lib") && name.ends_with(".so") && name.size() > 6;
}

}  // namespace

std::optional<std::string> check_manifest(const junction_plugin_manifest& plugin, const fs::path& file) {
    const auto& host = host_manifest();
    const std::string prefix = who(plugin.name, file) + ": ";
    const std::string plugin_abi = std::to_string(plugin.abi_major) + "." + std::to_string(plugin.abi_minor);
    const std::string host_abi = std::to_string(host.abi_major) + "." + std::to_string(host.abi_minor);
    const std::string host_major = std::to_string(host.abi_major);

    if (plugin.abi_major != host.abi_major)
        return prefix + "built for SDK ABI " + plugin_abi + " with " + compiler_of(plugin) + ", host is " + host_abi +
               " with " + compiler_of(host) + ": rebuild it against SDK " + host_major + ".x (" + host_major + ".0 to " +
               host_abi + ")";
    if (plugin.abi_minor > host.abi_minor)
        return prefix + "built for SDK ABI " + plugin_abi + ", newer than this host's " + host_abi +
               ": upgrade the host to " + host_major + "." + std::to_string(plugin.abi_minor) +
               " or later, or rebuild the plugin against SDK " + host_abi;
    const unsigned min_major = host.compiler_id == 2 ? JUNCTION_MIN_CLANG_MAJOR : JUNCTION_MIN_GCC_MAJOR;
    if (plugin.compiler_id != host.compiler_id || plugin.compiler_major > host.compiler_major ||
        plugin.compiler_major < min_major)
        return prefix + "built with " + compiler_of(plugin) + " (SDK ABI " + plugin_abi + "), host is built with " +
               compiler_of(host) + ": rebuild it with " + compiler_name(host.compiler_id) + " " +
               std::to_string(min_major) + " to " + std::to_string(host.compiler_major);
    if (plugin.cxx11_abi != host.cxx11_abi)
        return prefix + "built with _GLIBCXX_USE_CXX11_ABI=" + std::to_string(plugin.cxx11_abi) + ", host uses " +
               std::to_string(host.cxx11_abi) +
               ": rebuild it with _GLIBCXX_USE_CXX11_ABI=" + std::to_string(host.cxx11_abi);
    if ((plugin.layout_flags & JUNCTION_LAYOUT_GLIBCXX_DEBUG) != (host.layout_flags & JUNCTION_LAYOUT_GLIBCXX_DEBUG)) {
        const bool debug = (plugin.layout_flags & JUNCTION_LAYOUT_GLIBCXX_DEBUG) != 0;
        return prefix + "built " + (debug ? "with" : "without") + " _GLIBCXX_DEBUG, host " + (debug ? "without" : "with") +
               " (the standard containers differ in layout): rebuild it " + (debug ? "without" : "with") + " it";
    }
    if (plugin.boost_version / 100 != host.boost_version / 100)
        return prefix + "built against Boost " + boost_of(plugin.boost_version) + ", host uses Boost " +
               boost_of(host.boost_version) + ": rebuild it against Boost " + boost_of(host.boost_version);
    if (plugin.platform == nullptr || std::strcmp(plugin.platform, host.platform) != 0)
        return prefix + "built for " + safe(plugin.platform) + ", host is " + host.platform + ": rebuild it for " +
               host.platform;
    if (plugin.name == nullptr || *plugin.name == '\0')
        return prefix + "its manifest has no plugin name: set one in JUNCTION_PLUGIN(...)";
    return std::nullopt;
}

struct PluginRegistry::Impl {
    std::vector<std::unique_ptr<LoadedPluginImpl>> plugins;
    std::vector<LoadProblem> problems;

    void refuse(const fs::path& file, std::string message) {
        log_warn(message);
        problems.push_back({file, std::move(message)});
    }

    const LoadedPluginImpl* find(std::string_view name) const {
        for (const auto& p : plugins)
            if (p->info().name == name) return p.get();
        return nullptr;
    }

    void load(const fs::path& file);
};

void PluginRegistry::Impl::load(const fs::path& file) {
    auto lib = std::make_shared<boost::dll::shared_library>();
    try {
        lib->load(file, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
    } catch (const std::exception& e) {
        refuse(file, file.string() + ": cannot be loaded: " + short_dlerror(e.what(), file) +
                         " (a library it needs is missing or it was built for another system: rebuild it)");
        return;
    }

    // Only plain C until the manifest is accepted: no C++ object of the plugin is touched.
    if (!lib->has(JUNCTION_MANIFEST_SYMBOL)) {
        refuse(file, file.string() + ": not a Junction plugin (no " JUNCTION_MANIFEST_SYMBOL
                                     " symbol): build it with junction_add_plugin() and JUNCTION_PLUGIN(...), "
                                     "or move it out of the plugin folder");
        return;
    }
    using ManifestFunction = const junction_plugin_manifest*();
    const junction_plugin_manifest* raw = lib->get<ManifestFunction>(JUNCTION_MANIFEST_SYMBOL)();
    if (raw == nullptr || raw->magic != JUNCTION_MANIFEST_MAGIC) {
        refuse(file, file.string() +
                         ": not a Junction plugin (its manifest has the wrong magic number): "
                         "rebuild it with the Junction SDK");
        return;
    }
    // Append-only growth: a manifest from an older minor is smaller, and the fields it
    // lacks read as zero. One smaller than the oldest layout of this major is not ours.
    if (raw->size < JUNCTION_MANIFEST_MIN_SIZE) {
        refuse(file, file.string() + ": its manifest is " + std::to_string(raw->size) + " bytes, the smallest SDK " +
                         std::to_string(JUNCTION_SDK_ABI_MAJOR) + ".x manifest is " +
                         std::to_string(JUNCTION_MANIFEST_MIN_SIZE) + ": rebuild it against SDK " +
                         std::to_string(JUNCTION_SDK_ABI_MAJOR) + ".x");
        return;
    }
    junction_plugin_manifest manifest{};
    std::memcpy(&manifest, raw, std::min<std::size_t>(raw->size, sizeof manifest));
    if (auto why = check_manifest(manifest, file)) {
        refuse(file, std::move(*why));
        return;
    }
    if (const auto* first = find(manifest.name)) {
        refuse(file, who(manifest.name, file) + ": the name " + manifest.name + " is already taken by " +
                         first->file().string() + ", which stays loaded: remove or rename one of them");
        return;
    }

    if (!lib->has(JUNCTION_FACTORY_ALIAS)) {
        refuse(file, who(manifest.name, file) + ": has a manifest but no " JUNCTION_FACTORY_ALIAS
                                                " export: export the factory with JUNCTION_PLUGIN(...)");
        return;
    }
    std::string error;
    sdk::PluginFactory* made = nullptr;
    try {
        made = lib->get_alias<sdk::FactoryFunction>(JUNCTION_FACTORY_ALIAS)(&error);
    } catch (const std::exception& e) {  // the SDK glue is noexcept; a hand-made export might not be
        error = e.what();
    }
    if (made == nullptr) {
        refuse(file, who(manifest.name, file) + ": its factory failed" +
                         (error.empty() ? std::string() : ": " + error) + " (fix the plugin or its environment)");
        return;
    }
    std::shared_ptr<sdk::PluginFactory> factory(made, [lib](sdk::PluginFactory* f) { delete f; });

    sdk::PluginInfo info;
    try {
        info = factory->info();
    } catch (const std::exception& e) {
        refuse(file, who(manifest.name, file) + ": info() failed: " + e.what());
        return;
    }
    // The manifest is the authority on identity: the registry looks plugins up by it.
    info.name = manifest.name;
    info.version = safe(manifest.version);
    log_debug("plugin loaded", {{"plugin", info.name}, {"version", info.version}, {"file", file.string()}});
    plugins.push_back(
        std::make_unique<LoadedPluginImpl>(std::move(lib), std::move(factory), std::move(info), file, manifest));
}

PluginRegistry::PluginRegistry() : impl_(std::make_unique<Impl>()) {}

// Plugins (and so their factories) go in reverse load order; each library is closed
// when the last thing it made is gone.
PluginRegistry::~PluginRegistry() {
    while (!impl_->plugins.empty())
        impl_->plugins.pop_back();
}

void PluginRegistry::load_directories(const std::vector<fs::path>& dirs) {
    for (const auto& dir : dirs) {
        std::error_code ec;
        if (!fs::is_directory(dir, ec)) {
            log_debug("plugin folder skipped: not a folder", {{"dir", dir.string()}});
            continue;
        }
        std::vector<fs::path> files;
        for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
            std::error_code type_ec;
            if (it->is_regular_file(type_ec) && is_plugin_file_name(it->path())) files.push_back(it->path());
        }
        if (ec) {
            impl_->refuse(dir, dir.string() + ": cannot list plugin folder: " + ec.message());
            continue;
        }
        // A stable order makes "first one wins" the same on every run.
        std::sort(files.begin(), files.end());
        for (const auto& f : files)
            load_file(f);
    }
}

void PluginRegistry::load_file(const fs::path& file) {
    std::error_code ec;
    const fs::path absolute = fs::absolute(file, ec);
    impl_->load(ec ? file : absolute.lexically_normal());
}

const LoadedPlugin* PluginRegistry::find(std::string_view name) const {
    return impl_->find(name);
}

std::vector<const LoadedPlugin*> PluginRegistry::plugins() const {
    std::vector<const LoadedPlugin*> out;
    out.reserve(impl_->plugins.size());
    for (const auto& p : impl_->plugins)
        out.push_back(p.get());
    std::sort(out.begin(), out.end(), [](auto* a, auto* b) { return a->info().name < b->info().name; });
    return out;
}

const std::vector<LoadProblem>& PluginRegistry::problems() const noexcept {
    return impl_->problems;
}

std::vector<fs::path> PluginRegistry::search_path(const std::vector<fs::path>& cli_dirs,
                                                  const std::vector<fs::path>& config_dirs) {
    std::vector<fs::path> all = cli_dirs;
    if (const char* env = std::getenv("JUNCTION_PLUGIN_PATH"); env != nullptr) {
        std::string_view rest(env);
        while (!rest.empty()) {
            const auto colon = rest.find(':');
            const auto part = rest.substr(0, colon);
            if (!part.empty()) all.emplace_back(std::string(part));
            rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
        }
    }
    all.insert(all.end(), config_dirs.begin(), config_dirs.end());
    all.push_back(bundled_plugin_dir());

    // One folder named twice (say --plugin-dir on the bundled one) would otherwise
    // refuse every plugin in it as a duplicate of itself.
    std::vector<fs::path> out;
    std::set<fs::path> seen;
    for (const auto& dir : all) {
        std::error_code ec;
        fs::path key = fs::weakly_canonical(dir, ec);
        if (ec) key = fs::absolute(dir, ec).lexically_normal();
        if (seen.insert(key).second) out.push_back(dir);
    }
    return out;
}

fs::path PluginRegistry::bundled_plugin_dir() {
    std::error_code ec;
    const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    const fs::path prefix = ec ? fs::current_path(ec) : exe.parent_path().parent_path();
#ifdef JUNCTION_PLUGIN_INSTALL_SUBDIR
    // Installed with a multiarch libdir (lib/x86_64-linux-gnu/...), while the build tree
    // always uses lib/junction/plugins.
    const fs::path installed = (prefix / JUNCTION_PLUGIN_INSTALL_SUBDIR).lexically_normal();
    if (fs::is_directory(installed, ec)) return installed;
#endif
    return (prefix / "lib" / "junction" / "plugins").lexically_normal();
}

}  // namespace junction::core
