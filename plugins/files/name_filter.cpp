#include "name_filter.hpp"

namespace junction::files {

bool glob_match(std::string_view pattern, std::string_view name) noexcept {
    // Iterative with one backtrack point: linear-ish, no recursion blow-up on "*a*a*a".
    std::size_t p = 0, n = 0, star = std::string_view::npos, resume = 0;
    while (n < name.size()) {
        if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == name[n])) {
            ++p;
            ++n;
        } else if (p < pattern.size() && pattern[p] == '*') {
            star = p++;
            resume = n;
        } else if (star != std::string_view::npos) {
            p = star + 1;
            n = ++resume;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*')
        ++p;
    return p == pattern.size();
}

bool is_ignored_name(std::string_view name) noexcept {
    return name.empty() || name.front() == '.' || name.ends_with(".tmp") || name.ends_with(".part");
}

}  // namespace junction::files
