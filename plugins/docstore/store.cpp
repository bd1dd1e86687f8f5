// The SQLite side of the document store: connection, table and index, upserts,
// keyset pages and field updates. Filters are compiled in filter.cpp.
#include "store.hpp"

#include <sqlite3.h>

#include <array>
#include <cctype>
#include <cstdio>
#include <ctime>

#include <boost/json/parse.hpp>
#include <junction/sdk/json_path.hpp>
#include <junction/sdk/json_text.hpp>

#include "common/sqlite_util.hpp"

namespace junction::docstore {
using plugin_sqlite::fail;
using plugin_sqlite::sql_literal;
using plugin_sqlite::Statement;
using plugin_sqlite::Transaction;

namespace {

bool valid_collection(std::string_view name) {
    if (name.empty() || !(std::isalpha(static_cast<unsigned char>(name[0])) || name[0] == '_')) return false;
    for (const char c : name)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_')) return false;
    return true;
}

// SQL text for json_extract of a field, written identically wherever the unique
// index must be usable (SQLite matches index expressions textually).
std::string extract(std::string_view field) {
    return "json_extract(doc, " + sql_literal(json_path(field)) + ")";
}

// Sets a value at a dotted field, creating intermediate objects as MongoDB's $set does.
void set_field(boost::json::object& doc, std::string_view field, boost::json::value value) {
    boost::json::object* at = &doc;
    for (auto dot = field.find('.'); dot != std::string_view::npos; dot = field.find('.')) {
        auto& next = (*at)[field.substr(0, dot)];
        if (!next.is_object()) next = boost::json::object{};
        at = &next.get_object();
        field.remove_prefix(dot + 1);
    }
    (*at)[field] = std::move(value);
}

// A row's document: columns 0 and 1 are _id and doc. A doc that is not a JSON object
// (never written so by this plugin) reads as an empty one; _id is always set.
Document document_of(Statement& s) {
    Document d;
    d.id = s.text(0);
    boost::system::error_code ec;
    auto v = boost::json::parse(s.text(1), ec);
    if (!ec && v.is_object()) d.body = std::move(v.get_object());
    d.body["_id"] = d.id;
    return d;
}

}  // namespace

DocStore::DocStore(const std::filesystem::path& file, std::string collection, std::chrono::milliseconds busy_timeout)
    : file_(file), collection_(std::move(collection)), random_(std::random_device{}()) {
    if (!valid_collection(collection_))
        throw StoreError("docstore: collection name '" + collection_ +
                             "' is not valid: use letters, digits and _, not starting with a digit",
                         false);
    table_ = "\"" + collection_ + "\"";
    outbox_table_ = "\"" + collection_ + "__outbox\"";
    keys_table_ = "\"" + collection_ + "__idempotency_keys\"";
    where_ = "docstore " + file_.string() + " (collection " + collection_ + ")";
    process_bits_ = random_() & 0xFFFFFFFFFFULL;
    counter_ = static_cast<std::uint32_t>(random_() & 0xFFFFFFU);

    // A missing parent folder is created, as the host does for the state store's file
    // (host/cmd_pipeline.cpp open_store: same rule, same words).
    db_ = plugin_sqlite::open_database(file_, busy_timeout, "docstore");
    try {
        const std::string create = "CREATE TABLE IF NOT EXISTS " + table_ +
                                   "(_id TEXT PRIMARY KEY, doc TEXT NOT NULL CHECK (json_valid(doc)))";
        exec(create.c_str(), "cannot open");
    } catch (...) {
        sqlite3_close(db_);
        db_ = nullptr;
        throw;
    }
}

DocStore::~DocStore() {
    sqlite3_close_v2(db_);
}

void DocStore::exec(const char* sql, std::string_view what) {
    if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK)
        fail(db_, "docstore: " + std::string(what) + " " + file_.string());
}

std::string DocStore::new_id() {
    // Like a MongoDB ObjectId: 4 bytes of seconds, 5 random bytes, a 3-byte counter.
    const auto secs = static_cast<std::uint32_t>(std::time(nullptr));
    counter_ = (counter_ + 1) & 0xFFFFFFU;
    std::array<char, 25> buf{};
    std::snprintf(buf.data(), buf.size(), "%08x%010llx%06x", secs, static_cast<unsigned long long>(process_bits_),
                  counter_);
    return buf.data();
}

void DocStore::ensure_unique_index(const std::vector<std::string>& key_fields) {
    std::string name = collection_ + "__key";
    std::string columns;
    for (const auto& f : key_fields) {
        const auto path = json_path(f);  // validates the name before it reaches SQL
        name += "__" + f;
        if (!columns.empty()) columns += ", ";
        columns += extract(f);
    }
    const std::string sql = "CREATE UNIQUE INDEX IF NOT EXISTS \"" + name + "\" ON " + table_ + "(" + columns + ")";
    exec(sql.c_str(), "cannot create the unique key index in");
}

