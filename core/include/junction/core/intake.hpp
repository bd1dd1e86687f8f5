// An intake endpoint's store in the core: a plugin's Intake component (SDK 2.4), resolved
// by plugin name and options like a pipeline stage (resolve_component in engine.hpp), then
// opened with a context of its own for the HTTP server to call (as OpenedCollection).
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

#include <junction/sdk/sdk.hpp>

#include "engine.hpp"
#include "host_services.hpp"
#include "state_store.hpp"

namespace junction::core {

// One opened instance of a plugin's Intake; it holds the plugin's library loaded and is
// closed when destroyed. Call it from one thread at a time. Messages of failed calls come
// back with the options' secrets scrubbed out.
class OpenedIntake {
public:
    // Creates the instance and calls its open(). nullptr with `status` set when the plugin
    // made none (fatal) or open() failed. `name` (the route) tags its log lines.
    [[nodiscard]] static std::unique_ptr<OpenedIntake> open(const ResolvedStage& stage, const std::string& name,
                                                            const std::filesystem::path& base_dir, StateStore& store,
                                                            HostServices& services, std::stop_token stop,
                                                            sdk::Status& status);
    ~OpenedIntake();
    OpenedIntake(const OpenedIntake&) = delete;
    OpenedIntake& operator=(const OpenedIntake&) = delete;

    [[nodiscard]] const std::string& plugin() const noexcept;
    // Intake::submit; `out` is reset first.
    sdk::Status submit(const sdk::Submission& s, sdk::Receipt& out);
    sdk::Status find(std::string_view id, std::optional<sdk::StoredSubmission>& out);

private:
    struct Impl;
    explicit OpenedIntake(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace junction::core
