// Which file names in a folder the reader takes: a glob, minus files that are hidden
// or still being written by someone else's atomic write (*.tmp, *.part).
#pragma once

#include <string_view>

namespace junction::files {

// Shell-style match of the whole name: * any run of characters, ? exactly one.
bool glob_match(std::string_view pattern, std::string_view name) noexcept;

// Hidden (dot) files and in-progress *.tmp / *.part files.
bool is_ignored_name(std::string_view name) noexcept;

}  // namespace junction::files
