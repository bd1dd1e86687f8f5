// Stand-ins for the engine's side of a component, for an author's unit tests: a writer
// that keeps what it was given, acknowledgements built by hand, a loop that drives a
// reader to its end as the engine would, and one that follows a collection's pages.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <span>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>

#include "../collection.hpp"
#include "../components.hpp"
#include "../context.hpp"
#include "../record.hpp"
#include "../status.hpp"

namespace junction::sdk::testing {

// A writer into memory: keeps a copy of every record it takes, rejects the ones a
// predicate picks, and fails a write or flush when told. Thread-compatible, as writers
// are called from one thread.
class MemoryWriter final : public Writer {
public:
    Status open(Context&) override {
        ++opens_;
        return Status::ok();
    }
    Status write(std::span<const Record> batch, std::vector<Rejection>& rejected) override {
        if (auto st = take(next_write_); !st.is_ok()) return st;
        for (std::size_t i = 0; i < batch.size(); ++i) {
            if (reject_ && reject_(batch[i])) {
                rejected.push_back({i, reject_reason_});
                rejected_.push_back(batch[i]);
            } else {
                written_.push_back(batch[i]);
            }
        }
        return Status::ok();
    }
    Status flush() override {
        if (auto st = take(next_flush_); !st.is_ok()) return st;
        ++flushes_;
        flushed_ = written_.size();
        return Status::ok();
    }
    Status close() override {
        ++closes_;
        return Status::ok();
    }

    // From now on, records for which `predicate` is true are rejected with `reason`.
    void reject_if(std::function<bool(const Record&)> predicate, std::string reason = "rejected by the test") {
        reject_ = std::move(predicate);
        reject_reason_ = std::move(reason);
    }
    // The next write() (flush()) returns `status` and takes nothing; the ones after work.
    void fail_next_write(Status status) { next_write_ = std::move(status); }
    void fail_next_flush(Status status) { next_flush_ = std::move(status); }

    // Every record taken, in order, flushed or not.
    [[nodiscard]] const std::vector<Record>& written() const noexcept { return written_; }
    [[nodiscard]] std::vector<boost::json::object> payloads() const {
        std::vector<boost::json::object> out;
        out.reserve(written_.size());
        for (const auto& r : written_)
            out.push_back(r.payload);
        return out;
    }
    // How many of written() the last successful flush() made durable.
    [[nodiscard]] std::size_t flushed() const noexcept { return flushed_; }
    [[nodiscard]] const std::vector<Record>& rejected() const noexcept { return rejected_; }
    [[nodiscard]] std::size_t flushes() const noexcept { return flushes_; }
    [[nodiscard]] std::size_t opens() const noexcept { return opens_; }
    [[nodiscard]] std::size_t closes() const noexcept { return closes_; }

private:
    static Status take(Status& next) { return std::exchange(next, Status::ok()); }

    std::function<bool(const Record&)> reject_;
    std::string reject_reason_;
    Status next_write_;
    Status next_flush_;
    std::vector<Record> written_;
    std::vector<Record> rejected_;
    std::size_t flushed_ = 0;
    std::size_t flushes_ = 0;
    std::size_t opens_ = 0;
    std::size_t closes_ = 0;
};

// Acknowledgements built by hand, for a reader's acknowledge():
//   reader.acknowledge(AckBatch().written(r1).rejected(r2, "bad date").commit_positions());
class AckBatch final : public Acknowledgements {
public:
    // Every record written and each partition's last position committed: what the engine
    // hands a reader once a writer took the whole batch.
    [[nodiscard]] static AckBatch all_written(std::span<const Record> records) {
        AckBatch acks;
        for (const auto& r : records)
            acks.written(r);
        acks.commit_positions();
        return acks;
    }

