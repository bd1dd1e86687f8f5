// The mongodb plugin's options (the same names as the embedded docstore plugin's, with
// `uri` for `path`) and the typed configuration its reader and writer run with.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <boost/json/object.hpp>
#include <junction/sdk/sdk.hpp>

namespace junction::mongodb {

struct CommonConfig {
    std::string uri;  // secret: may hold a password
    std::string database;
    std::string collection;
    std::chrono::milliseconds timeout{5000};
    std::vector<std::string> date_fields;
};

struct ReaderConfig : CommonConfig {
    boost::json::object filter;
    boost::json::object ack_set;
    boost::json::object reject_set;
    std::string key_field = "_id";
    std::string sort = "_id";
};

struct WriterConfig : CommonConfig {
    std::vector<std::string> upsert_key;
};

sdk::OptionSchema reader_options();
sdk::OptionSchema writer_options();

// Typed configs from validated options; a fatal status for what the schema cannot say
// (an empty upsert_key, an empty field name).
sdk::Status parse_reader_config(const sdk::Options& options, ReaderConfig& out);
sdk::Status parse_writer_config(const sdk::Options& options, WriterConfig& out);

}  // namespace junction::mongodb
