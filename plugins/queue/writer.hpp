// The queue writer: publishes each record as a message of the embedded queue, with a
// deduplication id (dedup_id: a field, or the record's key) and an ordering key, one transaction
// (durable) per batch; a message whose id was published within the window is dropped.
#pragma once

#include <memory>

#include <junction/sdk/components.hpp>

#include "queue_config.hpp"
#include "queue_store.hpp"

namespace junction::queue {

class QueueWriter final : public sdk::Writer {
public:
    sdk::Status open(sdk::Context& context) override;
    sdk::Status write(std::span<const sdk::Record> batch, std::vector<sdk::Rejection>& rejected) override;
    sdk::Status close() override;

private:
    WriterConfig config_{};
    std::unique_ptr<QueueStore> store_;
    sdk::Context* context_ = nullptr;
    sdk::Counter* published_ = nullptr;
    sdk::Counter* duplicates_ = nullptr;
};

}  // namespace junction::queue
