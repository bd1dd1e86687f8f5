// run, validate, check, runs, dead-letters: the commands that take a config file.
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <ctime>
#include <algorithm>
#include <iomanip>
#include <iostream>
#include <sstream>
#include <thread>

#include <boost/json/serialize.hpp>
#include <boost/program_options.hpp>
#include <junction/sdk/json_text.hpp>

#include "commands.hpp"
#include "daemon.hpp"
#include "http/api.hpp"
#include "http/collections.hpp"
#include "http/submissions.hpp"
#include "http/server.hpp"
#include "junction/core/config.hpp"
#include "junction/core/engine.hpp"
#include "junction/core/logging.hpp"
#include "junction/core/plugin_registry.hpp"
#include "junction/core/state_store.hpp"
#include "junction/core/time_text.hpp"
#include "junction/core/token_vault.hpp"
#include "cluster/cluster.hpp"

namespace junction::host {
namespace po = boost::program_options;
namespace json = boost::json;
using namespace junction::core;

namespace {

// Everything a config-driven command needs, loaded and checked.
struct Loaded {
    Config config;
    PluginRegistry registry;
    std::vector<ResolvedPipeline> pipelines;
    std::optional<http::HttpConfig> http;  // the `http` section, when there is one
    std::optional<ClusterConfig> cluster;  // the `cluster` section, when there is one
    // Its served collections, resolved like pipeline stages (stages point into configs).
    std::vector<StageConfig> collection_configs;
    std::vector<ResolvedStage> collections;
    // Its intake routes' stores, likewise.
    std::vector<StageConfig> intake_configs;
    std::vector<ResolvedStage> intakes;
};

// Returns an exit code when the config cannot be used (after printing every problem).
// Plugin options are checked even when the file has structural problems, so one
// `junction validate` lists everything; an option under a path that already has a
// problem (e.g. an unset ${VAR}) is not reported twice.
int load(const GlobalOptions& global, const std::string& file, Loaded& out) {
    std::vector<ConfigError> errors;
    out.config = load_config(file, errors);
    if (out.config.http) out.http = http::parse_http_config(*out.config.http, out.config.base_dir, errors);
    if (out.config.cluster) out.cluster = parse_cluster_config(*out.config.cluster, out.config.base_dir, errors);
    if (!out.config.pipelines.empty()) {
        out.registry.load_directories(PluginRegistry::search_path(global.plugin_dirs, out.config.plugin_dirs));
        std::vector<ConfigError> option_errors;
        out.pipelines = resolve_pipelines(out.config, out.registry, option_errors);
        if (out.http) {
            out.collection_configs.reserve(out.http->collections.size());
            for (const auto& c : out.http->collections) {
                out.collection_configs.push_back({.plugin = c.plugin, .options = c.options, .path = c.config_path});
                ResolvedStage stage;
                if (resolve_component(out.collection_configs.back(), sdk::Kind::collection, out.registry, out.config,
                                      stage, option_errors))
                    out.collections.push_back(std::move(stage));
            }
            out.intake_configs.reserve(out.http->submissions.size());
            for (const auto& r : out.http->submissions) {
                out.intake_configs.push_back({.plugin = r.plugin, .options = r.options, .path = r.config_path});
                ResolvedStage stage;
                if (resolve_component(out.intake_configs.back(), sdk::Kind::intake, out.registry, out.config, stage,
                                      option_errors))
                    out.intakes.push_back(std::move(stage));
            }
        }
        const auto structural = errors;
        auto under = [](const std::string& path, const std::string& prefix) {
            return !prefix.empty() && path.rfind(prefix, 0) == 0 &&
                   (path.size() == prefix.size() || path[prefix.size()] == '.' || path[prefix.size()] == '[');
        };
        for (auto& e : option_errors) {
            const bool shadowed = std::any_of(structural.begin(), structural.end(),
                                              [&](const ConfigError& s) { return under(e.path, s.path); });
            if (!shadowed) errors.push_back(std::move(e));
        }
    }
    if (!errors.empty()) {
        for (const auto& e : errors) {
            const auto line = e.line();
            std::cerr << (line.rfind(file, 0) == 0 ? "" : file + ": ") << line << "\n";
        }
        std::cerr << file << ": " << errors.size() << " problem" << (errors.size() == 1 ? "" : "s") << " found\n";
        return exit_invalid_config;
    }
    return exit_ok;
}

// The services of the config's connections; nothing, after one error line, when the
// refresh tokens' key file is refused.
std::unique_ptr<HostServices> open_services(const Config& config, StateStore& store) {
    try {
        return std::make_unique<HostServices>(config.connections, &store, token_key_file(config.state));
    } catch (const std::exception& e) {
        log_error(e.what());
        return nullptr;
    }
}

std::unique_ptr<StateStore> open_store(const Config& config) {
    try {
        if (config.state.has_parent_path()) {
            std::error_code ec;
            std::filesystem::create_directories(config.state.parent_path(), ec);
            if (ec)
                throw std::runtime_error("cannot create the folder " + config.state.parent_path().string() + ": " +
                                         ec.message());
        }
        return StateStore::open(config.state);
    } catch (const std::exception& e) {
        log_error(std::string("cannot open the state store: ") + e.what());
        return nullptr;
    }
}

// Parses "CONFIG [positional...] [options]"; returns false after printing on error.
bool parse(const std::vector<std::string>& args, po::options_description& desc, po::positional_options_description& pos,
           po::variables_map& vm, const char* usage) {
    try {
        po::store(po::command_line_parser(args).options(desc).positional(pos).run(), vm);
        po::notify(vm);
    } catch (const std::exception& e) {
        std::cerr << "junction: " << e.what() << "\nusage: " << usage << "\n";
        return false;
    }
    if (vm.count("help")) {
        std::cout << "usage: " << usage << "\n" << desc;
        return false;
    }
    if (!vm.count("config")) {
        std::cerr << "junction: missing CONFIG\nusage: " << usage << "\n";
        return false;
    }
    return true;
}

// SIGINT/SIGTERM: the first stops reading and lets work in flight drain; the second exits at once.
// The watcher is a thread in sigwait, not a signal handler, so before _exit it may call
// `before_exit` (the run history marks this process's runs interrupted: a bounded write).
class SignalWatcher {
public:
    explicit SignalWatcher(std::stop_source& stop, std::function<void()> before_exit = {})
        : before_exit_(std::move(before_exit)) {
        sigemptyset(&set_);
        sigaddset(&set_, SIGINT);
        sigaddset(&set_, SIGTERM);
        pthread_sigmask(SIG_BLOCK, &set_, &old_);  // threads started after this inherit the mask
        thread_ = std::thread([this, &stop] {
            int count = 0;
            while (true) {
                int sig = 0;
                if (sigwait(&set_, &sig) != 0) continue;
                if (done_) return;
                if (++count == 1) {
                    log_warn(std::string("received ") + (sig == SIGINT ? "SIGINT" : "SIGTERM") +
                             ": finishing the work in flight (send again to exit at once)");
                    stop.request_stop();
                } else {
                    log_error("second signal: exiting at once; uncommitted work will be read again");
                    if (before_exit_) before_exit_();
                    _exit(130);
                }
            }
        });
    }
    ~SignalWatcher() {
        done_ = true;
        pthread_kill(thread_.native_handle(), SIGTERM);
        thread_.join();
        pthread_sigmask(SIG_SETMASK, &old_, nullptr);  // teardown can be interrupted again
    }

private:
    sigset_t set_{};
    sigset_t old_{};
    std::function<void()> before_exit_;
    std::atomic<bool> done_{false};
    std::thread thread_;
};

constexpr const char* second_signal_error =
    "second SIGINT/SIGTERM: exited at once without draining; what was not committed is read again";

std::vector<const ResolvedPipeline*> select(const Loaded& l, const std::vector<std::string>& names, bool& unknown) {
    std::vector<const ResolvedPipeline*> out;
    unknown = false;
    for (const auto& n : names) {
        if (l.config.find(n) == nullptr) {
            std::cerr << "junction: no pipeline named \"" << n << "\" in " << l.config.file.string() << "\n";
            unknown = true;
        }
    }
    for (const auto& p : l.pipelines) {
        const bool named = std::find(names.begin(), names.end(), p.config->name) != names.end();
        if (names.empty() ? p.config->enabled : named) out.push_back(&p);
    }
    return out;
}

// An on-demand run waits for the pipeline's run in another process to end, at most
// `max_wait` (none: until it ends) and until stopped. The claimed run's id, or 0 when it
// gave up (after one line, unless stopped).
std::int64_t claim_waiting(const std::string& name, StateStore& store,
                           std::optional<std::chrono::milliseconds> max_wait, std::stop_token stop) {
    const auto began = std::chrono::steady_clock::now();
    bool said = false;
    while (true) {
        std::optional<RunHolder> holder;
        const auto id = try_claim(name, store, holder);
        if (!id) return 0;
        if (*id != 0) return *id;
        if (!said)
            log_info("pipeline " + name + " is running in " + holder_text(*holder) + ": waiting for it to finish",
                     {{"pipeline", name}});
        said = true;
        auto pause = std::chrono::milliseconds(200);
        if (max_wait) {
            const auto waited =
                std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - began);
            if (waited >= *max_wait) {
                log_error("pipeline " + name + " is still running in " + holder_text(*holder) + " after waiting " +
                              std::to_string(waited.count()) + " ms (--wait-ms): not run",
                          {{"pipeline", name}});
                return 0;
            }
            pause = std::min(pause, *max_wait - waited);
        }
        if (!sleep_for(pause, stop)) return 0;
    }
}

}  // namespace