    AckBatch& written(const Record& r) { return add({r.meta, Outcome::written, {}, {}}); }
    AckBatch& rejected(const Record& r, std::string reason) {
        return add({r.meta, Outcome::rejected, std::move(reason), {}});
    }
    AckBatch& released(const Record& r, std::string reason = {}, std::chrono::milliseconds after = {}) {
        return add({r.meta, Outcome::released, std::move(reason), after});
    }
    AckBatch& add(Acknowledgement a) {
        records_.push_back(std::move(a));
        return *this;
    }
    // The committed position of a partition (replacing an earlier one of it).
    AckBatch& commit(std::string partition, std::string offset) {
        for (auto& c : committed_)
            if (c.partition == partition) {
                c.offset = std::move(offset);
                return *this;
            }
        committed_.push_back({std::move(partition), std::move(offset)});
        return *this;
    }
    // For each partition of the records added so far, the position of its last record
    // that has one, as the engine commits them.
    AckBatch& commit_positions() {
        for (const auto& a : records_)
            if (!a.meta.position.empty()) commit(a.meta.partition, a.meta.position);
        return *this;
    }

    [[nodiscard]] std::span<const Acknowledgement> records() const noexcept override { return records_; }
    [[nodiscard]] std::span<const Committed> committed() const noexcept override { return committed_; }

private:
    std::vector<Acknowledgement> records_;
    std::vector<Committed> committed_;
};

enum class Acknowledge : unsigned char {
    each_batch,  // after each batch, acknowledge it as all written (AckBatch::all_written)
    none,        // never: the records stay in flight
};

// Drives an opened reader to its end as the engine does: read() with batches of at most
// batch_size until end_of_input, acknowledging each batch (unless told not to), and
// returns every record read, in order. Stops early, with what was read, once the context
// says stop. Throws std::runtime_error when read() or acknowledge() does not return ok,
// a batch is larger than asked, or max_reads calls bring no end.
inline std::vector<Record> read_all(Reader& reader, Context& context, std::size_t batch_size = 100,
                                    Acknowledge acknowledge = Acknowledge::each_batch, std::size_t max_reads = 100000) {
    std::vector<Record> out;
    for (std::size_t reads = 0; reads < max_reads; ++reads) {
        if (context.stop_requested()) return out;
        Batch batch;
        bool end = false;
        if (auto st = reader.read(batch, batch_size, end); !st.is_ok())
            throw std::runtime_error(std::string("read() returned ") + to_string(st.code()) + ": " + st.message());
        if (batch.size() > batch_size)
            throw std::runtime_error("read() returned " + std::to_string(batch.size()) +
                                     " records, asked for at most " + std::to_string(batch_size));
        if (!batch.empty() && acknowledge == Acknowledge::each_batch) {
            if (auto st = reader.acknowledge(AckBatch::all_written(batch)); !st.is_ok())
                throw std::runtime_error(std::string("acknowledge() returned ") + to_string(st.code()) + ": " +
                                         st.message());
        }
        for (auto& r : batch)
            out.push_back(std::move(r));
        if (end) return out;
    }
    throw std::runtime_error("no end_of_input after " + std::to_string(max_reads) + " calls of read()");
}

// What list_all() saw: every item of every page, in order, and how many pages.
struct CollectionWalk {
    std::vector<boost::json::object> items;
    std::size_t pages = 0;
};

// Follows an opened collection's pages as an API client does: list() from the first page
// (q.after is ignored) with each page's next_after until it is empty. Throws
// std::runtime_error when list() does not return ok, a page holds more than q.limit
// items, a page that is not the last is empty, or max_pages pages bring no end.
inline CollectionWalk list_all(Collection& collection, CollectionQuery q, std::size_t max_pages = 10000) {
    CollectionWalk out;
    q.after.clear();
    while (out.pages < max_pages) {
        CollectionPage page;
        if (auto st = collection.list(q, page); !st.is_ok())
            throw std::runtime_error(std::string("list() returned ") + to_string(st.code()) + ": " + st.message());
        ++out.pages;
        if (page.items.size() > q.limit)
            throw std::runtime_error("list() returned " + std::to_string(page.items.size()) +
                                     " items, asked for at most " + std::to_string(q.limit));
        if (page.items.empty() && !page.next_after.empty())
            throw std::runtime_error("list() returned an empty page with a next_after");
        for (auto& item : page.items)
            out.items.push_back(std::move(item));
        if (page.next_after.empty()) return out;
        q.after = std::move(page.next_after);
    }
    throw std::runtime_error("no last page after " + std::to_string(max_pages) + " calls of list()");
}

}  // namespace junction::sdk::testing
