// The docstore intake (SDK 2.4): submissions stored as documents of a collection
// ({_id, identity, received_at, payload}), with a unique index on identity, an outbox
// table of those not yet published and a table of idempotency keys, all in the same
// SQLite file, so one transaction writes them together. A docstore reader with
// "outbox": true relays the outbox.
#pragma once

#include <memory>
#include <mutex>
#include <optional>
#include <string_view>

#include <junction/sdk/intake.hpp>

#include "docstore_config.hpp"
#include "store.hpp"

namespace junction::docstore {

// Instances on the same file in one process take turns through one mutex per file:
// SQLite's busy handler sleeps and polls (up to 100 ms at a time), which under 50
// concurrent submitters costs far more than waiting on a mutex. Other processes on the
// same file still wait on SQLite's lock (busy_timeout), and the transaction is what
// keeps an identity stored once across them.
class DocstoreIntake final : public sdk::Intake {
public:
    sdk::Status open(sdk::Context& context) override;
    sdk::Status submit(const sdk::Submission& s, sdk::Receipt& out) override;
    sdk::Status find(std::string_view id, std::optional<sdk::StoredSubmission>& out) override;
    sdk::Status close() override;

private:
    StoreConfig config_{};
    std::unique_ptr<DocStore> store_;
    std::shared_ptr<std::mutex> file_mutex_;
};

}  // namespace junction::docstore
