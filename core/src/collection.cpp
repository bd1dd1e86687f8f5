// Opening a plugin's Collection for the HTTP server (see junction/core/collection.hpp).
#include "junction/core/collection.hpp"

#include <algorithm>
#include <utility>
#include <vector>

#include "junction/core/option_validation.hpp"
#include "stage_context.hpp"

namespace junction::core {

struct OpenedCollection::Impl {
    std::string name;
    std::string plugin;
    std::size_t max_limit = 1000;
    sdk::Options options;  // the context refers to it: declared first, destroyed last
    std::vector<std::string> secrets;
    std::unique_ptr<StageContext> context;
    std::shared_ptr<sdk::Collection> instance;

    sdk::Status scrubbed(sdk::Status st) const {
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
};

OpenedCollection::OpenedCollection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

OpenedCollection::~OpenedCollection() {
    if (impl_ && impl_->instance) (void)impl_->instance->close();
}

std::unique_ptr<OpenedCollection> OpenedCollection::open(const ResolvedStage& stage, const CollectionOptions& options,
                                                         StateStore& store, HostServices& services,
                                                         std::stop_token stop, sdk::Status& status) {
    auto impl = std::make_unique<Impl>();
    impl->name = options.name;
    impl->plugin = stage.config != nullptr ? stage.config->plugin : stage.plugin->info().name;
    impl->max_limit = std::max<std::size_t>(1, options.max_limit);
    impl->options = stage.options;
    if (stage.component != nullptr && stage.config != nullptr)
        impl->secrets = secret_values(stage.component->options, stage.config->options);
    impl->context =
        std::make_unique<StageContext>(impl->options, StageIdentity{options.name, impl->plugin, "collection"}, store,
                                       services, std::move(stop), options.base_dir, sdk::Positions{});
    impl->instance = stage.plugin->create_collection();
    if (!impl->instance) {
        status = sdk::Status::fatal("plugin " + impl->plugin + " created no collection");
        return nullptr;
    }
    status = impl->scrubbed(impl->instance->open(*impl->context));
    if (!status.is_ok()) {
        (void)impl->instance->close();
        impl->instance.reset();
        return nullptr;
    }
    return std::unique_ptr<OpenedCollection>(new OpenedCollection(std::move(impl)));
}

const std::string& OpenedCollection::name() const noexcept {
    return impl_->name;
}

const std::string& OpenedCollection::plugin() const noexcept {
    return impl_->plugin;
}

sdk::Status OpenedCollection::list(sdk::CollectionQuery q, sdk::CollectionPage& out) {
    q.limit = std::clamp<std::size_t>(q.limit, 1, impl_->max_limit);
    out = {};
    return impl_->scrubbed(impl_->instance->list(q, out));
}

sdk::Status OpenedCollection::get(std::string_view id, std::optional<boost::json::object>& out) {
    out.reset();
    return impl_->scrubbed(impl_->instance->get(id, out));
}

}  // namespace junction::core
