// The sdk::Context the engine hands each plugin instance (private to core).
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>

#include <junction/sdk/context.hpp>

#include "junction/core/logging.hpp"
#include "junction/core/state_store.hpp"

namespace junction::core {

class ScopedStore final : public sdk::KeyValueStore {
public:
    ScopedStore(StateStore& store, std::string scope) : store_(store), scope_(std::move(scope)) {}
    std::optional<std::string> get(std::string_view key) override { return store_.kv_get(scope_, key); }
    void put(std::string_view key, std::string_view value) override { store_.kv_put(scope_, key, value); }
    void erase(std::string_view key) override { store_.kv_erase(scope_, key); }

private:
    StateStore& store_;
    std::string scope_;
};

class StageContext final : public sdk::Context {
public:
    StageContext(const sdk::Options& options, std::string pipeline, std::string plugin, std::string kind,
                 StateStore& store, std::stop_token stop, std::filesystem::path base_dir,
                 std::optional<std::string> committed)
        : options_(options),
          log_(make_plugin_logger(pipeline, plugin, kind)),
          kv_(store, pipeline + "/" + plugin + "/" + kind),
          stop_(std::move(stop)),
          pipeline_(std::move(pipeline)),
          base_dir_(base_dir.string()),
          committed_(std::move(committed)) {}

    const sdk::Options& options() const noexcept override { return options_; }
    sdk::Logger& log() noexcept override { return *log_; }
    sdk::KeyValueStore& state() noexcept override { return kv_; }
    std::stop_token stop_token() const noexcept override { return stop_; }
    std::string_view pipeline() const noexcept override { return pipeline_; }
    std::optional<std::string> committed_position() const override { return committed_; }
    std::string_view base_dir() const noexcept override { return base_dir_; }

private:
    const sdk::Options& options_;
    std::unique_ptr<sdk::Logger> log_;
    ScopedStore kv_;
    std::stop_token stop_;
    std::string pipeline_;
    std::string base_dir_;
    std::optional<std::string> committed_;
};

}  // namespace junction::core