int cmd_validate(const GlobalOptions& global, const std::vector<std::string>& args) {
    po::options_description desc("validate options");
    desc.add_options()("help,h", "show this help")("config", po::value<std::string>(), "the config file");
    po::positional_options_description pos;
    pos.add("config", 1);
    po::variables_map vm;
    if (!parse(args, desc, pos, vm, "junction validate CONFIG")) return vm.count("help") ? exit_ok : exit_usage;
    Loaded l;
    const auto file = vm["config"].as<std::string>();
    if (int rc = load(global, file, l); rc != exit_ok) return rc;
    std::cout << file << ": valid (" << l.pipelines.size() << " pipeline" << (l.pipelines.size() == 1 ? "" : "s");
    for (const auto& p : l.pipelines) {
        std::cout << (&p == &l.pipelines.front() ? ": " : ", ") << p.config->name << " [" << p.config->reader.plugin;
        for (const auto& t : p.config->translators)
            std::cout << " -> " << t.plugin;
        std::cout << " -> " << p.config->writer.plugin << "]";
    }
    std::cout << ")\n";
    return exit_ok;
}

int cmd_run(const GlobalOptions& global, const std::vector<std::string>& args) {
    po::options_description desc("run options");
    desc.add_options()("help,h", "show this help")("config", po::value<std::string>(), "the config file")(
        "once", "run every pipeline to the end of its input once, then exit")(
        "pipeline", po::value<std::vector<std::string>>()->composing(), "run only this pipeline (repeatable)")(
        "wait-ms", po::value<std::int64_t>()->value_name("MS"),
        "with --once: how long to wait for a run of the pipeline in another process to end (default: until it ends)")(
        "test-fault", po::value<std::string>()->value_name("POINT"),
        "for tests: exit at exit_before_commit or exit_before_ack of the first group written, or SIGKILL at "
        "kill_before_flush, or at an intake's kill_before_submit or kill_after_submit (the first submission it takes); slow_submit holds "
        "each submission 1.5 s");
    po::positional_options_description pos;
    pos.add("config", 1);
    po::variables_map vm;
    const char* usage = "junction run CONFIG [--once [--wait-ms MS]] [--pipeline NAME]...";
    if (!parse(args, desc, pos, vm, usage)) return vm.count("help") ? exit_ok : exit_usage;
    Loaded l;
    if (int rc = load(global, vm["config"].as<std::string>(), l); rc != exit_ok) return rc;
    bool unknown = false;
    auto chosen = select(
        l, vm.count("pipeline") ? vm["pipeline"].as<std::vector<std::string>>() : std::vector<std::string>{}, unknown);
    if (unknown) return exit_usage;
    std::optional<std::chrono::milliseconds> max_wait;
    if (vm.count("wait-ms")) {
        if (!vm.count("once") || vm["wait-ms"].as<std::int64_t>() < 0) {
            std::cerr << "junction run: --wait-ms takes a number of milliseconds of 0 or more, with --once\n";
            return exit_usage;
        }
        max_wait = std::chrono::milliseconds(vm["wait-ms"].as<std::int64_t>());
    }
    auto store = open_store(l.config);
    if (!store) return exit_failure;

    std::stop_source stop;
    SignalWatcher signals(stop, [&store] { store->interrupt_own_runs(second_signal_error); });
    auto services = open_services(l.config, *store);
    if (!services) return exit_failure;
    RunOptions opts{.base_dir = l.config.base_dir, .services = services.get()};
    http::IntakeFault intake_fault = http::IntakeFault::none;
    if (vm.count("test-fault")) {
        const auto point = vm["test-fault"].as<std::string>();
        if (point == "exit_before_ack")
            opts.fault = Fault::exit_before_ack;
        else if (point == "exit_before_commit")
            opts.fault = Fault::exit_before_commit;
        else if (point == "kill_before_flush")
            opts.fault = Fault::kill_before_flush;
        else if (point == "kill_before_submit")
            intake_fault = http::IntakeFault::kill_before_submit;
        else if (point == "kill_after_submit")
            intake_fault = http::IntakeFault::kill_after_submit;
        else if (point == "slow_submit")
            intake_fault = http::IntakeFault::slow_submit;
        else {
            std::cerr << "junction run: --test-fault takes exit_before_commit, exit_before_ack, kill_before_flush, "
                         "kill_before_submit, kill_after_submit or slow_submit\n";
            return exit_usage;
        }
    }
    const bool once = vm.count("once") > 0;
    Supervisor supervisor(chosen, *store, opts, /*manual_runs=*/l.http.has_value() && !once);
    // In a cluster: the pipelines that run on one host at a time take turns by lease.
    std::optional<Cluster> cluster;
    if (l.cluster) {
        std::vector<std::string> singletons;
        for (const auto* p : chosen)
            if (runs_on_one_host(*p)) singletons.push_back(p->config->name);
        try {
            cluster.emplace(*l.cluster, std::move(singletons), &services->metrics());
        } catch (const std::exception& e) {
            log_error(e.what());
            return exit_failure;
        }
        supervisor.set_cluster(&*cluster);
    }

    // The HTTP server, when configured: up before the first run, down after the last.
    std::optional<http::ApiKeyring> keys;
    http::Router router;
    std::optional<http::ApiContext> api;
    std::vector<std::unique_ptr<http::ServedCollection>> served;
    std::vector<std::unique_ptr<http::SubmissionRoute>> intakes;
    std::optional<http::Server> server;
    // `run --once` (a batch: a cron job, a shell) does not serve: the server would be gone
    // with the run. The daemon serves while it runs.
    if (l.http && !once) {
        std::vector<ConfigError> errors;
        keys = http::ApiKeyring::load(l.http->api_keys, process_environment(), errors);
        if (!errors.empty()) {
            for (const auto& e : errors)
                log_error(l.config.file.string() + ": " + e.line());
            return exit_invalid_config;
        }
        api.emplace(http::ApiContext{.config = l.config,
                                     .config_http = *l.http,
                                     .supervisor = supervisor,
                                     .store = *store,
                                     .metrics = &services->metrics(),
                                     .pipelines = chosen,
                                     .run_options = opts,
                                     .stop = stop.get_token(),
                                     .version = JUNCTION_VERSION,
                                     .readiness = {}});
        http::add_operations_routes(router, *api);
        http::add_control_routes(router, *api);
        for (std::size_t i = 0; i < l.collections.size(); ++i)
            served.push_back(std::make_unique<http::ServedCollection>(l.http->collections[i], l.collections[i], *store,
                                                                      *services, l.config.base_dir, stop.get_token(),
                                                                      l.http->workers));
        http::add_collection_routes(router, *api, served);
        for (std::size_t i = 0; i < l.intakes.size(); ++i)
            intakes.push_back(std::make_unique<http::SubmissionRoute>(l.http->submissions[i], l.intakes[i], *store,
                                                                      *services, l.config.base_dir, stop.get_token(),
                                                                      l.http->workers, intake_fault));
        http::add_submission_routes(router, *api, intakes);
        http::add_openapi_route(router, *api);
        server.emplace(*l.http, router, *keys, &services->metrics());
        try {
            server->start();
        } catch (const std::exception& e) {
            log_error(e.what());
            return exit_failure;
        }
    }

    int rc = exit_ok;
    if (once) {
        const bool ok = supervisor.run_once(
            [&](const std::string& name) { return claim_waiting(name, *store, max_wait, stop.get_token()); },
            stop.get_token());
        if (!ok) rc = exit_failure;
        if (stop.stop_requested()) log_info("stopped; what was not committed is read again next time");
        return rc;
    }
    log_info("junction running " + std::to_string(chosen.size()) + " pipeline" + (chosen.size() == 1 ? "" : "s") +
             " on their schedules; SIGINT or SIGTERM stops");
    const bool ok = supervisor.run_scheduled(stop.get_token());
    if (server) server->stop();
    if (stop.stop_requested()) log_info("stopped; what was not committed is read again next time");
    // A supervisor (systemd Restart=on-failure, docker restart policies) should see it.
    return ok ? rc : exit_failure;
}

