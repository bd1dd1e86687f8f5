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
    // Positions are per partition (a file, a REST stream, a queue): the engine commits,
    // for each partition, the position of its last record settled (written,
    // dead-lettered, or released back to a queue: a redelivering reader tracks deliveries
    // itself and must not resume past a released record). "" is the default partition.
    std::string partition;
    std::string position;        // the reader's resume point after this record (opaque to the engine)
    std::uint32_t attempts = 0;  // deliveries so far, this one included once read (a queue's delivery count;
                                 // replays from the dead-letter store count); 0 when the source cannot tell
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

// The records of one read(), in read order. A class, not an alias, so the SDK can give it
// member functions without touching plugins' code. There is no per-batch memory resource:
// one was measured on the host's benchmarks and did not pay; a payload may still live on a
// plugin's own boost::json::storage_ptr, which travels with the value.
class Batch : public std::vector<Record> {
public:
    using std::vector<Record>::vector;
};

}  // namespace junction::sdk
