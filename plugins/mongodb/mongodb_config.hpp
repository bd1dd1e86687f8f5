// The mongodb plugin's options (the same names, defaults and meaning as the embedded
// docstore plugin's, with `uri` for `path`), the checks the schemas cannot express, and
// the typed configuration its reader and writer run with.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include <boost/json/object.hpp>
#include <junction/sdk/options.hpp>
#include <junction/sdk/status.hpp>

namespace junction::mongodb {

struct CommonConfig {
    std::string uri;  // secret: may hold a password
    std::string database;
    std::string collection;
    std::chrono::milliseconds timeout;
    std::vector<std::string> date_fields;
};

struct ReaderConfig : CommonConfig {
    boost::json::object filter;
    boost::json::object ack_set;
    boost::json::object reject_set;
    std::string key_field;
    std::string sort;
};

struct WriterConfig : CommonConfig {
    std::vector<std::string> upsert_key;
};

sdk::OptionSchema reader_options();
sdk::OptionSchema writer_options();
// The collection's (SDK 2.3): the common options, uri, database, collection, timeout_ms, date_fields.
sdk::OptionSchema collection_options();
// The intake's (SDK 2.4): the common options and `transactions` (auto, always, never).
sdk::OptionSchema intake_options();

// What the schemas cannot say, on validated options: ok, or fatal with one line that
// starts with the option ("upsert_key[0]: ...") and never holds the uri's password. The
// factory's check_options(), so `junction validate` refuses it before any open().
sdk::Status check_reader_config(const sdk::Options& options);
sdk::Status check_writer_config(const sdk::Options& options);
sdk::Status check_collection_config(const sdk::Options& options);

// The typed configs of options validated and checked by the host.
ReaderConfig reader_config(const sdk::Options& options);
WriterConfig writer_config(const sdk::Options& options);
CommonConfig collection_config(const sdk::Options& options);

}  // namespace junction::mongodb
