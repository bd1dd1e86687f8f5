// The docstore collection (SDK 2.3): a collection's documents served read-only, paged by
// _id (keyset), filtered by field equality, while a pipeline's writer writes to the file.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <junction/sdk/collection.hpp>

#include "docstore_config.hpp"
#include "store.hpp"

namespace junction::docstore {

// Each list() or get() is one SELECT, its own short read transaction: under WAL the
// writer is never blocked by it, and it sees every batch committed before it began.
// Pages are ordered by _id as SQLite orders text (bytewise); the cursor holds the last
// _id, checked to be one this collection produced.
class DocstoreCollection final : public sdk::Collection {
public:
    sdk::Status open(sdk::Context& context) override;
    sdk::Status list(const sdk::CollectionQuery& q, sdk::CollectionPage& out) override;
    sdk::Status get(std::string_view id, std::optional<boost::json::object>& out) override;
    sdk::Status close() override;

private:
    StoreConfig config_{};
    std::string scope_;  // binds cursors to this collection
    std::unique_ptr<DocStore> store_;
};

}  // namespace junction::docstore
