// The docstore plugin's options (the same names, defaults and meaning as the mongodb
// plugin's, so a config moves from the demo store to MongoDB by changing the plugin
// name), the checks the schemas cannot express, and the typed configs.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <boost/json/object.hpp>
#include <junction/sdk/options.hpp>
#include <junction/sdk/status.hpp>

namespace junction::docstore {

sdk::OptionSchema reader_schema();
sdk::OptionSchema writer_schema();
// The collection's options (SDK 2.3): the reader's `path` and `collection`.
sdk::OptionSchema collection_schema();
// The intake's options (SDK 2.4): `path` and `collection`, where submissions are stored.
sdk::OptionSchema intake_schema();

struct StoreConfig {
    std::filesystem::path path;  // absolute: resolved by the host against the config file's folder
    std::string collection;
};

struct WriterConfig {
    StoreConfig store;
    std::vector<std::string> upsert_key;
};

struct ReaderConfig {
    StoreConfig store;
    boost::json::object filter;
    boost::json::object ack_set;
    boost::json::object reject_set;
    std::string key_field;
    std::string sort;
    bool outbox = false;  // relay the intake's outbox of the collection
};

// What the schemas cannot say, on validated options: ok, or fatal with one line that
// starts with the option ("upsert_key[0]: ..."). The factory's check_options(), so
// `junction validate` refuses it before any open().
sdk::Status check_writer_config(const sdk::Options& options);
sdk::Status check_reader_config(const sdk::Options& options);
sdk::Status check_collection_config(const sdk::Options& options);
sdk::Status check_intake_config(const sdk::Options& options);

// The typed configs of options validated and checked by the host.
WriterConfig writer_config(const sdk::Options& options);
ReaderConfig reader_config(const sdk::Options& options);
StoreConfig collection_config(const sdk::Options& options);

}  // namespace junction::docstore
