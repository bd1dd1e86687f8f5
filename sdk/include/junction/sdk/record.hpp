// A record: a JSON object payload and the metadata the engine carries beside it.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

namespace junction::sdk {

struct RecordMeta {
    std::string key;             // the business key (e.g. an order number); translators keep order per key
    std::string source;          // where it came from, for people: a file name, a collection, a URL
    std::string position;        // the reader's resume point after this record (opaque to the engine)
    std::uint32_t attempts = 0;  // deliveries so far (replays from the dead-letter store count)
    std::chrono::system_clock::time_point received_at{};
    // Set by a reader for input it could not turn into a record (corrupt file, bad
    // NDJSON line): the engine dead-letters it untranslated, with this reason, and
    // acknowledges it as rejected. The payload then describes the input (e.g. the file).
    std::string error = {};
    // Room to grow without an ABI break: headers, trace ids, anything a reader wants a
    // writer to see. The engine carries it untouched.
    boost::json::object attributes = {};
};

// Moved, never copied, through the engine.
struct Record {
    boost::json::object payload;
    RecordMeta meta;
};

using Batch = std::vector<Record>;

}  // namespace junction::sdk
