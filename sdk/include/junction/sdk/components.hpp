// The three things a plugin can provide: a reader, a translator, a writer.
//
// Lifecycle of every instance (the engine creates one instance per pipeline run):
//   1. open(context) once, with options already validated against the declared schema.
//      A non-ok status here stops the pipeline run (fatal) or is retried (retry).
//   2. The work calls, repeatedly: Reader::read / Translator::translate / Writer::write.
//   3. Writer::flush() after one or more write() calls (batches that queued up behind a
//      slow flush share one); everything written since the last flush must be durable
//      when it returns. Reader::acknowledge() after that flush succeeded.
//   4. close() once, also after a failure; open() may not have succeeded.
// Threading: each instance is called from one thread at a time, except that
// Reader::request_stop() may come from any thread at any time, and translators whose
// component says thread_safe are called concurrently from several workers.
// Exceptions must not escape; the SDK's guards (plugin.hpp) turn any that do into fatal.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include <boost/config.hpp>

#include "context.hpp"
#include "record.hpp"
#include "status.hpp"

namespace junction::sdk {

enum class Outcome : unsigned char { written, rejected };

// What happened to one record the reader produced, in read order.
struct Acknowledgement {
    RecordMeta meta;
    Outcome outcome = Outcome::written;
    std::string reason;  // why it was rejected (also in the dead-letter store)
};

class BOOST_SYMBOL_VISIBLE Reader {
public:
    virtual ~Reader() = default;
    virtual Status open(Context& context) = 0;
    // Append at most max_records to out and return within about a second, even with
    // nothing to read, so the engine can stop. Set end_of_input when this run has seen
    // everything there is (the engine then drains, commits and ends the run).
    // Each record's meta.position must let a later open() resume after it.
    virtual Status read(Batch& out, std::size_t max_records, bool& end_of_input) = 0;
    // Called after the writer flushed every record listed, and any rejected one is
    // durable in the dead-letter store. Let go of the source here (move a file to
    // processed/, mark a document synced). Never called for records not yet written.
    virtual Status acknowledge(std::span<const Acknowledgement> acks) {
        (void)acks;
        return Status::ok();
    }
    // Any thread: make a blocked read() return soon.
    virtual void request_stop() noexcept {}
    virtual Status close() { return Status::ok(); }
};

class BOOST_SYMBOL_VISIBLE Translator {
public:
    virtual ~Translator() = default;
    virtual Status open(Context& context) {
        (void)context;
        return Status::ok();
    }
    // Rewrite the record in place. reject: the record is dead-lettered with the message.
    // On reject or retry, leave the record as it came (build the result aside, assign it
    // on success): the engine retries the same record, and a replay from the dead-letter
    // store re-enters at this translator with what it stored.
    virtual Status translate(Record& record) = 0;
    virtual Status close() { return Status::ok(); }
};

// One record of a batch the writer refused (bad data), by its index in the batch.
struct Rejection {
    std::size_t index = 0;
    std::string reason;
};

class BOOST_SYMBOL_VISIBLE Writer {
public:
    virtual ~Writer() = default;
    virtual Status open(Context& context) = 0;
    // Write the batch; records it cannot take for their content go to `rejected`, the
    // rest must be written. A retry status makes the engine send the same batch again,
    // so writes must be idempotent (upsert by key, overwrite by name), and the records
    // must not be moved from: the retry sends the same span, and rejected records go to
    // the dead-letter store. reject for the whole call: every record of the batch is
    // rejected with that message.
    virtual Status write(std::span<Record> batch, std::vector<Rejection>& rejected) = 0;
    // Make everything written so far durable. The engine commits positions only after it.
    virtual Status flush() { return Status::ok(); }
    virtual Status close() { return Status::ok(); }
};

}  // namespace junction::sdk
