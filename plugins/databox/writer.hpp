// The databox writer: each record checked against the dataset schema and cut down to its
// fields, then pushed to a Databox dataset in ingestions of at most batch_rows rows; every
// ingestion call recorded in the push log.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include <junction/sdk/components.hpp>
#include <junction/sdk/dataset_schema.hpp>

#include "client.hpp"
#include "databox_config.hpp"

namespace junction::databox {

class DataboxWriter final : public sdk::Writer {
public:
    // Validates the key, finds (or creates) the data source and the dataset, and refuses a
    // schema that is not a compatible evolution of the one the dataset was last pushed with.
    sdk::Status open(sdk::Context& context) override;
    // Databox acknowledges each ingestion before write() returns, so flush() has nothing to do.
    sdk::Status write(std::span<const sdk::Record> batch, std::vector<sdk::Rejection>& rejected) override;
    sdk::Status close() override;

private:
    sdk::Status resolve_account(std::int64_t& out);
    sdk::Status resolve_data_source(std::int64_t account, std::int64_t& out);
    sdk::Status resolve_dataset(std::int64_t data_source);
    sdk::Status check_history();
    sdk::Status push(boost::json::array rows, const std::vector<std::size_t>& indexes,
                     std::vector<sdk::Rejection>& rejected);
    [[nodiscard]] std::string target() const;

    sdk::Context* context_ = nullptr;
    WriterConfig config_;
    sdk::DatasetSchema schema_;
    std::string schema_json_;  // the schema as stored in the state after a push
    std::unique_ptr<Client> client_;
    std::string dataset_id_;
    bool schema_stored_ = false;
};

}  // namespace junction::databox
