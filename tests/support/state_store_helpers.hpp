// Helpers for the state store's unit tests: raw SQL on a store file (to build an older
// schema or damage one), a PID no process has, and a run looked up by id.
#pragma once

#include <doctest/doctest.h>

#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include <junction/core/state_store.hpp>

namespace junction::test {

inline void exec(const std::filesystem::path& file, const std::string& sql) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(file.c_str(), &db) == SQLITE_OK);
    char* err = nullptr;
    const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
    const std::string msg = err != nullptr ? err : "";
    sqlite3_free(err);
    sqlite3_close(db);
    REQUIRE_MESSAGE(rc == SQLITE_OK, msg);
}

// A PID that no process has: a child that has exited and been reaped.
inline pid_t dead_pid() {
    const pid_t pid = ::fork();
    if (pid == 0) ::_exit(0);
    ::waitpid(pid, nullptr, 0);
    return pid;
}

inline core::RunRecord by_id(core::StateStore& store, std::int64_t id) {
    for (auto& r : store.runs(std::nullopt, 0))
        if (r.id == id) return r;
    FAIL("no run " << id);
    return {};
}

}  // namespace junction::test