int cmd_check(const GlobalOptions& global, const std::vector<std::string>& args) {
    po::options_description desc("check options");
    desc.add_options()("help,h", "show this help")("config", po::value<std::string>(), "the config file");
    po::positional_options_description pos;
    pos.add("config", 1);
    po::variables_map vm;
    if (!parse(args, desc, pos, vm, "junction check CONFIG")) return vm.count("help") ? exit_ok : exit_usage;
    Loaded l;
    if (int rc = load(global, vm["config"].as<std::string>(), l); rc != exit_ok) return rc;
    auto store = open_store(l.config);
    if (!store) return exit_failure;
    int rc = exit_ok;
    auto services = open_services(l.config, *store);
    if (!services) return exit_failure;
    if (l.cluster) {
        std::vector<std::string> singletons;
        for (const auto& p : l.pipelines)
            if (runs_on_one_host(p)) singletons.push_back(p.config->name);
        try {
            for (const auto& line : probe_cluster(*l.cluster, singletons))
                std::cout << line << "\n";
        } catch (const std::exception& e) {
            std::cout << e.what() << "\n";
            rc = exit_failure;
        }
    }
    for (const auto& p : l.pipelines) {
        for (const auto& c :
             check_pipeline(p, *store, RunOptions{.base_dir = l.config.base_dir, .services = services.get()})) {
            std::cout << p.config->name << " " << c.kind << " " << c.plugin << ": "
                      << (c.status.is_ok()
                              ? std::string("ok")
                              : std::string("FAILED (") + sdk::to_string(c.status.code()) + "): " + c.status.message())
                      << "\n";
            if (!c.status.is_ok()) rc = exit_failure;
        }
    }
    return rc;
}

