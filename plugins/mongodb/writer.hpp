// The mongodb writer: upserts every record by its upsert_key fields ($set of its fields,
// so _id and fields it does not carry are kept) in one unordered bulk per batch, behind
// a unique index it creates on open(). Replays change nothing.
#pragma once

#include <memory>

#include <junction/sdk/sdk.hpp>

#include "client.hpp"
#include "mongodb_config.hpp"

namespace junction::mongodb {

class MongoWriter final : public sdk::Writer {
public:
    sdk::Status open(sdk::Context& context) override;
    sdk::Status write(std::span<const sdk::Record> batch, std::vector<sdk::Rejection>& rejected) override;
    sdk::Status close() override;

private:
    WriterConfig config_{};
    std::unique_ptr<Client> client_;
};

}  // namespace junction::mongodb
