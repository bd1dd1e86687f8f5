// GET /health, /ready, /metrics and the status page.
#include <cstddef>

#include <boost/json.hpp>
#include <junction/core/time_text.hpp>

#include "api.hpp"

namespace junction::http {
extern const char status_page_html[];
extern const std::size_t status_page_html_size;

namespace json = boost::json;

std::string time_text(core::Clock::time_point t) {
    return core::format_utc_ms(t);
}

void add_operations_routes(Router& router, ApiContext& api) {
    router.add(Method::get, "/health", Scope::read, "Liveness: the process answers", [&api](Request&) {
                    const auto up = std::chrono::duration<double>(std::chrono::steady_clock::now() - api.started);
                    return Response::json(200, json::object{{"status", "ok"},
                                                            {"version", api.version},
                                                            {"uptime_seconds", static_cast<std::int64_t>(up.count())}});
                },
                "health");

    router.add(Method::get, "/ready", Scope::read,
                "Readiness: every pipeline started, its last run not failed, the state store and served stores "
                "reachable; 503 names what is not",
                [&api](Request&) {
                    json::array checks;
                    std::string first_problem;
                    auto add = [&](const std::string& name, const std::string& problem) {
                        checks.push_back(json::object{{"name", name},
                                                      {"ok", problem.empty()},
                                                      {"message", problem.empty() ? "ok" : problem}});
                        if (!problem.empty() && first_problem.empty()) first_problem = name + ": " + problem;
                    };
                    try {
                        (void)api.store.runs(std::nullopt, 1);
                        add("state store", "");
                    } catch (const std::exception& e) {
                        add("state store", std::string("cannot be read: ") + e.what());
                    }
                    for (const auto& s : api.supervisor.status()) {
                        std::string problem;
                        if (s.state == "stopped")
                            problem = "stopped after a fatal error" + (s.last ? ": " + s.last->error : "");
                        else if (s.state == "failed")
                            problem = "its last run failed" + (s.last ? ": " + s.last->error : "");
                        else if (s.state == "idle")
                            problem = "not running in this process";
                        add("pipeline " + s.name, problem);
                    }
                    for (const auto& c : api.readiness)
                        add(c.name, c.check());
                    if (first_problem.empty()) return Response::json(200, json::object{{"ready", true}, {"checks", checks}});
                    auto body = Response::error_body("not_ready", first_problem);
                    body["ready"] = false;
                    body["checks"] = checks;
                    return Response::json(503, body);
                },
                "ready");

    router.add(Method::get, "/metrics", Scope::read, "Prometheus text exposition (version 0.0.4)", [&api](Request&) {
                    Response r;
                    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
                    // Rendered at most ten times a second (ShortCache, api.hpp).
                    r.body = api.metrics_cache->get(
                        [&api] { return api.metrics ? core::metrics_exposition(*api.metrics) : std::string(); });
                    return r;
                },
                "metrics");

    router.add(Method::get, "/", Scope::read, "The status page (HTML; it asks for an API key to call the API)",
                [](Request&) {
                    Response r;
                    r.content_type = "text/html; charset=utf-8";
                    r.body.assign(status_page_html, status_page_html_size);
                    r.headers.emplace_back("Content-Security-Policy",
                                           "default-src 'self'; script-src 'unsafe-inline' 'self'; style-src "
                                           "'unsafe-inline' 'self'; img-src 'self' data:; frame-ancestors 'none'");
                    r.headers.emplace_back("Cache-Control", "no-cache");
                    return r;
                },
                "status_page");
}

}  // namespace junction::http
