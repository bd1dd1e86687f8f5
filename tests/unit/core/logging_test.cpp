// The host's log lines, read back from stderr: their shape in text and JSON, level
// filtering, plugin tags, and that concurrent lines never mix.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <boost/json/parse.hpp>

#include <junction/core/logging.hpp>

namespace fs = std::filesystem;
using namespace junction;

namespace {

// Points file descriptor 2 at a temporary file for the life of the object.
class StderrCapture {
public:
    StderrCapture() : file_(fs::temp_directory_path() / ("junction-log-" + std::to_string(::getpid()))) {
        std::fflush(stderr);
        saved_ = ::dup(2);
        const int fd = ::open(file_.c_str(), O_CREAT | O_TRUNC | O_WRONLY, 0600);
        ::dup2(fd, 2);
        ::close(fd);
    }
    ~StderrCapture() { restore(); }
    std::vector<std::string> lines() {
        restore();
        std::ifstream in(file_);
        std::vector<std::string> out;
        for (std::string line; std::getline(in, line);)
            out.push_back(line);
        return out;
    }

private:
    void restore() {
        if (saved_ < 0) return;
        std::fflush(stderr);
        ::dup2(saved_, 2);
        ::close(saved_);
        saved_ = -1;
    }
    fs::path file_;
    int saved_ = -1;
};

}  // namespace

TEST_CASE("a text line is time in UTC with milliseconds, padded level, message, then key=value fields") {
    core::init_logging({core::LogFormat::text, sdk::LogLevel::info});
    StderrCapture cap;
    core::log_info("file set aside", {{"file", "a.json"}, {"reason", "bad date \"x\""}});
    const auto lines = cap.lines();
    REQUIRE(lines.size() == 1);
    const std::regex shape(
        R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z INFO  file set aside file=a\.json reason="bad date \\"x\\"")");
    CHECK_MESSAGE(std::regex_match(lines[0], shape), lines[0]);
}

TEST_CASE("a message with line breaks stays on one line") {
    core::init_logging({core::LogFormat::text, sdk::LogLevel::info});
    StderrCapture cap;
    core::log_error("first\nsecond", {{"k", "a\nb"}});
    const auto lines = cap.lines();
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].find("ERROR first\\nsecond k=\"a\\nb\"") != std::string::npos);
}

TEST_CASE("lines below the configured level are dropped") {
    core::init_logging({core::LogFormat::text, sdk::LogLevel::warning});
    StderrCapture cap;
    core::log_debug("debug");
    core::log_info("info");
    core::log_warn("warn");
    core::log_error("error");
    const auto lines = cap.lines();
    REQUIRE(lines.size() == 2);
    CHECK(lines[0].find("WARN  warn") != std::string::npos);
    CHECK(lines[1].find("ERROR error") != std::string::npos);
}

TEST_CASE("json format writes one object per line with ts, level, msg and the fields, escaped") {
    core::init_logging({core::LogFormat::json, sdk::LogLevel::debug});
    StderrCapture cap;
    core::log_debug("quote \" and\nnewline", {{"file", "c:\\x"}, {"msg", "must not replace the message"}});
    const auto lines = cap.lines();
    REQUIRE(lines.size() == 1);
    const auto v = boost::json::parse(lines[0]).as_object();
    CHECK(v.at("level") == "debug");
    CHECK(v.at("msg") == "quote \" and\nnewline");
    CHECK(v.at("file") == "c:\\x");
    const std::string ts(v.at("ts").as_string());
    CHECK(std::regex_match(ts, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)")));
}

TEST_CASE("a plugin's logger tags every line with pipeline, plugin and kind and honours the level") {
    core::init_logging({core::LogFormat::text, sdk::LogLevel::info});
    auto logger = core::make_plugin_logger("orders", "files", "reader");
    CHECK_FALSE(logger->enabled(sdk::LogLevel::debug));
    CHECK(logger->enabled(sdk::LogLevel::warning));
    StderrCapture cap;
    logger->debug("hidden");
    logger->warn("3 files set aside");
    const auto lines = cap.lines();
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].find("WARN  3 files set aside pipeline=orders plugin=files kind=reader") != std::string::npos);
}

TEST_CASE("log levels and formats parse from their command-line names") {
    sdk::LogLevel level{};
    CHECK(core::parse_log_level("trace", level));
    CHECK(level == sdk::LogLevel::trace);
    CHECK(core::parse_log_level("warning", level));
    CHECK(level == sdk::LogLevel::warning);
    CHECK_FALSE(core::parse_log_level("loud", level));
    core::LogFormat format{};
    CHECK(core::parse_log_format("json", format));
    CHECK(format == core::LogFormat::json);
    CHECK_FALSE(core::parse_log_format("xml", format));
}

TEST_CASE("lines from many threads come out whole, one per event") {
    core::init_logging({core::LogFormat::json, sdk::LogLevel::info});
    constexpr int threads = 8;
    constexpr int per_thread = 200;
    StderrCapture cap;
    {
        std::vector<std::jthread> pool;
        for (int t = 0; t < threads; ++t)
            pool.emplace_back([t] {
                auto logger = core::make_plugin_logger("p", "plugin" + std::to_string(t), "writer");
                for (int i = 0; i < per_thread; ++i)
                    if (i % 2 == 0)
                        logger->info(std::string(100, 'x'));
                    else
                        core::log_info("host line", {{"i", std::to_string(i)}});
            });
    }
    const auto lines = cap.lines();
    CHECK(lines.size() == threads * per_thread);
    int bad = 0;
    for (const auto& l : lines) {
        boost::system::error_code ec;
        const auto v = boost::json::parse(l, ec);
        if (ec || !v.is_object() || !v.as_object().contains("msg")) ++bad;
    }
    CHECK(bad == 0);
}
