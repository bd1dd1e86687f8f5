// What the databox tests share: the fake Databox on 127.0.0.1, and a Context whose HTTP
// client and credentials are the host's own (libcurl, the api_key connection), so every
// request crosses a real socket; state and push log outlive one writer, as across runs.
#pragma once

#include <atomic>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <junction/sdk/detail/option_check.hpp>
#include <junction/sdk/testing.hpp>
#include <junction/services/credential_store.hpp>
#include <junction/services/http_service.hpp>

#include "databox_config.hpp"
#include "databox_server.hpp"
#include "temp_dir.hpp"

namespace databox_test {

namespace json = boost::json;
using namespace junction;

using test::FakeDatabox;
inline constexpr const char* api_key = test::FakeDatabox::api_key;

// What outlives one writer: the component's state and the push log (the host keeps both).
struct Durable {
    sdk::testing::MemoryKeyValueStore state;
    sdk::testing::RecordingPushLog pushes;
    sdk::testing::RecordingLogger log;  // every line of every run
};

class LiveContext final : public sdk::Context {
public:
    LiveContext(Durable& durable, const json::object& options, const std::string& base_dir = ".",
                std::string key = api_key)
        : durable_(durable),
          credentials_({{.name = "databox",
                         .settings = services::ApiKeyConnection{.key = std::move(key), .header = "x-api-key"}}},
                       service_, clock_),
          client_(service_,
                  {.clock = clock_,
                   .credentials = &credentials_,
                   .stop = [this] { return stop_.load(); },
                   .log = [this](sdk::LogLevel level, std::string_view line) { durable_.log.write(level, line); }}) {
        std::vector<sdk::detail::OptionError> errors;
        options_ = sdk::detail::validate_options(databox::writer_schema(), options, "options", base_dir, errors);
        if (!errors.empty())
            throw std::invalid_argument("invalid options:\n" + sdk::detail::format_option_errors(errors));
    }

    [[nodiscard]] const sdk::Options& options() const noexcept override { return options_; }
    [[nodiscard]] sdk::Logger& log() noexcept override { return durable_.log; }
    [[nodiscard]] sdk::KeyValueStore& state() noexcept override { return durable_.state; }
    [[nodiscard]] bool stop_requested() const noexcept override { return stop_.load(); }
    [[nodiscard]] std::string_view pipeline() const noexcept override { return "test"; }
    [[nodiscard]] std::string_view base_dir() const noexcept override { return "."; }
    [[nodiscard]] const sdk::Positions& committed() const noexcept override { return committed_; }
    void drop_position(std::string_view) override {}
    [[nodiscard]] sdk::HttpClient& http() noexcept override { return client_; }
    [[nodiscard]] sdk::Credentials& credentials() noexcept override { return credentials_; }
    [[nodiscard]] sdk::Metrics& metrics() noexcept override { return metrics_; }
    [[nodiscard]] sdk::Clock& clock() noexcept override { return clock_; }
    [[nodiscard]] sdk::PushLog& pushes() noexcept override { return durable_.pushes; }

    [[nodiscard]] const sdk::testing::ManualClock& manual_clock() const noexcept { return clock_; }

private:
    Durable& durable_;
    sdk::Options options_;
    sdk::Positions committed_;
    std::atomic<bool> stop_{false};
    sdk::testing::ManualClock clock_{&stop_};  // backoff sleeps cost no real time
    sdk::testing::RecordingMetrics metrics_;
    services::HttpService service_;
    services::CredentialStore credentials_;
    services::HttpClientView client_;
};

inline void write_file(const std::filesystem::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary);
    out << text;
}

// A schema file of the GitHub issues dataset (what the example's v1 holds, in short).
inline std::string issues_schema(int version = 1, const std::string& extra_fields = "") {
    return R"({"dataset": "github_issues", "version": )" + std::to_string(version) + R"(, "primary_key": ["id"],
      "fields": [
        {"name": "id", "type": "integer", "source": "$.id"},
        {"name": "title", "type": "string", "source": "$.title"},
        {"name": "author", "type": "string", "source": "$.user.login"},
        {"name": "updated_at", "type": "datetime", "source": "$.updated_at"},
        {"name": "closed_at", "type": "datetime", "nullable": true, "source": "$.closed_at"})" +
           extra_fields + "]}";
}

// A GitHub-like issue.
inline sdk::Record issue(std::int64_t id, const std::string& title = "", const std::string& author = "ann") {
    sdk::Record r;
    r.payload = {{"id", id},
                 {"title", title.empty() ? "issue " + std::to_string(id) : title},
                 {"user", {{"login", author}, {"id", 99}}},
                 {"updated_at", "2024-03-01T12:00:00+01:00"},
                 {"closed_at", nullptr},
                 {"body", "long text that is not sent"}};
    r.meta.key = std::to_string(id);
    return r;
}

inline std::vector<sdk::Record> issues(std::int64_t from, std::int64_t to) {
    std::vector<sdk::Record> out;
    for (auto i = from; i <= to; ++i)
        out.push_back(issue(i));
    return out;
}

}  // namespace databox_test
