// The queue plugin: manifest and factory only.
#include <junction/sdk/sdk.hpp>

#include "queue_config.hpp"
#include "reader.hpp"
#include "writer.hpp"

namespace junction::queue {

class QueueFactory final : public sdk::PluginFactory {
public:
    [[nodiscard]] sdk::PluginInfo info() const override {
        sdk::PluginInfo info;
        info.description =
            "An embedded durable queue on SQLite (no server): publish with a deduplication id; durable consumers "
            "with leases, acknowledgements, releases with backoff, delivery counts and FIFO per key";
        info.status = sdk::Maturity::beta;
        info.components.push_back({.kind = sdk::Kind::reader,
                                   .description = "Consumes a queue as a durable consumer: messages not acknowledged "
                                                  "within ack_wait_ms come back; released ones after a backoff",
                                   .options = reader_schema(),
                                   .redelivers = true});
        info.components.push_back({.kind = sdk::Kind::writer,
                                   .description = "Publishes each record, dropping a deduplication id seen within "
                                                  "the window; one durable transaction a batch",
                                   .options = writer_schema()});
        return info;
    }
    std::unique_ptr<sdk::Component> create(sdk::Kind kind) override {
        if (kind == sdk::Kind::reader) return std::make_unique<QueueReader>();
        if (kind == sdk::Kind::writer) return std::make_unique<QueueWriter>();
        return nullptr;
    }
    [[nodiscard]] sdk::Status check_options(sdk::Kind kind, const sdk::Options& options) const override {
        return kind == sdk::Kind::reader ? check_reader_config(options) : check_writer_config(options);
    }
};

}  // namespace junction::queue

JUNCTION_PLUGIN(junction::queue::QueueFactory, "queue", "0.1.0")
