// The docstore plugin's options (the same names and meaning as the mongodb plugin's,
// so a config moves from the demo store to MongoDB by changing the plugin name) and
// the typed configs its reader and writer work from.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include <boost/json/object.hpp>
#include <junction/sdk/context.hpp>
#include <junction/sdk/options.hpp>
#include <junction/sdk/status.hpp>

namespace junction::docstore {

sdk::OptionSchema reader_schema();
sdk::OptionSchema writer_schema();

struct StoreConfig {
    std::filesystem::path path;  // resolved against the config file's folder
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
    std::string key_field = "_id";
    std::string sort = "_id";
};

// From validated options; a fatal status says what is wrong in one line.
sdk::Status make_writer_config(const sdk::Context& context, WriterConfig& out);
sdk::Status make_reader_config(const sdk::Context& context, ReaderConfig& out);

}  // namespace junction::docstore
