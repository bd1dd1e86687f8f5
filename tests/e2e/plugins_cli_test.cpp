// `junction` through the built binary: global options, usage errors, and the plugins
// commands over folders of good and broken libraries.
#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>

#include <junction/sdk/abi.hpp>

namespace fs = std::filesystem;

namespace {

struct Result {
    int exit_code = -1;
    std::string out;
    std::string err;
    std::vector<std::string> err_lines() const {
        std::vector<std::string> lines;
        std::istringstream in(err);
        for (std::string l; std::getline(in, l);)
            lines.push_back(l);
        return lines;
    }
};

std::string slurp(const fs::path& p) {
    std::ifstream in(p);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string quote(const std::string& s) {
    std::string q = "'";
    for (char c : s)
        q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

Result junction_cli(const std::vector<std::string>& args) {
    const fs::path tmp = fs::temp_directory_path() / ("junction-cli-" + std::to_string(::getpid()));
    std::string cmd = quote(JUNCTION_BIN);
    for (const auto& a : args)
        cmd += " " + quote(a);
    cmd += " >" + quote(tmp.string() + ".out") + " 2>" + quote(tmp.string() + ".err");
    const int status = std::system(cmd.c_str());
    Result r;
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    r.out = slurp(tmp.string() + ".out");
    r.err = slurp(tmp.string() + ".err");
    fs::remove(tmp.string() + ".out");
    fs::remove(tmp.string() + ".err");
    return r;
}

std::string case_dir(const char* name) {
    return (fs::path(JUNCTION_TEST_PLUGIN_DIR) / name).string();
}

bool contains(const std::string& text, std::string_view part) {
    return text.find(part) != std::string::npos;
}

int lines_naming(const Result& r, std::string_view part) {
    int n = 0;
    for (const auto& l : r.err_lines())
        n += contains(l, part) ? 1 : 0;
    return n;
}

}  // namespace

TEST_CASE("plugins list shows the good plugin and one stderr line per broken file, and succeeds") {
    const auto r = junction_cli({"plugins", "list", "--plugin-dir", case_dir("mixed")});
    CHECK(r.exit_code == 0);
    CHECK(contains(r.out, "NAME"));
    CHECK(contains(r.out, "test_good"));
    CHECK(contains(r.out, "1.2.3"));
    CHECK(contains(r.out, "reader,translator,writer"));
    CHECK_FALSE(contains(r.out, "test_abi_future"));
    CHECK(lines_naming(r, "libjunction_garbage.so") == 1);
    CHECK(lines_naming(r, "libjunction_test_abi_mismatch.so") == 1);
    CHECK(lines_naming(r, "mixed/") == 2);  // and nothing else about that folder
    CHECK(contains(r.err, "rebuild it against SDK 2.x"));
}

TEST_CASE("global options work after the command too, and JUNCTION_PLUGIN_PATH is searched") {
    const auto before = junction_cli({"--plugin-dir", case_dir("good"), "plugins", "list"});
    CHECK(before.exit_code == 0);
    CHECK(contains(before.out, "test_good"));
    ::setenv("JUNCTION_PLUGIN_PATH", (case_dir("nowhere") + ":" + case_dir("duplicate")).c_str(), 1);
    const auto env = junction_cli({"plugins", "list"});
    ::unsetenv("JUNCTION_PLUGIN_PATH");
    CHECK(env.exit_code == 0);
    CHECK(contains(env.out, "test_dup"));
    CHECK(lines_naming(env, "libjunction_test_dup_b.so") == 1);
}

TEST_CASE("plugins describe prints every option's facts for people, never a secret's value") {
    const auto r = junction_cli({"--plugin-dir", case_dir("good"), "plugins", "describe", "test_good"});
    CHECK(r.exit_code == 0);
    CHECK(contains(r.out, "test_good 1.2.3 (beta)"));
    CHECK(contains(r.out, "count  (integer, default 3, from 0 to 1000)"));
    CHECK(contains(r.out, "mode  (string, default \"tag\", one of tag, strict)"));
    CHECK(contains(r.out, "target  (string, required, matching /[a-z]+/)"));
    CHECK(contains(r.out, "token  (string, default \"***\", secret)"));
    CHECK(contains(r.out, "translator (thread-safe)"));
    CHECK_FALSE(contains(r.out, "hunter2"));
}

TEST_CASE("plugins describe --json prints one JSON document for machines") {
    const auto r = junction_cli({"--plugin-dir", case_dir("good"), "plugins", "describe", "test_good", "--json"});
    REQUIRE(r.exit_code == 0);
    const auto doc = boost::json::parse(r.out).as_object();
    CHECK(doc.at("name") == "test_good");
    CHECK(doc.at("version") == "1.2.3");
    const auto& components = doc.at("components").as_array();
    REQUIRE(components.size() == 3);
    const auto& writer_options = components[2].at("options").as_array();
    CHECK(writer_options[0].at("required") == true);
    CHECK(writer_options[1].at("secret") == true);
    CHECK(writer_options[1].at("default") == "***");
    CHECK(components[0].at("options").as_array()[0].at("max") == 1000);
    CHECK_FALSE(contains(r.out, "hunter2"));
}

TEST_CASE("describing a missing or refused plugin fails with exit 1 and the reason") {
    const auto missing = junction_cli({"--plugin-dir", case_dir("good"), "plugins", "describe", "nope"});
    CHECK(missing.exit_code == 1);
    CHECK(contains(missing.err, "no plugin named 'nope'"));
    CHECK(contains(missing.err, "test_good"));
    const auto refused = junction_cli({"--plugin-dir", case_dir("abi_mismatch"), "plugins", "describe", "test_abi_future"});
    CHECK(refused.exit_code == 1);
    CHECK(contains(refused.err, "built for SDK ABI 99.1"));
}

TEST_CASE("--version prints the version, SDK ABI and build") {
    const auto r = junction_cli({"--version"});
    CHECK(r.exit_code == 0);
    CHECK(r.out.starts_with("junction "));
    CHECK(contains(r.out, "ABI " + std::to_string(JUNCTION_SDK_ABI_MAJOR)));
}

TEST_CASE("--help lists the commands, the global options and the exit codes") {
    const auto r = junction_cli({"--help"});
    CHECK(r.exit_code == 0);
    for (const char* part :
         {"run <config>", "validate", "check", "runs", "dead-letters", "plugins list", "plugins describe",
          "--plugin-dir", "--log-level", "--log-format", "--version", "Exit codes", "JUNCTION_PLUGIN_PATH"})
        CHECK_MESSAGE(contains(r.out, part), part);
    CHECK(contains(r.out, "  3  the config file is unreadable or invalid"));
}

TEST_CASE("a bad command line is one line pointing at --help, with exit 2") {
    for (const auto& args : std::vector<std::vector<std::string>>{{"--bogus", "plugins", "list"},
                                                                  {"frobnicate"},
                                                                  {},
                                                                  {"--log-level", "loud", "plugins", "list"},
                                                                  {"--log-format", "xml", "plugins", "list"},
                                                                  {"plugins", "list", "--bogus"},
                                                                  {"plugins", "explode"},
                                                                  {"plugins", "describe"},
                                                                  {"--plugin-dir"}}) {
        const auto r = junction_cli(args);
        std::string shown;
        for (const auto& a : args)
            shown += a + " ";
        CHECK_MESSAGE(r.exit_code == 2, shown);
        CHECK_MESSAGE(r.err_lines().size() == 1, shown, r.err);
        CHECK_MESSAGE(contains(r.err, "--help"), shown);
    }
}
