// Small RAII over the SQLite C API, shared by the plugins that keep their data in an
// SQLite file (docstore, queue): statements that bind JSON values, an immediate
// transaction that rolls back unless committed, and the way such a file is opened.
// Header-only, so each plugin compiles what it uses; a plugin using it links SQLite itself.
#pragma once

#include <sqlite3.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>
#include <junction/sdk/json_text.hpp>
#include <junction/sdk/status.hpp>

namespace junction::plugin_sqlite {

// One line for people; transient() when SQLite said busy or locked (worth a retry).
class SqliteError : public std::runtime_error {
public:
    SqliteError(const std::string& message, bool transient) : std::runtime_error(message), transient_(transient) {}
    [[nodiscard]] bool transient() const noexcept { return transient_; }

private:
    bool transient_;
};

// Busy or locked: retry (the engine backs off); anything else stops the pipeline.
inline sdk::Status status_of(const SqliteError& e) {
    return e.transient() ? sdk::Status::retry(e.what()) : sdk::Status::fatal(e.what());
}

// A value as SQLite sorts it (kept between pages for keyset pagination).
struct SqlValue {
    enum class Type : unsigned char { null, integer, real, text } type = Type::null;
    std::int64_t integer = 0;
    double real = 0;
    std::string text;
};

// Busy and locked pass (another writer holds the file): the engine should retry.
inline bool is_transient(int rc) noexcept {
    const int primary = rc & 0xFF;
    return primary == SQLITE_BUSY || primary == SQLITE_LOCKED;
}

// A string as an SQL literal: single quotes doubled.
inline std::string sql_literal(std::string_view text) {
    std::string out = "'";
    for (const char c : text) {
        out += c;
        if (c == '\'') out += '\'';
    }
    out += '\'';
    return out;
}

// `where` names the file and collection in every message.
[[noreturn]] inline void fail(sqlite3* db, const std::string& where) {
    throw SqliteError(where + ": " + sqlite3_errmsg(db), is_transient(sqlite3_extended_errcode(db)));
}

class Statement {
public:
    Statement(sqlite3* db, const std::string& sql, const std::string& where) : db_(db), where_(where) {
        if (sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), &stmt_, nullptr) != SQLITE_OK)
            fail(db_, where_);
    }
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    ~Statement() { sqlite3_finalize(stmt_); }

    Statement& bind(int i, std::string_view v) {
        check(sqlite3_bind_text64(stmt_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
        return *this;
    }
    Statement& bind(int i, std::int64_t v) {
        check(sqlite3_bind_int64(stmt_, i, v));
        return *this;
    }
    Statement& bind(int i, double v) {
        check(sqlite3_bind_double(stmt_, i, v));
        return *this;
    }
    Statement& bind_null(int i) {
        check(sqlite3_bind_null(stmt_, i));
        return *this;
    }
    // As json_extract would return it: booleans as 1/0, objects and arrays as JSON text.
    Statement& bind(int i, const boost::json::value& v) {
        switch (v.kind()) {
            case boost::json::kind::null:
                return bind_null(i);
            case boost::json::kind::bool_:
                return bind(i, static_cast<std::int64_t>(v.get_bool() ? 1 : 0));
            case boost::json::kind::int64:
                return bind(i, v.get_int64());
            case boost::json::kind::uint64:
                return bind(i, static_cast<std::int64_t>(v.get_uint64()));
            case boost::json::kind::double_:
                return bind(i, v.get_double());
            case boost::json::kind::string:
                return bind(i, std::string_view(v.get_string()));
            default:
                return bind(i, sdk::to_json_text(v));
        }
    }
    Statement& bind(int i, const SqlValue& v) {
        switch (v.type) {
            case SqlValue::Type::null:
                return bind_null(i);
            case SqlValue::Type::integer:
                return bind(i, v.integer);
            case SqlValue::Type::real:
                return bind(i, v.real);
            case SqlValue::Type::text:
                return bind(i, std::string_view(v.text));
        }
        return *this;
    }

    bool step() {
        const int rc = sqlite3_step(stmt_);
        if (rc == SQLITE_ROW) return true;
        if (rc == SQLITE_DONE) return false;
        fail(db_, where_);
    }
    void run() {
        step();
        reset();
    }
    void reset() noexcept {
        sqlite3_reset(stmt_);
        sqlite3_clear_bindings(stmt_);
    }

    [[nodiscard]] std::string text(int col) const {
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
        return p != nullptr ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(stmt_, col)))
                            : std::string{};
    }
    [[nodiscard]] std::int64_t integer(int col) const { return sqlite3_column_int64(stmt_, col); }
    [[nodiscard]] SqlValue value(int col) const {
        SqlValue v;
        switch (sqlite3_column_type(stmt_, col)) {
            case SQLITE_INTEGER:
                v.type = SqlValue::Type::integer;
                v.integer = sqlite3_column_int64(stmt_, col);
                break;
            case SQLITE_FLOAT:
                v.type = SqlValue::Type::real;
                v.real = sqlite3_column_double(stmt_, col);
                break;
            case SQLITE_NULL:
                break;
            default:
                v.type = SqlValue::Type::text;
                v.text = text(col);
        }
        return v;
    }

private:
    void check(int rc) const {
        if (rc != SQLITE_OK) fail(db_, where_);
    }

    sqlite3* db_;
    sqlite3_stmt* stmt_ = nullptr;
    std::string where_;
};

// BEGIN IMMEDIATE takes the write lock first, so busy shows up before any work is done.
class Transaction {
public:
    Transaction(sqlite3* db, const std::string& where) : db_(db), where_(where) {
        if (sqlite3_exec(db_, "BEGIN IMMEDIATE", nullptr, nullptr, nullptr) != SQLITE_OK) fail(db_, where_);
    }
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    ~Transaction() {
        if (!done_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    }
    void commit() {
        if (sqlite3_exec(db_, "COMMIT", nullptr, nullptr, nullptr) != SQLITE_OK) fail(db_, where_);
        done_ = true;
    }

private:
    sqlite3* db_;
    std::string where_;
    bool done_ = false;
};


// Opens (creating it and its folder if needed) an SQLite file in WAL mode with
// synchronous=FULL: WAL lets one pipeline read while another writes the same file, FULL
// makes each commit survive power loss. `who` starts each message ("docstore").
// Throws SqliteError.
inline sqlite3* open_database(const std::filesystem::path& file, std::chrono::milliseconds busy_timeout,
                              const std::string& who) {
    if (file.has_parent_path()) {
        std::error_code ec;
        std::filesystem::create_directories(file.parent_path(), ec);
        if (ec) throw SqliteError(who + ": cannot create the folder " + file.parent_path().string() + ": " + ec.message(), false);
    }
    sqlite3* db = nullptr;
    const int rc = sqlite3_open_v2(file.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nullptr);
    if (rc != SQLITE_OK) {
        const std::string reason = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
        sqlite3_close(db);
        throw SqliteError(who + ": cannot open " + file.string() + ": " + reason, false);
    }
    sqlite3_busy_timeout(db, static_cast<int>(busy_timeout.count()));
    for (const char* pragma : {"PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL"}) {
        if (sqlite3_exec(db, pragma, nullptr, nullptr, nullptr) != SQLITE_OK) {
            const std::string reason = sqlite3_errmsg(db);
            const bool transient = is_transient(sqlite3_extended_errcode(db));
            sqlite3_close(db);
            throw SqliteError(who + ": cannot open " + file.string() + ": " + reason, transient);
        }
    }
    return db;
}

}  // namespace junction::plugin_sqlite
