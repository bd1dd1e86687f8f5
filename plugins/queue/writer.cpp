#include "writer.hpp"

#include <junction/sdk/json_path.hpp>
#include <junction/sdk/json_text.hpp>

#include "common/queue_options.hpp"

namespace junction::queue {
namespace {


}  // namespace

sdk::Status QueueWriter::open(sdk::Context& context) {
    context_ = &context;
    config_ = writer_config(context.options());
    try {
        store_ = std::make_unique<QueueStore>(config_.path, config_.queue);
    } catch (const QueueError& e) {
        return plugin_sqlite::status_of(e);
    }
    const sdk::MetricLabels labels{{"queue", config_.queue}};
    published_ = &context.metrics().counter("published_total", "messages published to the queue", labels);
    duplicates_ = &context.metrics().counter(
        "duplicates_total", "messages dropped because their id was published within the window", labels);
    return sdk::Status::ok();
}

sdk::Status QueueWriter::write(std::span<const sdk::Record> batch, std::vector<sdk::Rejection>& rejected) {
    if (!store_) return sdk::Status::fatal("queue: write() before a successful open()");
    std::vector<OutgoingMessage> messages;
    messages.reserve(batch.size());
    for (std::size_t i = 0; i < batch.size(); ++i) {
        const auto& r = batch[i];
        OutgoingMessage m;
        auto id = queue_options::dedup_id_of(r, config_.dedup_id);
        if (!id) {
            rejected.push_back({.index = i, .reason = queue_options::missing_dedup_id(config_.dedup_id)});
            continue;
        }
        m.msg_id = std::move(*id);
        m.key = queue_options::key_of(r, config_.key_field);
        m.body = sdk::to_json_text(r.payload);
        messages.push_back(std::move(m));
    }
    PublishResult done;
    try {
        const auto now =
            std::chrono::duration_cast<std::chrono::milliseconds>(context_->clock().now().time_since_epoch()).count();
        done = store_->publish(messages, now, config_.dedup_window, config_.max_age);
    } catch (const QueueError& e) {
        return plugin_sqlite::status_of(e);
    }
    published_->add(static_cast<double>(done.published));
    duplicates_->add(static_cast<double>(done.duplicates));
    return sdk::Status::ok();
}

sdk::Status QueueWriter::close() {
    store_.reset();
    return sdk::Status::ok();
}

}  // namespace junction::queue
