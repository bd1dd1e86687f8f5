#include "queue_store.hpp"

#include <sqlite3.h>

#include <boost/json/parse.hpp>
#include <junction/sdk/iso8601.hpp>
#include <junction/sdk/json_text.hpp>

namespace junction::queue {
namespace {

using plugin_sqlite::Statement;
using plugin_sqlite::Transaction;

constexpr const char* schema = R"sql(
CREATE TABLE IF NOT EXISTS messages(
  seq          INTEGER PRIMARY KEY AUTOINCREMENT,
  queue        TEXT NOT NULL,
  msg_id       TEXT NOT NULL DEFAULT '',
  key          TEXT NOT NULL DEFAULT '',
  body         TEXT NOT NULL,
  published_ms INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS messages_by_queue ON messages(queue, seq);
CREATE INDEX IF NOT EXISTS messages_by_age ON messages(queue, published_ms);
CREATE TABLE IF NOT EXISTS dedup(
  queue        TEXT NOT NULL,
  msg_id       TEXT NOT NULL,
  seq          INTEGER NOT NULL,
  published_ms INTEGER NOT NULL,
  PRIMARY KEY(queue, msg_id)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS dedup_by_age ON dedup(queue, published_ms);
CREATE TABLE IF NOT EXISTS consumers(
  queue    TEXT NOT NULL,
  consumer TEXT NOT NULL,
  next_seq INTEGER NOT NULL,
  PRIMARY KEY(queue, consumer)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS deliveries(
  queue      TEXT NOT NULL,
  consumer   TEXT NOT NULL,
  seq        INTEGER NOT NULL,
  key        TEXT NOT NULL,
  attempts   INTEGER NOT NULL,
  visible_ms INTEGER NOT NULL,
  lease      TEXT NOT NULL DEFAULT '',
  history    TEXT NOT NULL DEFAULT '[]',
  PRIMARY KEY(queue, consumer, seq)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries(queue, consumer, visible_ms, seq);
CREATE INDEX IF NOT EXISTS deliveries_by_key ON deliveries(queue, consumer, key, seq);
)sql";

std::string iso(std::int64_t ms) {
    return sdk::format_iso8601_ms(ms);
}

boost::json::array history_of(const std::string& text) {
    boost::system::error_code ec;
    auto v = boost::json::parse(text, ec);
    return !ec && v.is_array() ? std::move(v.get_array()) : boost::json::array{};
}

}  // namespace

QueueStore::QueueStore(const std::filesystem::path& file, std::string queue, std::chrono::milliseconds busy_timeout)
    : file_(file), queue_(std::move(queue)), where_("queue " + file.string() + " (queue " + queue_ + ")") {
    db_ = plugin_sqlite::open_database(file_, busy_timeout, "queue");
    if (sqlite3_exec(db_, schema, nullptr, nullptr, nullptr) != SQLITE_OK) {
        const std::string reason = sqlite3_errmsg(db_);
        const bool transient = plugin_sqlite::is_transient(sqlite3_extended_errcode(db_));
        sqlite3_close(db_);
        db_ = nullptr;
        throw QueueError("queue: cannot create the tables in " + file_.string() + ": " + reason, transient);
    }
}

QueueStore::~QueueStore() {
    sqlite3_close_v2(db_);
}

PublishResult QueueStore::publish(const std::vector<OutgoingMessage>& messages, std::int64_t now_ms,
                                  std::chrono::milliseconds dedup_window, std::chrono::milliseconds max_age) {
    PublishResult out;
    Transaction tx(db_, where_);
    Statement(db_, "DELETE FROM dedup WHERE queue = ?1 AND published_ms <= ?2", where_)
        .bind(1, queue_)
        .bind(2, now_ms - dedup_window.count())
        .run();
    if (max_age.count() > 0) {
        const auto cutoff = now_ms - max_age.count();
        Statement(db_,
                  "DELETE FROM deliveries WHERE queue = ?1 AND seq IN "
                  "(SELECT seq FROM messages WHERE queue = ?1 AND published_ms <= ?2)",
                  where_)
            .bind(1, queue_)
            .bind(2, cutoff)
            .run();
        Statement(db_, "DELETE FROM messages WHERE queue = ?1 AND published_ms <= ?2", where_)
            .bind(1, queue_)
            .bind(2, cutoff)
            .run();
    }
    Statement seen(db_, "INSERT OR IGNORE INTO dedup(queue, msg_id, seq, published_ms) VALUES(?1, ?2, 0, ?3)", where_);
    Statement append(db_,
                     "INSERT INTO messages(queue, msg_id, key, body, published_ms) VALUES(?1, ?2, ?3, ?4, ?5)",
                     where_);
    Statement note(db_, "UPDATE dedup SET seq = ?3 WHERE queue = ?1 AND msg_id = ?2", where_);
    for (const auto& m : messages) {
        if (!m.msg_id.empty()) {
            seen.reset();
            seen.bind(1, queue_).bind(2, m.msg_id).bind(3, now_ms).run();
            if (sqlite3_changes(db_) == 0) {
                ++out.duplicates;
                continue;
            }
        }
        append.reset();
        append.bind(1, queue_).bind(2, m.msg_id).bind(3, m.key).bind(4, m.body).bind(5, now_ms).run();
        if (!m.msg_id.empty()) {
            note.reset();
            note.bind(1, queue_).bind(2, m.msg_id).bind(3, static_cast<std::int64_t>(sqlite3_last_insert_rowid(db_))).run();
        }
        ++out.published;
    }
    tx.commit();
    return out;
}

void QueueStore::ensure_consumer(const std::string& consumer, bool from_start) {
    Transaction tx(db_, where_);
    Statement(db_,
              from_start ? "INSERT OR IGNORE INTO consumers(queue, consumer, next_seq) "
                           "VALUES(?1, ?2, COALESCE((SELECT min(seq) FROM messages WHERE queue = ?1), 0))"
                         : "INSERT OR IGNORE INTO consumers(queue, consumer, next_seq) "
                           "VALUES(?1, ?2, COALESCE((SELECT max(seq) + 1 FROM messages WHERE queue = ?1), 0))",
              where_)
        .bind(1, queue_)
        .bind(2, consumer)
        .run();
    tx.commit();
}

std::vector<Delivery> QueueStore::fetch(const FetchOptions& o, std::int64_t now_ms) {
    std::vector<Delivery> out;
    Transaction tx(db_, where_);
    // New messages become deliveries of this consumer (due at once), up to a batch of them.
    Statement next(db_, "SELECT next_seq FROM consumers WHERE queue = ?1 AND consumer = ?2", where_);
    next.bind(1, queue_).bind(2, o.consumer);
    const std::int64_t from = next.step() ? next.integer(0) : 0;
    next.reset();
    Statement take(db_,
                   "INSERT INTO deliveries(queue, consumer, seq, key, attempts, visible_ms) "
                   "SELECT queue, ?2, seq, key, 0, 0 FROM messages WHERE queue = ?1 AND seq >= ?3 "
                   "ORDER BY seq LIMIT ?4",
                   where_);
    take.bind(1, queue_).bind(2, o.consumer).bind(3, from).bind(4, static_cast<std::int64_t>(o.max)).run();
    Statement(db_,
              "UPDATE consumers SET next_seq = COALESCE((SELECT max(seq) + 1 FROM deliveries WHERE queue = ?1 AND "
              "consumer = ?2 AND seq >= ?3), next_seq) WHERE queue = ?1 AND consumer = ?2",
              where_)
        .bind(1, queue_)
        .bind(2, o.consumer)
        .bind(3, from)
        .run();

    // The due ones, oldest first; with FIFO per key, only a key's oldest unfinished one.
    const std::string fifo = o.fifo_by_key ? " AND (d.key = '' OR NOT EXISTS (SELECT 1 FROM deliveries e WHERE "
                                             "e.queue = d.queue AND e.consumer = d.consumer AND e.key = d.key AND "
                                             "e.seq < d.seq))"
                                           : "";
    Statement due(db_,
                  "SELECT d.seq, m.msg_id, d.key, m.body, m.published_ms, d.attempts, d.history "
                  "FROM deliveries d JOIN messages m ON m.seq = d.seq "
                  "WHERE d.queue = ?1 AND d.consumer = ?2 AND d.visible_ms <= ?3" +
                      fifo + " ORDER BY d.seq LIMIT ?4",
                  where_);
    due.bind(1, queue_).bind(2, o.consumer).bind(3, now_ms).bind(4, static_cast<std::int64_t>(o.max));
    while (due.step()) {
        Delivery d;
        d.seq = due.integer(0);
        d.msg_id = due.text(1);
        d.key = due.text(2);
        d.body = due.text(3);
        d.published_ms = due.integer(4);
        d.attempts = static_cast<std::uint32_t>(due.integer(5)) + 1;
        d.history = history_of(due.text(6));
        out.push_back(std::move(d));
    }
    due.reset();
    Statement lease(db_,
                    "UPDATE deliveries SET attempts = ?4, visible_ms = ?5, lease = ?6, history = ?7 "
                    "WHERE queue = ?1 AND consumer = ?2 AND seq = ?3",
                    where_);
    for (std::size_t i = 0; i < out.size(); ++i) {
        auto& d = out[i];
        // A delivery whose lease lapsed (never settled) says so in the history.
        if (!d.history.empty()) {
            auto& last = d.history.back().as_object();
            if (!last.contains("outcome")) last["outcome"] = "lease expired";
        }
        d.history.push_back(boost::json::object{{"delivered_at", iso(now_ms)}, {"attempt", d.attempts}});
        lease.reset();
        lease.bind(1, queue_)
            .bind(2, o.consumer)
            .bind(3, d.seq)
            .bind(4, static_cast<std::int64_t>(d.attempts))
            .bind(5, now_ms + o.ack_wait.count())
            .bind(6, o.lease)
            .bind(7, sdk::to_json_text(d.history))
            .run();
    }
    tx.commit();
    return out;
}

void QueueStore::settle(const std::string& consumer, const std::vector<Settlement>& settlements, std::int64_t now_ms) {
    if (settlements.empty()) return;
    Transaction tx(db_, where_);
    Statement drop(db_, "DELETE FROM deliveries WHERE queue = ?1 AND consumer = ?2 AND seq = ?3", where_);
    Statement history(db_, "SELECT history FROM deliveries WHERE queue = ?1 AND consumer = ?2 AND seq = ?3", where_);
    Statement later(db_,
                    "UPDATE deliveries SET visible_ms = ?4, lease = '', history = ?5 "
                    "WHERE queue = ?1 AND consumer = ?2 AND seq = ?3",
                    where_);
    for (const auto& s : settlements) {
        if (s.how != Settle::release) {
            drop.reset();
            drop.bind(1, queue_).bind(2, consumer).bind(3, s.seq).run();
            continue;
        }
        history.reset();
        history.bind(1, queue_).bind(2, consumer).bind(3, s.seq);
        if (!history.step()) continue;  // gone meanwhile (max_age)
        auto h = history_of(history.text(0));
        history.reset();
        if (!h.empty()) {
            auto& last = h.back().as_object();
            last["outcome"] = "released";
            last["released_at"] = iso(now_ms);
            last["redeliver_after_ms"] = s.delay.count();
            if (!s.reason.empty()) last["reason"] = s.reason;
        }
        later.reset();
        later.bind(1, queue_)
            .bind(2, consumer)
            .bind(3, s.seq)
            .bind(4, now_ms + s.delay.count())
            .bind(5, sdk::to_json_text(h))
            .run();
    }
    tx.commit();
}

void QueueStore::extend(const std::string& consumer, const std::string& lease, const std::vector<std::int64_t>& seqs,
                        std::int64_t now_ms, std::chrono::milliseconds ack_wait) {
    if (seqs.empty()) return;
    Transaction tx(db_, where_);
    Statement push(db_,
                   "UPDATE deliveries SET visible_ms = ?5 WHERE queue = ?1 AND consumer = ?2 AND seq = ?3 AND lease = ?4",
                   where_);
    for (const auto seq : seqs) {
        push.reset();
        push.bind(1, queue_).bind(2, consumer).bind(3, seq).bind(4, lease).bind(5, now_ms + ack_wait.count()).run();
    }
    tx.commit();
}

void QueueStore::give_back(const std::string& consumer, const std::string& lease,
                           const std::vector<std::int64_t>& seqs, std::int64_t now_ms) {
    if (seqs.empty()) return;
    Transaction tx(db_, where_);
    // Not attempted: the delivery is not counted, and leaves no history.
    Statement get(db_, "SELECT history FROM deliveries WHERE queue = ?1 AND consumer = ?2 AND seq = ?3 AND lease = ?4",
                  where_);
    Statement back(db_,
                   "UPDATE deliveries SET visible_ms = ?5, lease = '', attempts = max(attempts - 1, 0), history = ?6 "
                   "WHERE queue = ?1 AND consumer = ?2 AND seq = ?3 AND lease = ?4",
                   where_);
    for (const auto seq : seqs) {
        get.reset();
        get.bind(1, queue_).bind(2, consumer).bind(3, seq).bind(4, lease);
        if (!get.step()) continue;
        auto h = history_of(get.text(0));
        get.reset();
        if (!h.empty()) h.pop_back();
        back.reset();
        back.bind(1, queue_).bind(2, consumer).bind(3, seq).bind(4, lease).bind(5, now_ms).bind(6, sdk::to_json_text(h)).run();
    }
    tx.commit();
}

std::size_t QueueStore::retained() {
    Statement s(db_, "SELECT count(*) FROM messages WHERE queue = ?1", where_);
    s.bind(1, queue_);
    s.step();
    return static_cast<std::size_t>(s.integer(0));
}

std::size_t QueueStore::pending(const std::string& consumer) {
    Statement s(db_, "SELECT count(*) FROM deliveries WHERE queue = ?1 AND consumer = ?2", where_);
    s.bind(1, queue_).bind(2, consumer);
    s.step();
    return static_cast<std::size_t>(s.integer(0));
}

}  // namespace junction::queue
