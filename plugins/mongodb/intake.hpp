// The mongodb intake (SDK 2.4): an intake endpoint's submissions stored in a collection,
// one document per identity:
//   {_id: ObjectId(the identity's first 12 bytes), identity, received_at: Date,
//    outbox: "pending", payload}
// and the idempotency keys in "<collection>_idempotency_keys" (unique on `key`).
//
// The submission document is its own outbox entry (`outbox: "pending"` until the relay
// marks it) and its identity is its _id, so storing and queueing a submission is one
// single-document write, atomic on every server, and an identity is stored once through
// the _id index that every server enforces. The relay is the mongodb reader:
//   {"filter": {"outbox": "pending"}, "sort": "received_at",
//    "ack_set": {"outbox": "published", "published_at": "$now"}}
//
// The key and the submission are two documents. With `transactions` (auto: when the
// server is a replica set or a sharded cluster, whose `hello` says so), the key's lookup,
// the submission and the key are one multi-document transaction. Without (a standalone
// server), the key is written after the submission: a crash between the two leaves the
// submission stored and its key not, and the retry with that key is answered as a
// duplicate of it (the same id, 200 instead of the replayed 202).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <junction/sdk/sdk.hpp>

#include "client.hpp"
#include "mongodb_config.hpp"

namespace junction::mongodb {

class MongoIntake final : public sdk::Intake {
public:
    sdk::Status open(sdk::Context& context) override;
    sdk::Status submit(const sdk::Submission& s, sdk::Receipt& out) override;
    sdk::Status find(std::string_view id, std::optional<sdk::StoredSubmission>& out) override;
    sdk::Status close() override;

    // Whether submit() runs in a transaction (decided at open()).
    [[nodiscard]] bool transactional() const noexcept { return transactions_; }

private:
    sdk::Status steps(mongoc_collection_t* submissions, mongoc_collection_t* keys, const bson_t* opts,
                      const sdk::Submission& s, sdk::Receipt& out);

    CommonConfig config_{};
    std::string keys_collection_;
    bool transactions_ = false;
    std::unique_ptr<Client> client_;
};

}  // namespace junction::mongodb
