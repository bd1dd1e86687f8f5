// An embedded document store on SQLite's JSON1: one table per collection, one JSON
// document per row keyed by a string _id. Pure (no engine, no Context): the reader
// and writer translate its results and errors into SDK statuses.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <junction/sdk/record.hpp>
#include <junction/sdk/status.hpp>

#include "common/sqlite_util.hpp"

struct sqlite3;

namespace junction::docstore {

// One line for people; transient() when SQLite said busy or locked (worth a retry).
using StoreError = plugin_sqlite::SqliteError;
using SqlValue = plugin_sqlite::SqlValue;

using plugin_sqlite::status_of;  // busy or locked: retry; anything else: fatal

// A filter the store cannot express (unsupported operator, bad operand).
class FilterError : public std::invalid_argument {
public:
    using std::invalid_argument::invalid_argument;
};

// The SQLite JSON path of a field ("a.b" is nested, as in MongoDB). Throws
// std::invalid_argument for names it cannot quote (empty parts, '"', control chars).
std::string json_path(std::string_view field);

// A MongoDB-style filter compiled to an SQL condition over the `doc` column, with its
// parameters in order. Supported: equality, $eq, $ne, $exists, $in, $gt, $gte, $lt,
// $lte on fields; anything else throws FilterError naming the operator.
struct Filter {
    std::string sql = "1";
    std::vector<boost::json::value> params;
};
Filter compile_filter(const boost::json::object& filter);

// Where the last page ended: the next one starts strictly after (sort value, _id).
struct Cursor {
    bool started = false;
    SqlValue sort;
    std::string id;
};

struct Document {
    std::string id;
    boost::json::object body;  // includes "_id"
};

enum class UpsertResult : unsigned char { inserted, updated, unchanged, rejected };

struct UpsertOutcome {
    UpsertResult result = UpsertResult::inserted;
    std::string id;      // the document's _id (empty when rejected)
    std::string reason;  // why it was rejected
};

// What an intake's submit() found and did (see sdk/intake.hpp): the same four outcomes.
struct IntakeRow {
    std::string identity;
    std::string received_at;  // ISO 8601
    std::int64_t received_ms = 0;
    boost::json::object payload;
    std::string key;          // "" none
    std::string fingerprint;
    std::int64_t keys_expire_ms = 0;  // keys created at or before this are expired
};

enum class IntakeResult : unsigned char { stored, duplicate, replayed, key_reused };

struct IntakeOutcome {
    IntakeResult result = IntakeResult::stored;
    std::string id;
    bool first_was_duplicate = false;
};

class DocStore {
public:
    // Opens (creating if needed) the file and the collection's table. Throws StoreError
    // with one line naming the file and SQLite's reason.
    DocStore(const std::filesystem::path& file, std::string collection,
             std::chrono::milliseconds busy_timeout = std::chrono::milliseconds(2000));
    DocStore(const DocStore&) = delete;
    DocStore& operator=(const DocStore&) = delete;
    ~DocStore();

    [[nodiscard]] const std::string& collection() const noexcept { return collection_; }
    [[nodiscard]] const std::filesystem::path& file() const noexcept { return file_; }

    // A unique index on the key fields, so a key is stored once whoever writes it.
    void ensure_unique_index(const std::vector<std::string>& key_fields);

    // Upserts each record's payload keyed on key_fields, all in one transaction: a new
    // key is inserted with a fresh _id, a known one replaced keeping its _id, an
    // identical one left alone. A record lacking a key field is rejected, not written.
    std::vector<UpsertOutcome> upsert(std::span<const sdk::Record> records, const std::vector<std::string>& key_fields);

    // Up to limit documents matching filter, ordered by sort_field then _id, strictly
    // after cursor; cursor moves to the last one returned.
    std::vector<Document> page(const Filter& filter, std::string_view sort_field, Cursor& cursor, std::size_t limit);

    // The document with this _id, if any.
    std::optional<Document> find(std::string_view id);

    // Sets top-level (or dotted) fields on documents by _id, all in one transaction.
    // _id itself is never changed. Unknown ids are skipped.
    void set_fields(std::span<const std::pair<std::string, boost::json::object>> updates);

    [[nodiscard]] std::size_t count(const Filter& filter);

    // The intake's tables beside the collection's: "<collection>__outbox" (seq, _id: the
    // submissions not yet published, in the order they were stored) and
    // "<collection>__idempotency_keys", and a unique index on the documents' `identity`.
    void ensure_intake();
    // An intake's submit(), in one BEGIN IMMEDIATE transaction (sdk/intake.hpp, steps 1-4):
    // the document {_id, identity, received_at, payload} and its outbox row.
    IntakeOutcome submit(const IntakeRow& row);
    // Whether the document still has an outbox row (not yet published).
    [[nodiscard]] bool in_outbox(std::string_view id);
    // Up to `limit` documents of the outbox with a seq above after_seq, in seq order
    // (after_seq moves to the last one's).
    std::vector<Document> outbox_page(std::int64_t& after_seq, std::size_t limit);
    // Takes these documents out of the outbox and sets their fields (as set_fields), in
    // one transaction.
    void outbox_done(std::span<const std::pair<std::string, boost::json::object>> updates);

private:
    void exec(const char* sql, std::string_view what);
    // set_fields' updates inside the caller's transaction.
    void apply_fields(std::span<const std::pair<std::string, boost::json::object>> updates);
    std::string new_id();

    std::filesystem::path file_;
    std::string collection_;
    std::string table_;  // the collection's name, quoted for SQL
    std::string outbox_table_;  // the intake's "<collection>__outbox", quoted
    std::string keys_table_;    // the intake's "<collection>__idempotency_keys", quoted
    std::string where_;  // names file and collection in error messages
    sqlite3* db_ = nullptr;
    std::mt19937_64 random_;
    std::uint64_t process_bits_ = 0;  // ObjectId's 5 random bytes, per store
    std::uint32_t counter_ = 0;       // ObjectId's 3-byte counter
};

}  // namespace junction::docstore
