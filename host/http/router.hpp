// Requests, responses and the route table of the host's HTTP server. Routes are
// patterns of path segments ("/api/v1/pipelines/{name}/runs") with the scope a key needs;
// every error answers {"error": {"code", "message"}}.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/value.hpp>

#include "api_keys.hpp"
#include "http_config.hpp"

namespace junction::http {

enum class Method : unsigned char { get, head, post, put, patch, del, options, other };
const char* to_string(Method m) noexcept;

struct Request {
    Method method = Method::get;
    std::string path;                                          // as sent (encoded), without the query
    std::vector<std::string> segments;                         // the path's segments, decoded
    std::vector<std::pair<std::string, std::string>> query;    // decoded, in order
    std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
    std::string body;
    std::map<std::string, std::string> params;  // {name} segments of the matched route
    const ApiKey* key = nullptr;                // the key presented, if any matched

    [[nodiscard]] std::optional<std::string_view> header(std::string_view lower_name) const;
    [[nodiscard]] std::optional<std::string_view> query_value(std::string_view name) const;
};

struct Response {
    unsigned status = 200;
    std::string body;
    std::string content_type = "application/json";
    std::vector<std::pair<std::string, std::string>> headers;
    bool close = false;  // close the connection after it

    static Response json(unsigned status, const boost::json::value& v);
    // {"error": {"code": code, "message": message}}
    static Response error(unsigned status, std::string_view code, std::string_view message);
    // That body as an object, for an error that carries more members.
    static boost::json::object error_body(std::string_view code, std::string_view message);
};

struct Route {
    Method method = Method::get;
    std::string pattern;  // "/api/v1/runs/{id}"
    Scope scope = Scope::read;
    std::string summary;  // for the OpenAPI document
    std::function<Response(Request&)> handler;
    std::string open_as;  // the `http.open` name that makes it keyless ("health"), if any
};

class Router {
public:
    void add(Route r);
    void add(Method method, std::string pattern, Scope scope, std::string summary,
             std::function<Response(Request&)> handler, std::string open_as = {}) {
        add(Route{method, std::move(pattern), scope, std::move(summary), std::move(handler), std::move(open_as)});
    }
    // Finds the route; answers 404, 405 (with Allow), 401 or 403 itself. `route_name`
    // gets the matched pattern (for metrics and logs; "unmatched" otherwise).
    Response dispatch(Request& req, const ApiKeyring& keys, const HttpConfig& config, std::string& route_name) const;
    [[nodiscard]] const std::vector<Route>& routes() const noexcept { return routes_; }

private:
    std::vector<Route> routes_;
};

// The key a request presents: X-API-Key, or Authorization: Bearer.
std::optional<std::string_view> presented_key(const Request& req);

// Splits "/a/b?x=1&y=%20" into the decoded path and query (Boost.URL). False when the
// target is not an origin-form URL.
bool parse_target(std::string_view target, Request& out);

}  // namespace junction::http
