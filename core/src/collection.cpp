// Opening a plugin's Collection for the HTTP server (see junction/core/collection.hpp).
#include "junction/core/collection.hpp"

#include <algorithm>
#include <utility>

#include "hosted_component.hpp"

namespace junction::core {

struct OpenedCollection::Impl {
    HostedComponent hosted;
    std::size_t max_limit = 1000;
    std::shared_ptr<sdk::Collection> instance;
};

OpenedCollection::OpenedCollection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

OpenedCollection::~OpenedCollection() {
    if (impl_ && impl_->instance) (void)impl_->instance->close();
}

std::unique_ptr<OpenedCollection> OpenedCollection::open(const ResolvedStage& stage, const CollectionOptions& options,
                                                         StateStore& store, HostServices& services,
                                                         std::stop_token stop, sdk::Status& status) {
    auto impl = std::unique_ptr<Impl>(new Impl{
        .hosted = HostedComponent(stage, options.name, "collection", store, services, std::move(stop), options.base_dir),
        .max_limit = std::max<std::size_t>(1, options.max_limit),
        .instance = nullptr});
    impl->instance = impl->hosted.open(stage.plugin->create_collection(), sdk::Kind::collection, status);
    if (!impl->instance) return nullptr;
    return std::unique_ptr<OpenedCollection>(new OpenedCollection(std::move(impl)));
}

const std::string& OpenedCollection::name() const noexcept {
    return impl_->hosted.name;
}

const std::string& OpenedCollection::plugin() const noexcept {
    return impl_->hosted.plugin;
}

sdk::Status OpenedCollection::list(sdk::CollectionQuery q, sdk::CollectionPage& out) {
    q.limit = std::clamp<std::size_t>(q.limit, 1, impl_->max_limit);
    out = {};
    return impl_->hosted.scrubbed(impl_->instance->list(q, out));
}

sdk::Status OpenedCollection::get(std::string_view id, std::optional<boost::json::object>& out) {
    out.reset();
    return impl_->hosted.scrubbed(impl_->instance->get(id, out));
}

}  // namespace junction::core
