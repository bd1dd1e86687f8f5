// Opening a plugin's Intake for the HTTP server (see junction/core/intake.hpp).
#include "junction/core/intake.hpp"

#include <utility>

#include "hosted_component.hpp"

namespace junction::core {

struct OpenedIntake::Impl {
    HostedComponent hosted;
    std::shared_ptr<sdk::Intake> instance;
};

OpenedIntake::OpenedIntake(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

OpenedIntake::~OpenedIntake() {
    if (impl_ && impl_->instance) (void)impl_->instance->close();
}

std::unique_ptr<OpenedIntake> OpenedIntake::open(const ResolvedStage& stage, const std::string& name,
                                                 const std::filesystem::path& base_dir, StateStore& store,
                                                 HostServices& services, std::stop_token stop, sdk::Status& status) {
    auto impl = std::unique_ptr<Impl>(
        new Impl{.hosted = HostedComponent(stage, name, "intake", store, services, std::move(stop), base_dir),
                 .instance = nullptr});
    impl->instance = impl->hosted.open(stage.plugin->create_intake(), sdk::Kind::intake, status);
    if (!impl->instance) return nullptr;
    return std::unique_ptr<OpenedIntake>(new OpenedIntake(std::move(impl)));
}

const std::string& OpenedIntake::plugin() const noexcept {
    return impl_->hosted.plugin;
}

sdk::Status OpenedIntake::submit(const sdk::Submission& s, sdk::Receipt& out) {
    out = {};
    return impl_->hosted.scrubbed(impl_->instance->submit(s, out));
}

sdk::Status OpenedIntake::find(std::string_view id, std::optional<sdk::StoredSubmission>& out) {
    out.reset();
    return impl_->hosted.scrubbed(impl_->instance->find(id, out));
}

}  // namespace junction::core
