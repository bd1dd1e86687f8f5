// The docstore reader: pages through the documents a filter matches, in sort order,
// and marks each one (ack_set / reject_set) once the engine acknowledged it.
#pragma once

#include <memory>

#include <junction/sdk/components.hpp>

#include "docstore_config.hpp"
#include "store.hpp"

namespace junction::docstore {

// Behaves as the mongodb reader (tests/plugins/reader_conformance.hpp holds both to it):
// with ack_set, the filter is the queue and each run reads what it matches now; without
// ack_set (and sorted by _id) a run resumes after the committed position, the last
// acknowledged document's _id. With outbox, it relays an intake's outbox (intake.hpp).
class DocstoreReader final : public sdk::Reader {
public:
    sdk::Status open(sdk::Context& context) override;
    sdk::Status read(sdk::Batch& out, std::size_t max_records, bool& end_of_input) override;
    sdk::Status acknowledge(const sdk::Acknowledgements& acks) override;
    sdk::Status close() override;

private:
    ReaderConfig config_{};
    Filter filter_;
    Cursor cursor_;
    std::int64_t outbox_seq_ = 0;  // with outbox: the last seq read this run
    std::unique_ptr<DocStore> store_;
    sdk::Context* context_ = nullptr;
};

}  // namespace junction::docstore
