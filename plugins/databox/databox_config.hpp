// The databox writer's options, the checks the schema cannot express (the dataset schema
// file and its earlier versions), and the typed config.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include <junction/sdk/dataset_schema.hpp>
#include <junction/sdk/options.hpp>
#include <junction/sdk/status.hpp>

namespace junction::databox {

// Databox accepts at most this many records per ingestion (POST /v1/datasets/{id}/data,
// developers.databox.com "Create an ingestion").
inline constexpr std::int64_t max_batch_rows = 100;

sdk::OptionSchema writer_schema();

struct WriterConfig {
    std::string connection;
    std::string base_url;  // without a trailing '/'
    std::filesystem::path schema_file;
    std::optional<std::int64_t> account_id;
    std::string data_source;  // a title, or a numeric id
    std::string dataset_title;
    std::size_t batch_rows = max_batch_rows;
    bool create = true;
    std::chrono::milliseconds timeout{30000};
};

// The schema file parses, and each earlier version beside it (<dataset>.v1.json ..
// v<N-1>) evolves compatibly into the next: ok, or fatal with one line starting with
// "schema: " that names the file, the field and what to do. The factory's check_options(),
// so `junction validate` refuses a breaking change before any push.
sdk::Status check_writer_config(const sdk::Options& options);

// The schema file and every earlier version in its folder, checked as above; the schema
// itself is returned. Throws sdk::SchemaError with the line check_writer_config returns
// (without "schema: ").
sdk::DatasetSchema load_checked_schema(const std::filesystem::path& file);

WriterConfig writer_config(const sdk::Options& options, const sdk::DatasetSchema& schema);

}  // namespace junction::databox