namespace {

// `runs --pushes`: one line (or JSON line) per push, newest first.
int list_pushes(const std::vector<PushRecord>& pushes, bool as_json) {
    if (as_json) {
        for (const auto& r : pushes) {
            const auto& p = r.push;
            json::array columns;
            for (const auto& c : p.columns)
                columns.emplace_back(c);
            json::object o{{"id", r.id},
                           {"run_id", r.run_id != 0 ? json::value(r.run_id) : json::value(nullptr)},
                           {"pipeline", r.pipeline},
                           {"plugin", r.plugin},
                           {"provider", p.provider},
                           {"target", p.target},
                           {"sent_at", format_utc_ms(p.sent_at)},
                           {"duration_ms", p.duration.count()},
                           {"rows", p.rows},
                           {"columns", columns},
                           {"ok", p.ok},
                           {"error", p.error},
                           {"request_id", p.request_id}};
            std::cout << sdk::to_json_text(o) << "\n";
        }
        return exit_ok;
    }
    // Columns as wide as their longest value (a target such as "github_issues (<uuid>)"
    // must not run into the next column), two spaces apart.
    std::size_t w_pipeline = 8, w_provider = 8, w_target = 6;
    for (const auto& r : pushes) {
        w_pipeline = std::max(w_pipeline, r.pipeline.size());
        w_provider = std::max(w_provider, r.push.provider.size());
        w_target = std::max(w_target, r.push.target.size());
    }
    const auto w = [](std::size_t n) { return std::setw(static_cast<int>(n + 2)); };
    std::cout << std::left << std::setw(26) << "SENT AT" << w(w_pipeline) << "PIPELINE" << w(w_provider) << "PROVIDER"
              << w(w_target) << "TARGET" << std::setw(8) << "ROWS" << std::setw(8) << "RESULT"
              << "COLUMNS / ERROR\n";
    for (const auto& r : pushes) {
        const auto& p = r.push;
        std::string columns = std::to_string(p.columns.size()) + " (";
        for (std::size_t i = 0; i < p.columns.size(); ++i)
            columns += (i == 0 ? "" : ", ") + p.columns[i];
        columns += ")";
        std::cout << std::left << std::setw(26) << format_utc_ms(p.sent_at) << w(w_pipeline) << r.pipeline
                  << w(w_provider) << p.provider << w(w_target) << p.target << std::setw(8) << p.rows << std::setw(8)
                  << (p.ok ? "ok" : "failed") << columns << (p.ok ? "" : "  error: " + p.error) << "\n";
    }
    if (pushes.empty()) std::cout << "(no pushes recorded yet)\n";
    return exit_ok;
}

}  // namespace

