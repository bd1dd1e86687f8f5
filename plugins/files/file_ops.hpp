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

// "a FIFO", "a socket", "a directory", ... for a stat() mode that is not a regular file.
const char* file_kind(unsigned mode) noexcept;

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

// Removes the temp files create_temp_beside() left in dir (".<name>.<pid>.<n>.tmp",
// regular files only) whose writer is gone: no process has that PID (kill(pid, 0) fails
// with ESRCH), or the process holding it now started after the file was last written
// (the PID was reused, e.g. PID 1 of a restarted container). A live PID whose start
// time cannot be read keeps its files. Returns how many were removed; error tells the
// first failure (listing the folder or removing a file), the sweep goes on past it.
std::size_t remove_orphan_temps(const std::filesystem::path& dir, std::string& error);

// When process pid started, in seconds since the epoch; 0 when unknown (no /proc).
double process_start_time(int pid);

// Writes a whole small file atomically (temp file in the same folder, then rename);
// with durable, the data and the rename survive power loss. Empty on success.
std::string write_file_atomic(const std::filesystem::path& path, std::string_view data, bool durable);

// fsync of a folder, so renames into it are durable. Empty on success.
std::string sync_directory(const std::filesystem::path& dir);

}  // namespace junction::files
