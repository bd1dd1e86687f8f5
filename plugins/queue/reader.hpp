// The queue reader: a durable consumer of the embedded queue. Each read() leases due
// messages (meta.attempts counts deliveries; meta.attributes.queue carries the message's
// seq, id, publish time and delivery history); acknowledge() removes what was written or
// dead-lettered and gives released ones back for later (after the larger of the engine's
// delay and backoff_ms); keep_alive() extends the leases of what is in flight; close()
// gives back, uncounted, what was leased and never settled.
#pragma once

#include <memory>
#include <set>
#include <string>

#include <junction/sdk/components.hpp>

#include "queue_config.hpp"
#include "queue_store.hpp"

namespace junction::queue {

class QueueReader final : public sdk::Reader {
public:
    sdk::Status open(sdk::Context& context) override;
    sdk::Status read(sdk::Batch& out, std::size_t max_records, bool& end_of_input) override;
    sdk::Status acknowledge(const sdk::Acknowledgements& acks) override;
    sdk::Status keep_alive() override;
    [[nodiscard]] std::chrono::milliseconds keep_alive_interval() const noexcept override;
    sdk::Status close() override;

private:
    [[nodiscard]] std::int64_t now_ms() const;

    ReaderConfig config_{};
    std::unique_ptr<QueueStore> store_;
    sdk::Context* context_ = nullptr;
    std::string lease_;                // this instance's token
    std::set<std::int64_t> in_flight_;  // leased, not yet settled
};

}  // namespace junction::queue
