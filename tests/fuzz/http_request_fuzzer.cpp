// Fuzzes the host's HTTP server with raw request bytes, as a socket would deliver them:
// Beast's parser under http.limits (small here, so the fuzzer reaches them), the target
// parse (Boost.URL), routing with {param} segments, API keys and scopes. What it checks:
// every answer has a status from 200 to 599, and every answer of 400 or more is JSON of
// the one error shape {"error": {"code", "message"}} with a one-line message.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/json.hpp>

#include "http/server.hpp"

namespace {

using namespace junction::http;
namespace json = boost::json;

void check(bool ok) {
    if (!ok) __builtin_trap();
}

// A route's handler: the params it was given, which must all be present and non-empty.
Response echo(Request& req, std::initializer_list<const char*> names) {
    json::object params;
    for (const char* n : names) {
        const auto it = req.params.find(n);
        check(it != req.params.end() && !it->second.empty());
        params[n] = it->second;
    }
    return Response::json(200, json::object{{"params", std::move(params)}, {"body_bytes", req.body.size()}});
}

struct Fixture {
    HttpConfig config;
    Router router;
    ApiKeyring keys;

    Fixture() {
        config.limits.max_header_bytes = 2048;
        config.limits.max_body_bytes = 1024;
        keys.add("reader", "fuzz-read-key-0123456789", Scope::read);
        keys.add("ops", "fuzz-operate-key-0123456789", Scope::operate);
        router.add(
            Method::get, "/health", Scope::read, "health", [](Request& r) { return echo(r, {}); }, "health");
        router.add(Method::get, "/api/v1/pipelines", Scope::read, "list", [](Request& r) { return echo(r, {}); });
        router.add(Method::get, "/api/v1/pipelines/{name}", Scope::read, "one",
                   [](Request& r) { return echo(r, {"name"}); });
        router.add(Method::post, "/api/v1/pipelines/{name}/runs", Scope::operate, "run",
                   [](Request& r) { return echo(r, {"name"}); });
        router.add(Method::post, "/api/v1/dead-letters/{pipeline}/{id}/replay", Scope::operate, "replay",
                   [](Request& r) {
                       return echo(r, {"pipeline", "id"});
                   });
        router.add(Method::del, "/api/v1/dead-letters/{pipeline}/{id}", Scope::admin, "resolve", [](Request& r) {
            return echo(r, {"pipeline", "id"});
        });
        router.add(Method::get, "/contacts/{id}", Scope::read, "contact", [](Request& r) {
            if (r.params["id"] == "boom") throw std::runtime_error("a handler failed");
            return echo(r, {"id"});
        });
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const Fixture f;
    const std::string_view bytes(reinterpret_cast<const char*>(data), size);
    const Response r = handle_raw_request(bytes, f.config, f.router, f.keys);
    check(r.status >= 200 && r.status <= 599);
    if (r.status < 400) return 0;
    check(r.content_type == "application/json");
    boost::system::error_code ec;
    const auto v = json::parse(r.body, ec);
    check(!ec && v.is_object());
    const auto* e = v.as_object().if_contains("error");
    check(e != nullptr && e->is_object());
    const auto* code = e->as_object().if_contains("code");
    const auto* message = e->as_object().if_contains("message");
    check(code != nullptr && code->is_string() && !code->as_string().empty());
    check(message != nullptr && message->is_string() && !message->as_string().empty());
    return 0;
}
