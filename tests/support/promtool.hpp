// promtool check metrics: Prometheus' own validator of the text exposition (format and
// naming), from Debian's prometheus package (scripts/setup.sh installs it). A test that
// needs it fails with one line when it is missing: never skipped.
#pragma once

#include <doctest/doctest.h>

#include <string>

#include "subprocess.hpp"
#include "temp_dir.hpp"

namespace junction::test {

struct PromtoolCheck {
    int exit_code = -1;    // 0: no problem
    std::string problems;  // what promtool said, one problem a line
};

inline PromtoolCheck promtool_check(const std::string& exposition) {
    REQUIRE_MESSAGE(run("command -v promtool").exit_code == 0,
                    "promtool not found: run scripts/setup.sh (it installs Debian's prometheus package for promtool)");
    TempDir dir;
    write_file(dir / "metrics.txt", exposition);
    const auto r = run("promtool check metrics < " + sh_quote((dir / "metrics.txt").string()));
    return {r.exit_code, r.out + r.err};
}

}  // namespace junction::test
