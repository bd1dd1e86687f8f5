// The embedded queue's SQLite side: durable messages with a deduplication window, and
// durable consumers that each get every message once acknowledged (as JetStream's durable
// consumers on a stream with limits retention), with leases (a visibility timeout),
// releases with a delay, delivery counts and history, and FIFO per key where asked.
// Pure (no Context): the reader and writer turn its results and errors into statuses.
//
// Tables (one file may hold many queues):
//   messages(seq, queue, msg_id, key, body, published_ms)     the retained messages
//   dedup(queue, msg_id, seq, published_ms)                    ids seen within the window
//   consumers(queue, consumer, next_seq)                       where each consumer is
//   deliveries(queue, consumer, seq, key, attempts, visible_ms, lease, history)
//       a message a consumer has been handed but not finished: leased until visible_ms, or
//       released (lease '') until visible_ms; gone once acknowledged or dead-lettered.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "common/sqlite_util.hpp"

struct sqlite3;

namespace junction::queue {

using QueueError = plugin_sqlite::SqliteError;

struct OutgoingMessage {
    std::string msg_id;  // "" : no deduplication
    std::string key;     // "" : no key (FIFO per key does not hold it back)
    std::string body;    // JSON text
};

struct PublishResult {
    std::size_t published = 0;
    std::size_t duplicates = 0;  // dropped: their msg_id was published within the window
};

struct Delivery {
    std::int64_t seq = 0;
    std::string msg_id;
    std::string key;
    std::string body;
    std::int64_t published_ms = 0;
    std::uint32_t attempts = 0;    // this delivery included
    boost::json::array history;    // one entry per delivery: {"at", "outcome", "reason"}
};

struct FetchOptions {
    std::string consumer;
    std::size_t max = 100;
    std::chrono::milliseconds ack_wait{30000};
    bool fifo_by_key = false;
    std::string lease;  // the fetching instance's token
};

enum class Settle : unsigned char { ack, dead, release };

struct Settlement {
    std::int64_t seq = 0;
    Settle how = Settle::ack;
    std::chrono::milliseconds delay{};  // release: until it is delivered again
    std::string reason;
};

class QueueStore {
public:
    // Opens (creating) the file and its tables; throws QueueError naming the file.
    QueueStore(const std::filesystem::path& file, std::string queue,
               std::chrono::milliseconds busy_timeout = std::chrono::milliseconds(5000));
    ~QueueStore();
    QueueStore(const QueueStore&) = delete;
    QueueStore& operator=(const QueueStore&) = delete;

    // In one transaction: forgets msg_ids older than the window and messages older than
    // max_age (with their deliveries), then appends each message whose msg_id is new.
    PublishResult publish(const std::vector<OutgoingMessage>& messages, std::int64_t now_ms,
                          std::chrono::milliseconds dedup_window, std::chrono::milliseconds max_age);

    // Registers the consumer if it is new: from the first retained message (from_start)
    // or from the next one published.
    void ensure_consumer(const std::string& consumer, bool from_start);

    // Up to o.max messages due for the consumer, in seq order, leased to o.lease until
    // now + ack_wait (attempts and history grow by one delivery). With fifo_by_key a
    // message waits while an earlier one with the same key is unfinished.
    std::vector<Delivery> fetch(const FetchOptions& o, std::int64_t now_ms);

    // Acknowledged (gone), dead-lettered (gone) or released (due again after its delay),
    // in one transaction.
    void settle(const std::string& consumer, const std::vector<Settlement>& settlements, std::int64_t now_ms);

    // Pushes the lease of these deliveries (still held by `lease`) to now + ack_wait.
    void extend(const std::string& consumer, const std::string& lease, const std::vector<std::int64_t>& seqs,
                std::int64_t now_ms, std::chrono::milliseconds ack_wait);

    // Makes these deliveries (still held by `lease`) due now: a reader that stops gives
    // back what it had not finished, without waiting for the lease to lapse.
    void give_back(const std::string& consumer, const std::string& lease, const std::vector<std::int64_t>& seqs,
                   std::int64_t now_ms);

    // For tests and `junction check`: messages retained, and a consumer's unfinished deliveries.
    [[nodiscard]] std::size_t retained();
    [[nodiscard]] std::size_t pending(const std::string& consumer);

private:
    std::filesystem::path file_;
    std::string queue_;
    std::string where_;
    sqlite3* db_ = nullptr;
};

}  // namespace junction::queue
