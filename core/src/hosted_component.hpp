// A plugin component the host calls outside any pipeline (a served collection, an intake):
// its options, the context it is opened with, and the scrubbing of its messages (private
// to core; used by collection.cpp and intake.cpp).
#pragma once

#include <filesystem>
#include <memory>
#include <stop_token>
#include <string>
#include <utility>
#include <vector>

#include "junction/core/engine.hpp"
#include "junction/core/option_validation.hpp"
#include "stage_context.hpp"

namespace junction::core {

struct HostedComponent {
    std::string name;
    std::string plugin;
    sdk::Options options;  // the context refers to it: declared first, destroyed last
    std::vector<std::string> secrets;
    std::unique_ptr<StageContext> context;

    HostedComponent(const ResolvedStage& stage, std::string name_, const char* kind, StateStore& store,
                    HostServices& services, std::stop_token stop, const std::filesystem::path& base_dir)
        : name(std::move(name_)),
          plugin(stage.config != nullptr ? stage.config->plugin : stage.plugin->info().name),
          options(stage.options) {
        if (stage.component != nullptr && stage.config != nullptr)
            secrets = secret_values(stage.component->options, stage.config->options);
        context = std::make_unique<StageContext>(options, StageIdentity{name, plugin, kind}, store, services,
                                                 std::move(stop), base_dir, sdk::Positions{});
    }

    // A failed call's status with the options' secrets taken out of its message.
    [[nodiscard]] sdk::Status scrubbed(sdk::Status st) const {
        if (st.is_ok() || secrets.empty()) return st;
        auto message = services::detail::scrub(st.message(), secrets);
        switch (st.code()) {
            case sdk::Code::retry:
                return sdk::Status::retry(std::move(message), st.retry_after());
            case sdk::Code::reject:
                return sdk::Status::reject(std::move(message));
            default:
                return sdk::Status::fatal(std::move(message));
        }
    }

    // Creates the plugin's instance of T and opens it; nullptr and `status` when it could
    // not (the instance is closed again after a failed open()).
    template <class T>
    std::shared_ptr<T> open(std::shared_ptr<T> instance, sdk::Kind kind, sdk::Status& status) {
        if (!instance) {
            status = sdk::Status::fatal("plugin " + plugin + " created no " + sdk::to_string(kind));
            return nullptr;
        }
        status = scrubbed(instance->open(*context));
        if (!status.is_ok()) {
            (void)instance->close();
            return nullptr;
        }
        return instance;
    }
};

}  // namespace junction::core
