// The nats reader: a durable pull consumer (explicit acks) of a JetStream stream. read()
// fetches up to a batch (waiting up to fetch_wait_ms); meta.attempts counts deliveries and
// meta.attributes.queue carries the stream, consumer, stream sequence, Nats-Msg-Id,
// subject, publish time and delivery history, as the queue plugin's do. acknowledge()
// acks what was written, terminates what was dead-lettered, and naks what was released
// with the larger of the engine's delay and backoff_ms; keep_alive() sends in-progress
// acks (the lease is AckWait); close() gives back, uncounted, what it did not settle.
// A message delivered more than max_deliver times (its lease lapsing each time: a host
// dying on it) comes out as a record with meta.error, so the engine dead-letters it with
// its attempt count instead of processing it again.
//
// JetStream keeps a delivery count, not why a message came back: the reasons of releases
// (and the deliveries given back uncounted) go to a KV bucket (history_bucket), keyed by
// stream, consumer and sequence, written only when a message is released or given back
// and read only when it is delivered again.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include <boost/json/object.hpp>
#include <junction/sdk/components.hpp>

#include "jetstream.hpp"
#include "nats_config.hpp"

namespace junction::nats {

class NatsReader final : public sdk::Reader {
public:
    NatsReader() = default;
    NatsReader(const NatsReader&) = delete;
    NatsReader& operator=(const NatsReader&) = delete;
    ~NatsReader() override;  // without close(): what is in flight waits for its lease, as after a crash

    sdk::Status open(sdk::Context& context) override;
    sdk::Status read(sdk::Batch& out, std::size_t max_records, bool& end_of_input) override;
    sdk::Status acknowledge(const sdk::Acknowledgements& acks) override;
    sdk::Status keep_alive() override;
    [[nodiscard]] std::chrono::milliseconds keep_alive_interval() const noexcept override;
    sdk::Status close() override;

private:
    struct InFlight {
        natsMsg* msg = nullptr;
        std::uint64_t delivered = 0;  // the server's count, give-backs included
        boost::json::object notes;    // what the history bucket holds for it
        bool noted = false;           // the bucket has an entry to remove once settled
    };
    [[nodiscard]] std::string history_key(std::uint64_t seq) const;
    boost::json::object notes_of(std::uint64_t seq, bool& found);
    void save_notes(std::uint64_t seq, InFlight& f);
    void forget_notes(std::uint64_t seq, InFlight& f);
    sdk::Record record_of(natsMsg* msg, InFlight& f, std::uint64_t seq);
    void release_all() noexcept;
    natsStatus fetch(natsMsgList& list, std::size_t max, bool no_wait, std::chrono::milliseconds wait);

    ReaderConfig config_{};
    std::unique_ptr<Connection> connection_;
    natsSubscription* sub_ = nullptr;
    kvStore* history_ = nullptr;
    sdk::Context* context_ = nullptr;
    std::map<std::uint64_t, InFlight> in_flight_;  // by stream sequence
};

}  // namespace junction::nats