std::vector<UpsertOutcome> DocStore::upsert(std::span<const sdk::Record> records,
                                            const std::vector<std::string>& key_fields) {
    std::string where;
    for (const auto& f : key_fields) {
        if (!where.empty()) where += " AND ";
        where += extract(f) + " = ?";
    }
    Statement find(db_, "SELECT _id, doc FROM " + table_ + " WHERE " + where, where_);
    Statement insert(db_, "INSERT INTO " + table_ + "(_id, doc) VALUES(?1, ?2)", where_);
    Statement update(db_, "UPDATE " + table_ + " SET doc = ?2 WHERE _id = ?1", where_);

    std::vector<UpsertOutcome> out;
    out.reserve(records.size());
    Transaction tx(db_, where_);
    for (const auto& record : records) {
        UpsertOutcome o;
        std::vector<const boost::json::value*> keys;
        for (const auto& f : key_fields) {
            const auto* v = sdk::find_path(record.payload, f);
            if (v == nullptr || v->is_null()) {
                o.result = UpsertResult::rejected;
                o.reason = "missing key field '" + f + "' (upsert_key)";
                break;
            }
            keys.push_back(v);
        }
        if (o.result == UpsertResult::rejected) {
            out.push_back(std::move(o));
            continue;
        }

        boost::json::object doc = record.payload;
        find.reset();
        for (std::size_t i = 0; i < keys.size(); ++i)
            find.bind(static_cast<int>(i + 1), *keys[i]);
        if (find.step()) {
            o.id = find.text(0);
            doc["_id"] = o.id;
            boost::system::error_code ec;
            const auto stored = boost::json::parse(find.text(1), ec);
            find.reset();
            if (!ec && stored.is_object() && stored.get_object() == doc) {
                o.result = UpsertResult::unchanged;
            } else {
                o.result = UpsertResult::updated;
                update.reset();
                update.bind(1, o.id).bind(2, sdk::to_json_text(doc)).run();
            }
        } else {
            find.reset();
            const auto* given = doc.if_contains("_id");
            o.id = given != nullptr && given->is_string() && !given->get_string().empty()
                       ? std::string(given->get_string())
                       : new_id();
            doc["_id"] = o.id;
            o.result = UpsertResult::inserted;
            insert.reset();
            insert.bind(1, o.id).bind(2, sdk::to_json_text(doc)).run();
        }
        out.push_back(std::move(o));
    }
    tx.commit();
    return out;
}

std::vector<Document> DocStore::page(const Filter& filter, std::string_view sort_field, Cursor& cursor,
                                     std::size_t limit) {
    const bool by_id = sort_field == "_id";
    const std::string key = by_id ? "_id" : extract(sort_field);
    std::string sql = "SELECT _id, doc, " + key + " FROM " + table_ + " WHERE (" + filter.sql + ")";
    if (cursor.started) {
        // NULL (a missing sort field) sorts first; "K > NULL" is NULL, hence the middle term.
        sql += by_id ? " AND _id > ?"
                     : " AND ((" + key + " IS ? AND _id > ?) OR (? IS NULL AND " + key + " IS NOT NULL) OR (" + key +
                           " > ?))";
    }
    sql += " ORDER BY " + key + ", _id LIMIT ?";
    Statement s(db_, sql, where_);
    int i = 1;
    for (const auto& p : filter.params)
        s.bind(i++, p);
    if (cursor.started) {
        if (by_id) {
            s.bind(i++, cursor.id);
        } else {
            s.bind(i++, cursor.sort);
            s.bind(i++, cursor.id);
            s.bind(i++, cursor.sort);
            s.bind(i++, cursor.sort);
        }
    }
    s.bind(i, static_cast<std::int64_t>(limit));

    std::vector<Document> out;
    while (s.step()) {
        Document d = document_of(s);
        cursor.started = true;
        cursor.id = d.id;
        cursor.sort = s.value(2);
        out.push_back(std::move(d));
    }
    return out;
}

std::optional<Document> DocStore::find(std::string_view id) {
    Statement s(db_, "SELECT _id, doc FROM " + table_ + " WHERE _id = ?1", where_);
    s.bind(1, id);
    if (!s.step()) return std::nullopt;
    return document_of(s);
}

void DocStore::set_fields(std::span<const std::pair<std::string, boost::json::object>> updates) {
    if (updates.empty()) return;
    Transaction tx(db_, where_);
    apply_fields(updates);
    tx.commit();
}

void DocStore::apply_fields(std::span<const std::pair<std::string, boost::json::object>> updates) {
    Statement get(db_, "SELECT doc FROM " + table_ + " WHERE _id = ?1", where_);
    Statement put(db_, "UPDATE " + table_ + " SET doc = ?2 WHERE _id = ?1", where_);
    for (const auto& [id, fields] : updates) {
        if (fields.empty()) continue;
        get.reset();
        get.bind(1, id);
        if (!get.step()) continue;
        boost::system::error_code ec;
        auto v = boost::json::parse(get.text(0), ec);
        get.reset();
        if (ec || !v.is_object()) continue;
        auto& doc = v.get_object();
        for (const auto& [name, value] : fields)
            if (name != "_id") set_field(doc, name, value);
        put.reset();
        put.bind(1, id).bind(2, sdk::to_json_text(doc)).run();
    }
}

