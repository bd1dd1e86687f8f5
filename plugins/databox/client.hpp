// Databox API v1 calls through the host's HTTP client: JSON in, JSON out, the x-api-key
// attached by the client from the named connection (this code never sees it).
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <junction/sdk/services.hpp>

namespace junction::databox {

struct ApiResult {
    sdk::Status status;        // the HTTP client's classification (ok, retry, reject, fatal)
    long http_status = 0;      // 0: no answer
    boost::json::object body;  // the answer's JSON object, empty when it was none
    std::string request_id;    // Databox's requestId, when the answer had one
    // One line without secrets: Databox's own error ("invalid_input: at most 100 records
    // per ingestion (field records)") when it sent one, else the client's message.
    std::string error;
};

class Client {
public:
    Client(sdk::HttpClient& http, std::string base_url, std::string connection, std::chrono::milliseconds timeout)
        : http_(http), base_url_(std::move(base_url)), connection_(std::move(connection)), timeout_(timeout) {}

    // `path` starts with "/v1/". `idempotent`: a POST the server may see twice without harm
    // (an ingestion keyed by primary key), so the client also resends it after a lost answer.
    ApiResult call(std::string_view method, std::string_view path, const boost::json::value* body = nullptr,
                   bool idempotent = false);

private:
    sdk::HttpClient& http_;
    std::string base_url_;
    std::string connection_;
    std::chrono::milliseconds timeout_;
};

// Databox's error envelope ({"status": "error", "errors": [{code, message, field}]}) as
// one line; empty when the body is not one.
std::string error_text(const boost::json::object& body);

}  // namespace junction::databox
