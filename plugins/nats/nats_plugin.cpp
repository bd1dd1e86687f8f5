// The nats plugin: manifest and factory only.
#include <junction/sdk/sdk.hpp>

#include "nats_config.hpp"
#include "reader.hpp"
#include "writer.hpp"

namespace junction::nats {

class NatsFactory final : public sdk::PluginFactory {
public:
    [[nodiscard]] sdk::PluginInfo info() const override {
        sdk::PluginInfo info;
        info.description =
            "NATS JetStream: publish to a stream with deduplication ids; durable pull consumers shared by many hosts, "
            "with AckWait leases, in-progress extensions, releases with backoff, delivery counts and dead letters";
        info.status = sdk::Maturity::beta;
        info.components.push_back({.kind = sdk::Kind::reader,
                                   .description = "A durable pull consumer: messages not acknowledged within "
                                                  "ack_wait_ms come back; released ones after a backoff; every "
                                                  "host reading the consumer shares its messages",
                                   .options = reader_schema(),
                                   .redelivers = true});
        info.components.push_back({.kind = sdk::Kind::writer,
                                   .description = "Publishes each record to a subject (fixed or from its fields) with "
                                                  "its Nats-Msg-Id, waiting for the stream's acknowledgements",
                                   .options = writer_schema()});
        return info;
    }
    std::unique_ptr<sdk::Component> create(sdk::Kind kind) override {
        if (kind == sdk::Kind::reader) return std::make_unique<NatsReader>();
        if (kind == sdk::Kind::writer) return std::make_unique<NatsWriter>();
        return nullptr;
    }
    [[nodiscard]] sdk::Status check_options(sdk::Kind kind, const sdk::Options& options) const override {
        return kind == sdk::Kind::reader ? check_reader_config(options) : check_writer_config(options);
    }
};

}  // namespace junction::nats

JUNCTION_PLUGIN(junction::nats::NatsFactory, "nats", "0.1.0")
