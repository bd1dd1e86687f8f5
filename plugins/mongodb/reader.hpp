// The mongodb reader: the documents matching `filter`, in pages ordered by `sort` then
// _id (keyset paging, so documents changed by acknowledgements never shift a page), as
// JSON records. acknowledge() applies ack_set / reject_set to each document by _id.
// Behaves as the docstore reader (tests/plugins/reader_conformance.hpp holds both to it).
#pragma once

#include <atomic>
#include <memory>
#include <optional>

#include <junction/sdk/sdk.hpp>

#include "client.hpp"
#include "mongodb_config.hpp"

namespace junction::mongodb {

class MongoReader final : public sdk::Reader {
public:
    MongoReader();
    ~MongoReader() override;
    MongoReader(const MongoReader&) = delete;
    MongoReader& operator=(const MongoReader&) = delete;

    sdk::Status open(sdk::Context& context) override;
    sdk::Status read(sdk::Batch& out, std::size_t max_records, bool& end_of_input) override;
    sdk::Status acknowledge(const sdk::Acknowledgements& acks) override;
    sdk::Status close() override;

private:
    void build_query(bson_t* query) const;

    ReaderConfig config_{};
    std::unique_ptr<Client> client_;
    bson_t filter_;
    bson_t last_;  // {"sort": <value>, "_id": <value>} of the last document read; empty at the start
    std::string source_;
    sdk::Context* context_ = nullptr;
};

}  // namespace junction::mongodb