int cmd_runs(const GlobalOptions& /*global*/, const std::vector<std::string>& args) {
    po::options_description desc("runs options");
    desc.add_options()("help,h", "show this help")("config", po::value<std::string>(), "the config file")(
        "pipeline", po::value<std::string>(), "only this pipeline")(
        "limit", po::value<std::size_t>()->default_value(20), "how many runs (or pushes), newest first")(
        "pushes", "the push log: what writers sent to external ingestion APIs")("json", "JSON lines");
    po::positional_options_description pos;
    pos.add("config", 1).add("pipeline", 1);
    po::variables_map vm;
    if (!parse(args, desc, pos, vm, "junction runs CONFIG [PIPELINE] [--pushes] [--limit N] [--json]"))
        return vm.count("help") ? exit_ok : exit_usage;
    std::vector<ConfigError> errors;
    auto config = load_config(vm["config"].as<std::string>(), errors, process_environment(), ConfigUse::history);
    if (!errors.empty()) {
        for (const auto& e : errors)
            std::cerr << e.line() << "\n";
        return exit_invalid_config;
    }
    auto store = open_store(config);
    if (!store) return exit_failure;
    std::optional<std::string> only;
    if (vm.count("pipeline")) {
        only = vm["pipeline"].as<std::string>();
        if (config.find(*only) == nullptr) {
            std::cerr << "junction: no pipeline named \"" << *only << "\" in " << config.file.string() << "\n";
            return exit_usage;
        }
    }
    if (vm.count("pushes"))
        return list_pushes(
            store->pushes(only ? std::optional<std::string_view>(*only) : std::nullopt, vm["limit"].as<std::size_t>()),
            vm.count("json") > 0);
    auto runs =
        store->runs(only ? std::optional<std::string_view>(*only) : std::nullopt, vm["limit"].as<std::size_t>());
    if (vm.count("json")) {
        for (const auto& r : runs) {
            json::array plugins, columns;
            for (const auto& p : r.plugins)
                plugins.emplace_back(p);
            for (const auto& c : r.columns)
                columns.emplace_back(c);
            json::object o{{"id", r.id},
                           {"pipeline", r.pipeline},
                           {"started", format_utc_ms(r.started)},
                           {"finished", r.finished ? json::value(format_utc_ms(*r.finished)) : json::value(nullptr)},
                           {"last_seen", r.last_seen ? json::value(format_utc_ms(*r.last_seen)) : json::value(nullptr)},
                           {"outcome", r.outcome},
                           {"read", r.read},
                           {"written", r.written},
                           {"invalid", r.invalid},
                           {"failed", r.failed},
                           {"released", r.released},
                           {"pid", r.pid},
                           {"host", r.host},
                           {"plugins", plugins},
                           {"columns", columns},
                           {"error", r.error}};
            std::cout << sdk::to_json_text(o) << "\n";
        }
        return exit_ok;
    }
    // LAST SEEN: when the process was last seen at the run (a commit, its heartbeat, its
    // end); for an `interrupted` run, about when it died.
    std::cout << std::left << std::setw(6) << "ID" << std::setw(16) << "PIPELINE" << std::setw(26) << "STARTED"
              << std::setw(26) << "LAST SEEN" << std::setw(13) << "OUTCOME" << std::setw(9) << "READ"
              << std::setw(9) << "WRITTEN" << std::setw(9) << "INVALID" << std::setw(8) << "FAILED"
              << "PLUGINS / ERROR\n";
    for (const auto& r : runs) {
        std::string plugins;
        for (const auto& p : r.plugins)
            plugins += (plugins.empty() ? "" : " -> ") + p;
        const auto seen = r.last_seen ? r.last_seen : r.finished;
        std::cout << std::left << std::setw(6) << r.id << std::setw(16) << r.pipeline << std::setw(26)
                  << format_utc_ms(r.started) << std::setw(26) << (seen ? format_utc_ms(*seen) : std::string("-"))
                  << std::setw(13) << r.outcome << std::setw(9) << r.read << std::setw(9)
                  << r.written << std::setw(9) << r.invalid << std::setw(8) << r.failed << plugins
                  << (r.error.empty() ? "" : "  error: " + r.error) << "\n";
    }
    if (runs.empty()) std::cout << "(no runs recorded yet)\n";
    return exit_ok;
}

