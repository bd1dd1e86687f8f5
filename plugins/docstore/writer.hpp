// The docstore writer: upserts each batch keyed on upsert_key in one transaction.
#pragma once

#include <memory>

#include <junction/sdk/components.hpp>

#include "docstore_config.hpp"
#include "store.hpp"

namespace junction::docstore {

class DocstoreWriter final : public sdk::Writer {
public:
    sdk::Status open(sdk::Context& context) override;
    // Each batch commits (synchronous=FULL) before write() returns, so flush() has
    // nothing left to do.
    sdk::Status write(std::span<const sdk::Record> batch, std::vector<sdk::Rejection>& rejected) override;
    sdk::Status close() override;

private:
    WriterConfig config_;
    std::unique_ptr<DocStore> store_;
    sdk::Logger* log_ = nullptr;
};

}  // namespace junction::docstore
