// The components a plugin provides: a reader, a translator, a writer, (since 2.3) a
// collection, in collection.hpp, and (since 2.4) an intake, in intake.hpp (new kinds are
// appended to Kind; each derives from Component).
//
// Lifecycle of every instance (the engine creates one instance per pipeline run):
//   1. open(context) once, with options already validated against the declared schema,
//      defaults applied and paths resolved. A non-ok status stops the run: fatal at once,
//      retry after the pipeline's retry budget.
//   2. The work calls, repeatedly: Reader::read / Translator::translate / Writer::write.
//   3. Writer::flush() after one or more write() calls (batches that queued up behind a
//      slow flush share one); everything written since the last flush must be durable
//      when it returns. The engine then keeps the dead letters of those records, commits
//      each partition's position, and calls Reader::acknowledge() with what it committed.
//   4. close() once, also after a failure; open() may not have succeeded.
// Threading: each instance is called from one thread at a time (a reader's read(),
// keep_alive() and acknowledge() never overlap), except translators whose component
// says thread_safe, which are called concurrently from several workers.
// Stopping: Context::stop_requested() is the one stop signal; read() returns soon after
// it is set (Clock::sleep_for and the HttpClient wake on it).
// Exceptions must not escape; the SDK's glue (detail/guards.hpp) turns any that do into
// fatal, naming the plugin.
//
// What `reject` means, by where it is returned:
//   - Translator::translate: this record goes to the dead-letter store with the message;
//     the batch goes on.
//   - Writer::write, per record (in `rejected`): that record is dead-lettered; the others
//     are written. For the whole call: every record of the batch is dead-lettered.
//   - Reader::read, acknowledge, keep_alive, and any open(): a broken contract or bad
//     config, so the run stops as for fatal. Input a reader cannot parse is a record with
//     meta.error set, not a reject.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <boost/config.hpp>

#include "context.hpp"
#include "record.hpp"
#include "status.hpp"

namespace junction::sdk {

// New kinds are appended (a minor ABI bump): a host creates components by kind through
// the one PluginFactory::create entry point.
enum class Kind : unsigned char { reader, translator, writer, collection /* since 2.3 */, intake /* since 2.4 */ };

inline const char* to_string(Kind k) noexcept {
    switch (k) {
        case Kind::reader:
            return "reader";
        case Kind::translator:
            return "translator";
        case Kind::writer:
            return "writer";
        case Kind::collection:
            return "collection";
        case Kind::intake:
            return "intake";
    }
    return "unknown";
}

class BOOST_SYMBOL_VISIBLE Component {
public:
    virtual ~Component() = default;
    [[nodiscard]] virtual Kind kind() const noexcept = 0;
    virtual Status open(Context& context) = 0;
    virtual Status close() { return Status::ok(); }
};

// What became of one record the reader produced.
enum class Outcome : unsigned char {
    written,   // durable in the target
    rejected,  // in the dead-letter store, with `reason`
    released,  // given back: deliver it again after `redeliver_after` (readers whose
               // component says `redelivers` only; the others never see it)
};

struct Acknowledgement {
    RecordMeta meta;
    Outcome outcome = Outcome::written;
    std::string reason = {};                     // why it was rejected or released
    std::chrono::milliseconds redeliver_after{};  // released: the delay before the next delivery
};

// One partition's position, as the engine committed it.
struct Committed {
    std::string partition;
    std::string offset;
};

// What the engine hands Reader::acknowledge(): the records settled since the last call,
// in read order, and the positions it committed for them. Host-implemented (grows by
// appending virtuals).
class BOOST_SYMBOL_VISIBLE Acknowledgements {
public:
    virtual ~Acknowledgements() = default;
    [[nodiscard]] virtual std::span<const Acknowledgement> records() const noexcept = 0;
    // For each partition of these records that has a position, the last one: committed
    // before acknowledge() is called, so a crash after it re-reads nothing of them.
    [[nodiscard]] virtual std::span<const Committed> committed() const noexcept = 0;
};

class BOOST_SYMBOL_VISIBLE Reader : public Component {
public:
    [[nodiscard]] Kind kind() const noexcept final { return Kind::reader; }
    // Append at most max_records to out and return within about a second, even with
    // nothing to read, so the engine can stop. Set end_of_input when this run has seen
    // everything there is (the engine then drains, commits and ends the run).
    // Each record's meta.partition and meta.position must let a later open() resume
    // after it (Context::committed()).
    virtual Status read(Batch& out, std::size_t max_records, bool& end_of_input) = 0;
    // The records settled since the last call (written, rejected, released), after their
    // positions were committed. Let go of a source whose records are all settled and
    // whose end was seen (SourceTracker does the bookkeeping): move the file, mark the
    // document, ack the message. Never called for records not yet settled. A retry status
    // makes the engine call it again with the same acknowledgements, so count them once
    // (SourceTracker::acknowledge is not idempotent): retry only before counting.
    virtual Status acknowledge(const Acknowledgements& acks) {
        (void)acks;
        return Status::ok();
    }
    // Readers whose records hold a lease (a queue's visibility timeout): extend it for
    // every record read and not yet acknowledged. Called at least every
    // keep_alive_interval() (asked once, after a successful open()) while records are in
    // flight; 0 (the default): never.
    virtual Status keep_alive() { return Status::ok(); }
    [[nodiscard]] virtual std::chrono::milliseconds keep_alive_interval() const noexcept {
        return std::chrono::milliseconds(0);
    }
};

class BOOST_SYMBOL_VISIBLE Translator : public Component {
public:
    [[nodiscard]] Kind kind() const noexcept final { return Kind::translator; }
    Status open(Context& context) override {
        (void)context;
        return Status::ok();
    }
    // Rewrite the record in place. reject: the record is dead-lettered with the message.
    // On reject or retry, leave the record as it came (build the result aside, assign it
    // on success): the engine retries the same record, and a replay from the dead-letter
    // store re-enters at this translator with what it stored.
    virtual Status translate(Record& record) = 0;
};

// One record of a batch the writer could not take, by its index in the batch.
struct Rejection {
    std::size_t index = 0;
    std::string reason = {};
    // Set: not bad data but a transient failure of this record alone (a lock, a
    // throttled key): deliver it again after this delay. Readers that cannot redeliver
    // have the whole group retried instead.
    std::optional<std::chrono::milliseconds> retry_after = std::nullopt;
};

class BOOST_SYMBOL_VISIBLE Writer : public Component {
public:
    [[nodiscard]] Kind kind() const noexcept final { return Kind::writer; }
    // Write the batch; records it cannot take for their content go to `rejected`, the
    // rest must be written. A retry status makes the engine send the same records again,
    // so writes must be idempotent (upsert by key, overwrite by name). reject for the
    // whole call: every record of the batch is rejected with that message.
    virtual Status write(std::span<const Record> batch, std::vector<Rejection>& rejected) = 0;
    // Make everything written so far durable. The engine commits positions only after it.
    virtual Status flush() { return Status::ok(); }
};

}  // namespace junction::sdk
