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
// Pull requests are the reader's own (a request to $JS.API.CONSUMER.MSG.NEXT, answered on
// an inbox subscription), not libnats's natsSubscription_Fetch: Debian's libnats 3.4.1
// overflows a heap buffer in that call when messages of an earlier request arrive late
// (fixed upstream in 3.9, nats.c #749; bench/README.md, "JetStream"). Messages that
// arrive after a read returned wait on the inbox and come first in the next read. The
// acknowledgements are published to each message's reply subject (+ACK, +TERM, -NAK with
// its delay, +WPI), as libnats does.
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
#include <vector>

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
        std::int64_t published_ms = 0;  // when the stream stored it
        boost::json::object notes;    // what the history bucket holds for it
        bool noted = false;           // the bucket has an entry to remove once settled
    };
    [[nodiscard]] std::string history_key(std::uint64_t seq) const;
    boost::json::object notes_of(std::uint64_t seq, bool& found);
    void save_notes(std::uint64_t seq, InFlight& f);
    void forget_notes(std::uint64_t seq, InFlight& f);
    sdk::Record record_of(natsMsg* msg, InFlight& f, std::uint64_t seq);
    // Takes a delivered message in flight (its history read when delivered before); its
    // stream sequence, or 0 (destroyed) when it is not a JetStream message.
    std::uint64_t take(natsMsg* msg);
    void release_all() noexcept;
    // Appends up to `max` messages: those already on the inbox, then what one pull
    // request brings (no_wait: what is there now; else a long poll of `wait`).
    // `refused`: the server's reason when it refuses pull requests for good (a consumer
    // whose MaxRequestBatch or MaxRequestExpires the request exceeds, a push consumer).
    natsStatus fetch(std::vector<natsMsg*>& out, std::size_t max, bool no_wait, std::chrono::milliseconds wait,
                     std::string& refused);
    // Publishes an acknowledgement (+ACK, +TERM, -NAK ..., +WPI) to the message's reply subject.
    natsStatus reply(natsMsg* msg, const std::string& body);

    ReaderConfig config_{};
    std::unique_ptr<Connection> connection_;
    natsSubscription* sub_ = nullptr;  // <inbox>.*: each pull request is answered on <inbox>.<n>
    std::string inbox_;
    std::uint64_t requests_ = 0;
    // The last long poll, until the server ended it (its status) or it filled its batch;
    // close() waits for it (at most fetch_wait_ms) and gives back what it still brings.
    std::string open_request_;
    std::chrono::steady_clock::time_point open_until_{};
    std::string next_subject_;  // $JS.API.CONSUMER.MSG.NEXT.<stream>.<consumer>
    kvStore* history_ = nullptr;
    sdk::Context* context_ = nullptr;
    std::map<std::uint64_t, InFlight> in_flight_;  // by stream sequence
};

}  // namespace junction::nats
