// The mongodb collection (SDK 2.3): a collection's documents served read-only, paged by
// _id (keyset: _id > the cursor's, sorted by _id, limit + 1), filtered by field equality.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <junction/sdk/sdk.hpp>

#include "client.hpp"
#include "mongodb_config.hpp"

namespace junction::mongodb {

// Ids are ObjectIds (given out as 24 lowercase hex digits) or strings, in MongoDB's order:
// every string id (bytewise) before every ObjectId. Documents whose _id is of another
// type (a number, a document) are not listed; get() does not find them either.
// Equality filters on a date_fields path take an ISO 8601 string and match the BSON date.
class MongoCollection final : public sdk::Collection {
public:
    sdk::Status open(sdk::Context& context) override;
    sdk::Status list(const sdk::CollectionQuery& q, sdk::CollectionPage& out) override;
    sdk::Status get(std::string_view id, std::optional<boost::json::object>& out) override;
    sdk::Status close() override;

private:
    CommonConfig config_{};
    std::string scope_;  // binds cursors to this database and collection
    std::unique_ptr<Client> client_;
};

}  // namespace junction::mongodb
