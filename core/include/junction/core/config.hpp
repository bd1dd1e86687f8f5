// The host's config file: JSON with comments and trailing commas, ${VAR} and
// ${VAR:-default} substitution from the environment, and the pipeline model.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <junction/services/connection_config.hpp>

#include "cron.hpp"

namespace junction::core {

// One problem, located by its JSON path, e.g. "pipelines[1].writer.options.uri".
struct ConfigError {
    std::string path;
    std::string message;
    [[nodiscard]] std::string line() const { return path.empty() ? message : path + ": " + message; }
};

struct StageConfig {
    std::string plugin;
    boost::json::object options;  // as written (after ${VAR} substitution), validated later
    std::string path;             // "pipelines[0].reader"
};

// How long a transient failure is retried. A call gives up once it has made
// max_attempts attempts or retried for max_elapsed, whichever comes first; except that
// attempts the server answered with a Retry-After (a rate limit: it asked us to wait, it
// is not broken) count against max_elapsed only, so one 429 storm does not fail a
// pipeline that patience would carry. A Retry-After is honoured up to max_retry_after.
struct RetryPolicy {
    int max_attempts = 5;  // attempts in all, the first included
    std::chrono::milliseconds initial_backoff{200};
    std::chrono::milliseconds max_backoff{30000};
    std::chrono::milliseconds max_elapsed{600000};
    std::chrono::milliseconds max_retry_after{300000};
};

// When the daemon runs a pipeline: every interval (start to start), continuously with a
// pause of `poll` after a run that found nothing to read, or at the times of a cron
// expression (UTC).
struct Schedule {
    enum class Mode { interval, continuous, cron } mode = Mode::interval;
    std::chrono::milliseconds every{60000};
    std::optional<CronExpression> cron;  // Mode::cron
};

// Where a pipeline runs when several hosts share the config (the `cluster` section):
// on every host (its reader is a shared queue consumer that spreads the records), or on
// one host at a time (a folder, a database poller, a REST source: the lease holder).
// automatic: every_host for readers that redeliver (queues), one_host for the others.
enum class Placement : unsigned char { automatic, every_host, one_host };

struct PipelineConfig {
    std::string name;
    std::string description;
    bool enabled = true;
    StageConfig reader;
    std::vector<StageConfig> translators;
    StageConfig writer;
    std::size_t batch_size = 500;
    std::size_t workers = 1;      // translator workers (used in parallel only for thread-safe translators)
    std::size_t queue_depth = 4;  // batches in flight between stages: the memory bound
    RetryPolicy retry;
    // Readers that redeliver (queues): a record delivered this many times and still not
    // written goes to the dead-letter store instead of back to the queue.
    std::uint32_t max_deliveries = 5;
    Schedule schedule;
    Placement placement = Placement::automatic;
    std::string path;  // "pipelines[0]"
};

struct Config {
    std::filesystem::path file;
    std::filesystem::path base_dir;  // the config's folder: relative paths resolve against it
    std::vector<std::filesystem::path> plugin_dirs;
    std::filesystem::path state;  // the SQLite state store
    // Named credentials (api_key, bearer, basic, oauth2) shared by every pipeline that
    // names them; validated, secrets included (never logged).
    std::vector<services::ConnectionConfig> connections;
    // Every name the connections section declares, valid entries or not: what a plugin's
    // `connection` option may name (an invalid entry is reported once, under its own path).
    std::vector<std::string> connection_names;
    std::vector<PipelineConfig> pipelines;
    // The `http` section as written (after ${VAR} substitution): the host's HTTP server
    // parses and checks it (host/http/http_config.hpp); absent: nothing listens.
    std::optional<boost::json::value> http;
    // The `cluster` section as written: the host's cluster membership reads it
    // (host/cluster/cluster_config.hpp); absent: this process runs every pipeline alone.
    std::optional<boost::json::value> cluster;

    [[nodiscard]] const PipelineConfig* find(std::string_view name) const;
};

using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
EnvLookup process_environment();

// What a command needs of the config. `history`: the commands that read the state store
// only (`runs`, listing and resolving dead letters) need no credential and no plugin
// option, so the connections section is skipped and an unset ${VAR} matters only where
// it decides the state file (`state`) or a pipeline's name; an operator can read the run
// history without the secrets of the pipelines.
enum class ConfigUse { run, history };

// Parses and checks the file's own structure (not the plugins' options: see
// validate_pipelines). Every problem is collected; the Config is usable only when
// `errors` stayed empty.
Config load_config(const std::filesystem::path& file, std::vector<ConfigError>& errors,
                   const EnvLookup& env = process_environment(), ConfigUse use = ConfigUse::run);
Config parse_config(std::string_view text, const std::filesystem::path& file, std::vector<ConfigError>& errors,
                    const EnvLookup& env = process_environment(), ConfigUse use = ConfigUse::run);

// ${VAR}, ${VAR:-default}; "$${" stands for a literal "${". Applied to every string.
void substitute_env(boost::json::value& v, const std::string& path, const EnvLookup& env,
                    std::vector<ConfigError>& errors);

}  // namespace junction::core
