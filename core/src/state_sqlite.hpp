// Thin RAII over the SQLite C API for the state store: a connection, prepared
// statements and a transaction guard. Errors become std::runtime_error with one line.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace junction::core::sqlite {

// One line: "state store <path>: <what>: <SQLite's reason>"; reason() alone is kept
// so that open() can say it its own way.
class Error : public std::runtime_error {
public:
    Error(std::string_view path, std::string_view what, std::string reason)
        : std::runtime_error(compose(path, what, reason)), reason_(std::move(reason)) {}
    [[nodiscard]] const std::string& reason() const noexcept { return reason_; }

private:
    static std::string compose(std::string_view path, std::string_view what, std::string_view reason) {
        std::string msg = "state store ";
        msg += path;
        msg += ": ";
        if (!what.empty()) {
            msg += what;
            msg += ": ";
        }
        msg += reason;
        return msg;
    }
    std::string reason_;
};

[[noreturn]] inline void fail(std::string_view what, sqlite3* db, std::string_view path) {
    throw Error(path, what, db != nullptr ? sqlite3_errmsg(db) : "out of memory");
}

class Statement {
public:
    Statement() = default;
    Statement(sqlite3* db, std::string_view sql, std::string_view path) : db_(db), path_(path) {
        if (sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt_,
                               nullptr) != SQLITE_OK)
            fail("cannot prepare a statement", db, path);
    }
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    Statement(Statement&& o) noexcept : db_(o.db_), stmt_(o.stmt_), path_(std::move(o.path_)) { o.stmt_ = nullptr; }
    Statement& operator=(Statement&& o) noexcept {
        std::swap(db_, o.db_);
        std::swap(stmt_, o.stmt_);
        std::swap(path_, o.path_);
        return *this;
    }
    ~Statement() { sqlite3_finalize(stmt_); }

    // Binds by 1-based index; SQLITE_TRANSIENT because callers pass temporaries.
    Statement& bind(int i, std::string_view v) {
        check(sqlite3_bind_text64(stmt_, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8));
        return *this;
    }
    Statement& bind(int i, std::int64_t v) {
        check(sqlite3_bind_int64(stmt_, i, v));
        return *this;
    }
    Statement& bind_null(int i) {
        check(sqlite3_bind_null(stmt_, i));
        return *this;
    }

    // True while a row is available; false when done. Throws on error (busy included).
    bool step() {
        const int rc = sqlite3_step(stmt_);
        if (rc == SQLITE_ROW) return true;
        if (rc == SQLITE_DONE) return false;
        std::string msg = sqlite3_errmsg(db_);
        sqlite3_reset(stmt_);
        throw Error(path_, {}, std::move(msg));
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
    [[nodiscard]] std::optional<std::string> optional_text(int col) const {
        if (sqlite3_column_type(stmt_, col) == SQLITE_NULL) return std::nullopt;
        return text(col);
    }
    [[nodiscard]] std::int64_t integer(int col) const { return sqlite3_column_int64(stmt_, col); }

private:
    void check(int rc) const {
        if (rc != SQLITE_OK) fail("cannot bind a parameter", db_, path_);
    }

    sqlite3* db_ = nullptr;
    sqlite3_stmt* stmt_ = nullptr;
    std::string path_;
};

// Resets a statement on scope exit, so an exception mid-iteration leaves it reusable.
class ResetGuard {
public:
    explicit ResetGuard(Statement& s) noexcept : s_(s) {}
    ResetGuard(const ResetGuard&) = delete;
    ResetGuard& operator=(const ResetGuard&) = delete;
    ~ResetGuard() { s_.reset(); }

private:
    Statement& s_;
};

inline void exec(sqlite3* db, const char* sql, std::string_view path, std::string_view what) {
    char* err = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
        std::string reason = err != nullptr ? err : sqlite3_errmsg(db);
        sqlite3_free(err);
        throw Error(path, what, std::move(reason));
    }
}

// BEGIN IMMEDIATE takes the write lock up front, so a busy database fails before any
// work rather than at COMMIT; the destructor rolls back whatever was not committed.
class Transaction {
public:
    Transaction(sqlite3* db, std::string_view path) : db_(db), path_(path) {
        exec(db_, "BEGIN IMMEDIATE", path_, "cannot begin a transaction");
    }
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    ~Transaction() {
        if (!done_) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
    }
    void commit() {
        exec(db_, "COMMIT", path_, "cannot commit");
        done_ = true;
    }

private:
    sqlite3* db_;
    std::string path_;
    bool done_ = false;
};

}  // namespace junction::core::sqlite
