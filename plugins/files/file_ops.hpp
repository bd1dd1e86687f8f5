// File-system steps the reader and writer share: moves that never overwrite, whole
// writes, atomic small files (sidecars) and directory syncs. POSIX.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace junction::files {

struct MoveResult {
    std::filesystem::path to;  // where it landed
    std::string error;         // empty on success
    [[nodiscard]] bool ok() const noexcept { return error.empty(); }
};

// Moves `from` into folder `dir` (created if missing) under its own name, or with
// "-1", "-2", ... before the extension when that name is taken: never overwrites.
MoveResult move_into(const std::filesystem::path& from, const std::filesystem::path& dir);

// The name with "-n" before the extension: "12.json" -> "12-3.json".
std::string numbered_name(std::string_view name, unsigned n);

// Writes all of data to fd, resuming after short writes; false with errno set on failure.
bool write_all(int fd, std::string_view data) noexcept;

// Creates and opens (write-only) a new temp file beside path, hidden and named *.tmp so
// readers of that folder skip it: ".<name>.<pid>.<n>.tmp". -1 with errno on failure.
int create_temp_beside(const std::filesystem::path& path, std::filesystem::path& temp);

// Writes a whole small file atomically (temp file in the same folder, then rename);
// with durable, the data and the rename survive power loss. Empty on success.
std::string write_file_atomic(const std::filesystem::path& path, std::string_view data, bool durable);

// fsync of a folder, so renames into it are durable. Empty on success.
std::string sync_directory(const std::filesystem::path& dir);

}  // namespace junction::files
