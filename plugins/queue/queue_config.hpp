// The queue plugin's options, their checks, and the typed configs.
#pragma once

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include <junction/sdk/options.hpp>
#include <junction/sdk/status.hpp>

namespace junction::queue {

sdk::OptionSchema writer_schema();
sdk::OptionSchema reader_schema();

struct WriterConfig {
    std::filesystem::path path;
    std::string queue;
    std::string dedup_id;  // field path of the deduplication id; "$key": the record's key; "": none
    std::string key_field;  // field path of the ordering key; "": the record's key
    std::chrono::milliseconds dedup_window{};
    std::chrono::milliseconds max_age{};  // 0: kept for ever
};

struct ReaderConfig {
    std::filesystem::path path;
    std::string queue;
    std::string consumer;
    std::chrono::milliseconds ack_wait{};
    bool fifo_by_key = false;
    bool from_start = true;  // deliver: "all" (from the first retained message) or "new"
    std::vector<std::chrono::milliseconds> backoff;  // the delay after the n-th release (the last repeats)
};

sdk::Status check_writer_config(const sdk::Options& options);
sdk::Status check_reader_config(const sdk::Options& options);
WriterConfig writer_config(const sdk::Options& options);
ReaderConfig reader_config(const sdk::Options& options);

}  // namespace junction::queue
