// The fake Databox (tests/servers/databox-server.mjs) on 127.0.0.1 with a port the OS
// picks, and its control endpoints (failures on demand, down, the stored rows) called
// through the host's own HTTP client. Needs `node` and junction_services.
#pragma once

#include <stdexcept>
#include <string>

#include <boost/json.hpp>
#include <junction/sdk/testing.hpp>
#include <junction/services/http_service.hpp>

#include "node_server.hpp"

namespace junction::test {

namespace json = boost::json;

// The fake Databox, and its control endpoints for the tests.
class FakeDatabox {
public:
    static constexpr const char* api_key = "dbx-test-key-s3cret";  // the one key it accepts

    FakeDatabox() { server_.start(0); }

    [[nodiscard]] std::string url(const std::string& path = "") const {
        return "http://127.0.0.1:" + std::to_string(server_.port()) + path;
    }
    json::object control(const std::string& method, const std::string& path, const json::value& body = nullptr) {
        sdk::HttpRequest request{.method = method, .url = url(path), .max_attempts = 1};
        if (!body.is_null()) {
            request.headers.push_back({"Content-Type", "application/json"});
            request.body = json::serialize(body);
        }
        sdk::HttpResponse response;
        const auto status = client_.send(request, response);
        if (!status.is_ok()) throw std::runtime_error("fake Databox control " + path + ": " + status.message());
        return json::parse(response.body).as_object();
    }
    // The next `count` ingestions answer `status`; store_then_fail stores their rows first.
    void fail_next(int count, int status, const std::string& mode = "fail") {
        (void)control("POST", "/_control/fail", {{"count", count}, {"status", status}, {"mode", mode}});
    }
    void set_down(bool down) { (void)control("POST", "/_control/down", {{"down", down}}); }
    // Down (every connection reset) once `ingestions` more ingestions have been stored.
    void down_after(int ingestions) {
        (void)control("POST", "/_control/down", {{"down", true}, {"after", ingestions}});
    }
    json::array datasets() { return control("GET", "/_control/datasets").at("datasets").as_array(); }
    json::array requests() { return control("GET", "/_control/requests").at("requests").as_array(); }
    // The one dataset's rows (the test fails when there is not exactly one).
    json::object only_dataset() {
        auto all = datasets();
        if (all.size() != 1) throw std::runtime_error("expected 1 dataset, found " + std::to_string(all.size()));
        return all.front().as_object();
    }
    [[nodiscard]] std::string log_text() const { return server_.log_text(); }

private:
    NodeServer server_{"databox-server.mjs", "databox"};
    sdk::testing::ManualClock clock_;
    services::HttpService service_;
    services::HttpClientView client_{service_, {.clock = clock_}};
};

}  // namespace junction::test