std::size_t DocStore::count(const Filter& filter) {
    Statement s(db_, "SELECT count(*) FROM " + table_ + " WHERE (" + filter.sql + ")", where_);
    int i = 1;
    for (const auto& p : filter.params)
        s.bind(i++, p);
    s.step();
    return static_cast<std::size_t>(s.integer(0));
}

void DocStore::ensure_intake() {
    ensure_unique_index({"identity"});
    std::string sql = "CREATE TABLE IF NOT EXISTS " + outbox_table_;
    sql += "(seq INTEGER PRIMARY KEY AUTOINCREMENT, _id TEXT NOT NULL UNIQUE);";
    sql += "CREATE TABLE IF NOT EXISTS " + keys_table_;
    sql +=
        "(key TEXT PRIMARY KEY, fingerprint TEXT NOT NULL, _id TEXT NOT NULL, duplicate INTEGER NOT NULL, "
        "created_ms INTEGER NOT NULL);";
    sql += "CREATE INDEX IF NOT EXISTS \"" + collection_ + "__idempotency_keys__created\" ON " + keys_table_;
    sql += "(created_ms)";
    exec(sql.c_str(), "cannot create the intake's tables in");
}

IntakeOutcome DocStore::submit(const IntakeRow& row) {
    IntakeOutcome out;
    Transaction tx(db_, where_);
    if (!row.key.empty()) {
        Statement expire(db_, "DELETE FROM " + keys_table_ + " WHERE created_ms <= ?1", where_);
        expire.bind(1, row.keys_expire_ms).run();
        Statement known(db_, "SELECT fingerprint, _id, duplicate FROM " + keys_table_ + " WHERE key = ?1", where_);
        known.bind(1, row.key);
        if (known.step()) {
            if (known.text(0) == row.fingerprint) {
                out.result = IntakeResult::replayed;
                out.id = known.text(1);
                out.first_was_duplicate = known.integer(2) != 0;
            } else {
                out.result = IntakeResult::key_reused;
            }
            known.reset();
            tx.commit();  // the expired keys' deletion
            return out;
        }
    }
    Statement same(db_, "SELECT _id FROM " + table_ + " WHERE " + extract("identity") + " = ?1", where_);
    same.bind(1, row.identity);
    if (same.step()) {
        out.result = IntakeResult::duplicate;
        out.id = same.text(0);
        same.reset();
    } else {
        same.reset();
        out.id = new_id();
        boost::json::object doc;
        doc["_id"] = out.id;
        doc["identity"] = row.identity;
        doc["received_at"] = row.received_at;
        doc["payload"] = row.payload;
        Statement insert(db_, "INSERT INTO " + table_ + "(_id, doc) VALUES(?1, ?2)", where_);
        insert.bind(1, out.id).bind(2, sdk::to_json_text(doc)).run();
        Statement queue(db_, "INSERT INTO " + outbox_table_ + "(_id) VALUES(?1)", where_);
        queue.bind(1, out.id).run();
    }
    if (!row.key.empty()) {
        Statement keep(
            db_,
            "INSERT INTO " + keys_table_ + "(key, fingerprint, _id, duplicate, created_ms) VALUES(?1, ?2, ?3, ?4, ?5)",
            where_);
        keep.bind(1, row.key)
            .bind(2, row.fingerprint)
            .bind(3, out.id)
            .bind(4, static_cast<std::int64_t>(out.result == IntakeResult::duplicate ? 1 : 0))
            .bind(5, row.received_ms)
            .run();
    }
    tx.commit();
    return out;
}

bool DocStore::in_outbox(std::string_view id) {
    Statement s(db_, "SELECT 1 FROM " + outbox_table_ + " WHERE _id = ?1", where_);
    s.bind(1, id);
    return s.step();
}

std::vector<Document> DocStore::outbox_page(std::int64_t& after_seq, std::size_t limit) {
    Statement s(db_,
                "SELECT c._id, c.doc, o.seq FROM " + outbox_table_ + " o JOIN " + table_ +
                    " c ON c._id = o._id WHERE o.seq > ?1 ORDER BY o.seq LIMIT ?2",
                where_);
    s.bind(1, after_seq).bind(2, static_cast<std::int64_t>(limit));
    std::vector<Document> out;
    while (s.step()) {
        out.push_back(document_of(s));
        after_seq = s.integer(2);
    }
    return out;
}

void DocStore::outbox_done(std::span<const std::pair<std::string, boost::json::object>> updates) {
    if (updates.empty()) return;
    Statement drop(db_, "DELETE FROM " + outbox_table_ + " WHERE _id = ?1", where_);
    Transaction tx(db_, where_);
    for (const auto& entry : updates) {
        drop.reset();
        drop.bind(1, entry.first).run();
    }
    apply_fields(updates);
    tx.commit();
}

}  // namespace junction::docstore
