#include "writer.hpp"

#include <string>

namespace junction::docstore {

sdk::Status DocstoreWriter::open(sdk::Context& context) {
    log_ = &context.log();
    config_ = writer_config(context.options());
    try {
        store_ = std::make_unique<DocStore>(config_.store.path, config_.store.collection);
        store_->ensure_unique_index(config_.upsert_key);
    } catch (const StoreError& e) {
        store_.reset();
        return status_of(e);
    }
    return sdk::Status::ok();
}

sdk::Status DocstoreWriter::write(std::span<const sdk::Record> batch, std::vector<sdk::Rejection>& rejected) {
    if (!store_) return sdk::Status::fatal("docstore: write() before a successful open()");
    std::vector<UpsertOutcome> outcomes;
    try {
        outcomes = store_->upsert(batch, config_.upsert_key);
    } catch (const StoreError& e) {
        return status_of(e);  // rolled back: a retry sends the same batch again
    }
    std::size_t inserted = 0, updated = 0, unchanged = 0;
    for (std::size_t i = 0; i < outcomes.size(); ++i) {
        switch (outcomes[i].result) {
            case UpsertResult::inserted:
                ++inserted;
                break;
            case UpsertResult::updated:
                ++updated;
                break;
            case UpsertResult::unchanged:
                ++unchanged;
                break;
            case UpsertResult::rejected:
                rejected.push_back({.index = i, .reason = std::move(outcomes[i].reason)});
        }
    }
    if (log_->enabled(sdk::LogLevel::debug))
        log_->debug("docstore: " + config_.store.collection + ": " + std::to_string(inserted) + " inserted, " +
                    std::to_string(updated) + " updated, " + std::to_string(unchanged) + " unchanged");
    return sdk::Status::ok();
}

sdk::Status DocstoreWriter::close() {
    store_.reset();
    return sdk::Status::ok();
}

}  // namespace junction::docstore
