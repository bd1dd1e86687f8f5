// The nats plugin's options, their checks, and the typed configs. The connection and the
// stream are common to the writer and the reader; so is `create` (make or update what is
// missing, or require it to exist).
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <junction/sdk/options.hpp>
#include <junction/sdk/status.hpp>

namespace junction::nats {

sdk::OptionSchema writer_schema();
sdk::OptionSchema reader_schema();

enum class Retention : unsigned char { limits, workqueue, interest };

struct StreamSpec {
    std::string name;
    std::vector<std::string> subjects;  // never empty: "<name>.>" when the config gives none
    Retention retention = Retention::limits;
    int replicas = 1;
    std::chrono::milliseconds max_age{};  // 0: kept until the limits or acknowledgements take them
    std::chrono::milliseconds duplicate_window{};
    bool memory = false;
};

struct ConnectionSpec {
    std::vector<std::string> servers;
    std::string user;
    std::string password;
    std::string token;
    std::filesystem::path credentials_file;
    std::chrono::milliseconds connect_timeout{};
    std::chrono::milliseconds request_timeout{};  // JetStream API calls and publish acknowledgements
    bool create = true;                            // make (or update) a missing stream or consumer
    StreamSpec stream;
};

struct WriterConfig {
    ConnectionSpec connection;
    std::string subject;    // a template: "orders.{region}" takes the field "region" of each record
    std::string dedup_id;   // field path of the Nats-Msg-Id; "$key": the record's key; "": none
    std::string key_field;  // field path of the key header; "": the record's key
    int max_pending = 0;    // asynchronous publishes in flight
};

struct ReaderConfig {
    ConnectionSpec connection;
    std::string consumer;
    std::string filter_subject;  // "": every subject of the stream
    std::chrono::milliseconds ack_wait{};
    int max_deliver = 0;  // deliveries before a message is dead-lettered (counted here; the server's is unlimited)
    int max_ack_pending = 0;
    bool from_start = true;  // deliver: "all" or "new"
    std::vector<std::chrono::milliseconds> backoff;
    std::chrono::milliseconds fetch_wait{};  // how long one read() waits for messages; 0: no wait
    std::string history_bucket;              // the KV bucket of delivery histories
};

sdk::Status check_writer_config(const sdk::Options& options);
sdk::Status check_reader_config(const sdk::Options& options);
WriterConfig writer_config(const sdk::Options& options);
ReaderConfig reader_config(const sdk::Options& options);

// A subject template's parts: literal text and {field} references, in order.
struct SubjectPart {
    bool field = false;
    std::string text;  // the literal, or the field path
};
// Parses "orders.{region}.{id}"; an error names what is wrong (an unclosed brace, an
// empty field, a wildcard).
std::vector<SubjectPart> parse_subject(const std::string& subject, std::string& error);

}  // namespace junction::nats