int cmd_dead_letters(const GlobalOptions& global, const std::vector<std::string>& args) {
    po::options_description desc("dead-letters options");
    desc.add_options()("help,h", "show this help")("config", po::value<std::string>(), "the config file")(
        "pipeline", po::value<std::string>(), "the pipeline")("limit", po::value<std::size_t>()->default_value(50),
                                                              "how many to list")(
        "all", "include those already replayed")("json", "JSON lines, with the payloads")(
        "replay", "send them through the pipeline's translators and writer again")(
        "resolve", "mark the dead letters given with --id as dealt with (e.g. the input was fixed and sent again)")(
        "id", po::value<std::vector<std::int64_t>>()->composing(), "with --replay or --resolve: this one (repeatable)");
    po::positional_options_description pos;
    pos.add("config", 1).add("pipeline", 1);
    po::variables_map vm;
    const char* usage =
        "junction dead-letters CONFIG PIPELINE [--limit N] [--all] [--json] [--replay [--id N]...] [--resolve --id "
        "N...]";
    if (!parse(args, desc, pos, vm, usage)) return vm.count("help") ? exit_ok : exit_usage;
    if (!vm.count("pipeline")) {
        std::cerr << "junction: missing PIPELINE\nusage: " << usage << "\n";
        return exit_usage;
    }
    const auto name = vm["pipeline"].as<std::string>();
    // Listing and resolving read the state store only: they work on a machine where the
    // pipeline's plugins are not installed. Replaying runs the plugins.
    Loaded l;
    if (vm.count("replay")) {
        if (int rc = load(global, vm["config"].as<std::string>(), l); rc != exit_ok) return rc;
    } else {
        std::vector<ConfigError> errors;
        l.config = load_config(vm["config"].as<std::string>(), errors, process_environment(), ConfigUse::history);
        if (!errors.empty()) {
            for (const auto& e : errors)
                std::cerr << e.line() << "\n";
            return exit_invalid_config;
        }
    }
    if (l.config.find(name) == nullptr) {
        std::cerr << "junction: no pipeline named \"" << name << "\" in " << l.config.file.string() << "\n";
        return exit_usage;
    }
    auto store = open_store(l.config);
    if (!store) return exit_failure;
    if (vm.count("resolve")) {
        if (!vm.count("id")) {
            std::cerr << "junction: --resolve needs the dead letters' ids (--id N, repeatable)\n";
            return exit_usage;
        }
        const auto ids = vm["id"].as<std::vector<std::int64_t>>();
        store->mark_replayed(ids);
        std::cout << "resolved " << ids.size() << " dead letter" << (ids.size() == 1 ? "" : "s") << "\n";
        return exit_ok;
    }
    if (vm.count("replay")) {
        bool unknown = false;
        auto chosen = select(l, {name}, unknown);
        if (unknown || chosen.empty()) return exit_usage;
        std::stop_source stop;
        SignalWatcher signals(stop, [&store] { store->interrupt_own_runs(second_signal_error); });
        auto ids = vm.count("id") ? vm["id"].as<std::vector<std::int64_t>>() : std::vector<std::int64_t>{};
        auto services = open_services(l.config, *store);
        if (!services) return exit_failure;
        auto s = replay_dead_letters(*chosen.front(), *store,
                                     RunOptions{.base_dir = l.config.base_dir, .services = services.get()}, ids,
                                     stop.get_token());
        std::cout << "replayed " << s.read << ": written " << s.written << ", rejected again " << s.invalid
                  << ", failed " << s.failed << "\n";
        return s.outcome == RunOutcome::failed ? exit_failure : exit_ok;
    }
    auto letters = store->dead_letters(name, vm.count("all") > 0, vm["limit"].as<std::size_t>());
    for (const auto& d : letters) {
        if (vm.count("json")) {
            json::object o{{"id", d.id},
                           {"pipeline", d.pipeline},
                           {"stage", d.stage},
                           {"plugin", d.plugin},
                           {"reason", d.reason},
                           {"at", format_utc_ms(d.at)},
                           {"key", d.meta.key},
                           {"source", d.meta.source},
                           {"attempts", d.meta.attempts},
                           {"replayed", d.replayed},
                           {"attributes", d.meta.attributes},
                           {"payload", d.payload}};
            std::cout << sdk::to_json_text(o) << "\n";
        } else {
            std::cout << "#" << d.id << " " << format_utc_ms(d.at) << " " << d.stage << " " << d.plugin
                      << (d.meta.source.empty() ? "" : " " + d.meta.source)
                      << (d.meta.key.empty() ? "" : " key=" + d.meta.key) << (d.replayed ? " (done)" : "") << ": "
                      << d.reason << "\n";
        }
    }
    if (letters.empty() && !vm.count("json")) std::cout << "(no dead letters)\n";
    return exit_ok;
}

}  // namespace junction::host
