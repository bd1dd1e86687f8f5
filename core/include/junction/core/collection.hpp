// A served collection's side in the core: a plugin's Collection component (SDK 2.3),
// resolved by plugin name and options like a pipeline stage (resolve_component in
// engine.hpp), then opened with a context of its own for the HTTP server to call.
//
//   StageConfig sc{.plugin = "docstore", .options = {...}, .path = "http.collections[0]"};
//   ResolvedStage stage;
//   if (!resolve_component(sc, sdk::Kind::collection, registry, config, stage, errors)) ...
//   sdk::Status st;
//   auto contacts = OpenedCollection::open(stage, {.name = "contacts"}, store, services, stop, st);
//   contacts->list({.equals = {{"email", "x@y"}}, .after = "", .limit = 50}, page);
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <junction/sdk/sdk.hpp>

#include "engine.hpp"
#include "host_services.hpp"
#include "state_store.hpp"

namespace junction::core {

struct CollectionOptions {
    std::string name;                // the served collection ("contacts"): tags its log lines, scopes its state
    std::size_t max_limit = 1000;    // list() lowers a larger limit to this (and raises 0 to 1)
    std::filesystem::path base_dir{};  // for Context::base_dir() (path options arrive resolved already)
};

// One opened instance of a plugin's Collection and the context it was opened with; it
// holds the plugin's library loaded and is closed when destroyed. Call it from one
// thread at a time (the component's promise): open one per server worker, or serialize.
// Messages of failed calls come back with the options' secrets scrubbed out.
class OpenedCollection {
public:
    // Creates the instance and calls its open(). nullptr with `status` set when the plugin
    // made none (fatal) or open() failed (its status: retry when the store is down).
    // `store` and `services` must outlive the result; `stop` ends its backoff sleeps.
    [[nodiscard]] static std::unique_ptr<OpenedCollection> open(const ResolvedStage& stage,
                                                                const CollectionOptions& options, StateStore& store,
                                                                HostServices& services, std::stop_token stop,
                                                                sdk::Status& status);
    ~OpenedCollection();
    OpenedCollection(const OpenedCollection&) = delete;
    OpenedCollection& operator=(const OpenedCollection&) = delete;

    [[nodiscard]] const std::string& name() const noexcept;
    [[nodiscard]] const std::string& plugin() const noexcept;
    // Collection::list with q.limit brought within [1, max_limit]; `out` is cleared first.
    sdk::Status list(sdk::CollectionQuery q, sdk::CollectionPage& out);
    sdk::Status get(std::string_view id, std::optional<boost::json::object>& out);

private:
    struct Impl;
    explicit OpenedCollection(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace junction::core
