// The nats writer: publishes each record to a JetStream subject (fixed, or a template over
// the record's fields), with its Nats-Msg-Id (dedup_id) and key (the Junction-Key header);
// publishes a batch asynchronously and waits for every publish acknowledgement before
// write() returns, so what write() accepted is stored (on R replicas) when flush() runs.
// A record whose subject the stream does not hold, or that is larger than the server
// takes, is rejected alone; a publish the server did not acknowledge retries the batch
// (with dedup_id set, a retried batch is stored once).
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include <junction/sdk/components.hpp>

#include "jetstream.hpp"
#include "nats_config.hpp"

namespace junction::nats {

class NatsWriter final : public sdk::Writer {
public:
    sdk::Status open(sdk::Context& context) override;
    sdk::Status write(std::span<const sdk::Record> batch, std::vector<sdk::Rejection>& rejected) override;
    sdk::Status close() override;

    // The publish acknowledgements of the batch in flight (filled by libnats's thread).
    struct Pending {
        std::mutex mutex;
        std::unordered_map<const natsMsg*, std::size_t> index;  // message -> its record
        std::vector<std::pair<std::size_t, std::string>> failed;  // record, why
        std::string refused;  // a JetStream refusal no retry mends (classify: fatal)
        std::vector<std::size_t> too_large;
        std::size_t stored = 0;
        std::size_t duplicates = 0;
    };

private:
    // The subject of one record, or "" with `why` set.
    std::string subject_of(const sdk::Record& r, std::string& why) const;

    WriterConfig config_{};
    std::vector<SubjectPart> subject_;
    std::vector<std::string> stream_subjects_;
    std::unique_ptr<Connection> connection_;
    std::unique_ptr<Pending> pending_;
    sdk::Context* context_ = nullptr;
    sdk::Counter* published_ = nullptr;
    sdk::Counter* duplicates_ = nullptr;
};

}  // namespace junction::nats
