// A pipeline engine set up from a config text, with the testkit plugin loaded and a
// fresh state store in a temporary folder.
#pragma once

#include <set>

#include <doctest/doctest.h>

#include <boost/json/parse.hpp>
#include <junction/core/config.hpp>
#include <junction/core/engine.hpp>
#include <junction/core/plugin_registry.hpp>
#include <junction/core/state_store.hpp>

#include "subprocess.hpp"

namespace junction::test {

inline std::vector<boost::json::object> read_ndjson(const std::filesystem::path& p) {
    std::vector<boost::json::object> out;
    for (const auto& line : lines_of(read_file(p)))
        out.push_back(boost::json::parse(line).as_object());
    return out;
}

// The `n` of each row (the testkit reader's record number), as a multiset: what was
// written, with its repeats.
inline std::multiset<std::int64_t> numbers(const std::vector<boost::json::object>& rows) {
    std::multiset<std::int64_t> out;
    for (const auto& r : rows)
        out.insert(r.at("n").as_int64());
    return out;
}

struct EngineFixture {
    TempDir dir;
    core::PluginRegistry registry;
    core::Config config;
    std::vector<core::ResolvedPipeline> pipelines;
    std::unique_ptr<core::StateStore> store;
    core::HostServices services;

    // `bundled`: bundled plugins to load too ("queue" loads libjunction_queue.so).
    explicit EngineFixture(const std::string& config_text, const std::vector<std::string>& bundled = {}) {
        for (const auto& name : bundled)
            registry.load_file(std::filesystem::path(JUNCTION_PLUGIN_DIR) / ("libjunction_" + name + ".so"));
        registry.load_directories({std::filesystem::path(JUNCTION_TEST_PLUGIN_DIR) / "testkit"});
        REQUIRE_MESSAGE(registry.find("testkit") != nullptr, "the testkit plugin must load");
        write_file(dir / "config.json", config_text);
        std::vector<core::ConfigError> errors;
        config = core::load_config(dir / "config.json", errors);
        if (errors.empty()) pipelines = core::resolve_pipelines(config, registry, errors);
        for (const auto& e : errors)
            MESSAGE(e.line());
        REQUIRE(errors.empty());
        store = core::StateStore::open(config.state);
    }

    const core::ResolvedPipeline& pipeline(const std::string& name) const {
        for (const auto& p : pipelines)
            if (p.config->name == name) return p;
        throw std::runtime_error("no pipeline " + name);
    }

    core::RunSummary run(const std::string& name, std::stop_token stop = {}) {
        return core::run_pipeline(pipeline(name), *store,
                                  core::RunOptions{.base_dir = config.base_dir, .services = &services}, stop);
    }

    // A partition's committed position ("" when none).
    std::string position(const std::string& pipeline, const std::string& partition = "") const {
        const auto all = store->positions(pipeline);
        const auto it = all.find(partition);
        return it == all.end() ? "" : it->second;
    }

    std::vector<boost::json::object> output(const std::string& file) const { return read_ndjson(dir / file); }

    std::string kv(const std::string& pipeline, const std::string& key, const std::string& plugin = "testkit") const {
        return store->kv_get(pipeline + "/" + plugin + "/reader", key).value_or("");
    }
};

// A one-pipeline config: reader, translator and writer options as JSON snippets.
inline std::string one_pipeline(const std::string& reader, const std::string& translator, const std::string& writer,
                                const std::string& extra = "") {
    return R"({ "pipelines": [ { "name": "p", )" + extra + R"(
        "reader": {"plugin": "testkit", "options": )" +
           reader + R"(},
        "translators": [{"plugin": "testkit", "options": )" +
           translator + R"(}],
        "writer": {"plugin": "testkit", "options": )" +
           writer + R"(} } ] })";
}

}  // namespace junction::test
