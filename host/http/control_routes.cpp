// /api/v1: pipelines (state, schedule, last and next run, runs on demand), the run
// history, and dead letters (list, replay, resolve).
#include <charconv>

#include <boost/json.hpp>
#include <junction/sdk/json_text.hpp>

#include "api.hpp"

namespace junction::http {
namespace json = boost::json;
using core::RunRecord;

namespace {

json::value time_or_null(const std::optional<core::Clock::time_point>& t) {
    return t ? json::value(time_text(*t)) : json::value(nullptr);
}

json::object run_json(const RunRecord& r) {
    json::object o{{"id", r.id},
                   {"pipeline", r.pipeline},
                   {"outcome", r.outcome},
                   {"started", time_text(r.started)},
                   {"finished", time_or_null(r.finished)},
                   {"read", r.read},
                   {"written", r.written},
                   {"invalid", r.invalid},
                   {"failed", r.failed},
                   {"released", r.released},
                   {"error", r.error},
                   {"pid", r.pid},
                   {"host", r.host}};
    const auto end = r.finished ? *r.finished : r.last_seen.value_or(r.started);
    const double secs = std::chrono::duration<double>(end - r.started).count();
    // Milliseconds and whole records per second: no float formatting surprises in clients.
    o["duration_ms"] = static_cast<std::int64_t>(secs * 1000);
    o["records_per_second"] = secs > 0 ? static_cast<std::int64_t>(static_cast<double>(r.read) / secs) : 0;
    return o;
}

json::object schedule_json(const core::Schedule& s) {
    switch (s.mode) {
        case core::Schedule::Mode::interval:
            return {{"mode", "interval"}, {"every_ms", s.every.count()}};
        case core::Schedule::Mode::continuous:
            return {{"mode", "continuous"}, {"poll_ms", s.every.count()}};
        case core::Schedule::Mode::cron:
            return {{"mode", "cron"}, {"cron", s.cron ? s.cron->text() : ""}};
    }
    return {};
}

const core::ResolvedPipeline* find_pipeline(const ApiContext& api, std::string_view name) {
    for (const auto* p : api.pipelines)
        if (p->config->name == name) return p;
    return nullptr;
}

Response no_pipeline(std::string_view name) {
    return Response::error(404, "not_found", "no pipeline named \"" + std::string(name) + "\" runs in this process");
}

json::object pipeline_json(ApiContext& api, const core::ResolvedPipeline& p) {
    const auto& c = *p.config;
    json::array translators;
    for (const auto& t : c.translators)
        translators.push_back(json::string(t.plugin));
    json::object o{{"name", c.name},
                   {"description", c.description},
                   {"enabled", c.enabled},
                   {"reader", c.reader.plugin},
                   {"translators", translators},
                   {"writer", c.writer.plugin},
                   {"schedule", schedule_json(c.schedule)}};
    const auto st = api.supervisor.status(c.name);
    o["state"] = st ? st->state : "idle";
    o["next_run"] = st ? time_or_null(st->next_run) : json::value(nullptr);
    if (st && !st->placement.empty()) {  // in a cluster: where it runs, and who holds it
        o["placement"] = st->placement;
        o["owner"] = st->owner.empty() ? json::value(nullptr) : json::value(st->owner);
    }
    json::value current = nullptr, last = nullptr, last_success = nullptr;
    for (const auto& r : api.store.runs(c.name, 20)) {
        if (r.outcome == "running") {
            if (current.is_null()) current = run_json(r);
            continue;
        }
        if (last.is_null()) last = run_json(r);
        if (r.outcome == "ok" && last_success.is_null()) last_success = time_or_null(r.finished);
        if (!last.is_null() && !last_success.is_null()) break;
    }
    o["current_run"] = current;
    o["last_run"] = last;
    o["last_success"] = last_success;
    o["dead_letters"] = api.store.count_dead_letters(c.name);
    return o;
}

std::optional<std::size_t> limit_of(const Request& req, std::size_t def, std::size_t max, Response& bad) {
    const auto v = req.query_value("limit");
    if (!v) return def;
    std::size_t n = 0;
    const auto [ptr, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
    if (ec != std::errc{} || ptr != v->data() + v->size() || n == 0 || n > max) {
        bad = Response::error(400, "bad_request", "limit must be a whole number from 1 to " + std::to_string(max));
        return std::nullopt;
    }
    return n;
}

// {"ids": [1, 2]} in the body; `required`: an empty or absent list is an error.
std::optional<std::vector<std::int64_t>> ids_of(const Request& req, bool required, Response& bad) {
    std::vector<std::int64_t> ids;
    if (req.body.empty() && !required) return ids;
    boost::system::error_code ec;
    const auto v = json::parse(req.body, ec);
    const json::array* a = nullptr;
    if (!ec && v.is_object())
        if (const auto* i = v.get_object().if_contains("ids"); i != nullptr && i->is_array()) a = &i->get_array();
    if (a == nullptr && !(required == false && !ec && v.is_object() && !v.get_object().contains("ids"))) {
        bad = Response::error(400, "bad_request", "expected a JSON body {\"ids\": [dead-letter ids]}");
        return std::nullopt;
    }
    if (a != nullptr)
        for (const auto& e : *a) {
            if (!e.is_int64() && !e.is_uint64()) {
                bad = Response::error(400, "bad_request", "ids must be whole numbers");
                return std::nullopt;
            }
            ids.push_back(e.is_int64() ? e.get_int64() : static_cast<std::int64_t>(e.get_uint64()));
        }
    if (required && ids.empty()) {
        bad = Response::error(400, "bad_request", "give the dead letters to resolve: {\"ids\": [1, 2]}");
        return std::nullopt;
    }
    return ids;
}

Response held_response(const host::TriggerResult& t, std::string_view name) {
    using K = host::TriggerResult::Kind;
    switch (t.kind) {
        case K::unknown:
            return no_pipeline(name);
        case K::running: {
            auto v = Response::error_body("run_in_progress", "pipeline " + std::string(name) + " is running (run " +
                                                                 std::to_string(t.run_id) + "): not started again");
            v["run_id"] = t.run_id;
            auto out = Response::json(409, v);
            out.headers.emplace_back("Location", "/api/v1/runs/" + std::to_string(t.run_id));
            return out;
        }
        case K::held_elsewhere: {
            auto v = Response::error_body("run_in_progress", "pipeline " + std::string(name) + " is running in " + t.detail);
            v["run_id"] = t.run_id;
            return Response::json(409, v);
        }
        case K::unavailable:
            return Response::error(409, "not_scheduled", "pipeline " + std::string(name) + ": " + t.detail);
        case K::store_error:
            return Response::error(503, "store_unavailable", t.detail);
        case K::started:
            break;
    }
    return Response::error(500, "internal", "unexpected state");
}

}  // namespace

void add_control_routes(Router& router, ApiContext& api) {
    router.add(Method::get, "/api/v1/pipelines", Scope::read,
                "Every pipeline of this process: state, schedule, current, last and next run, open dead letters",
                [&api](Request&) {
                    Response r;
                    r.body = api.pipelines_cache->get([&api] {
                        json::array a;
                        for (const auto* p : api.pipelines)
                            a.push_back(pipeline_json(api, *p));
                        return json::serialize(json::object{{"pipelines", a}}) + "\n";
                    });
                    return r;
                });
    router.add(Method::get, "/api/v1/pipelines/{name}", Scope::read, "One pipeline", [&api](Request& req) {
                    const auto* p = find_pipeline(api, req.params["name"]);
                    return p ? Response::json(200, pipeline_json(api, *p)) : no_pipeline(req.params["name"]);
                });
    router.add(Method::post, "/api/v1/pipelines/{name}/runs", Scope::operate,
                "Runs the pipeline now: 202 with the run's id; 409 when a run is in progress (never doubled)",
                [&api](Request& req) {
                    const auto& name = req.params["name"];
                    const auto t = api.supervisor.trigger(name);
                    api.pipelines_cache->invalidate();  // the next list shows the run
                    if (t.kind != host::TriggerResult::Kind::started) return held_response(t, name);
                    auto r = Response::json(202, json::object{{"run_id", t.run_id},
                                                              {"pipeline", name},
                                                              {"location", "/api/v1/runs/" + std::to_string(t.run_id)}});
                    r.headers.emplace_back("Location", "/api/v1/runs/" + std::to_string(t.run_id));
                    return r;
                });
    router.add(Method::get, "/api/v1/runs", Scope::read,
                "The run history, newest first (?pipeline=NAME, ?limit=1..1000, default 50)", [&api](Request& req) {
                    Response bad;
                    const auto limit = limit_of(req, 50, 1000, bad);
                    if (!limit) return bad;
                    std::optional<std::string_view> pipeline;
                    if (auto p = req.query_value("pipeline")) pipeline = *p;
                    json::array a;
                    for (const auto& r : api.store.runs(pipeline, *limit))
                        a.push_back(run_json(r));
                    return Response::json(200, json::object{{"runs", a}});
                });
    router.add(Method::get, "/api/v1/runs/{id}", Scope::read, "One run", [&api](Request& req) {
                    const auto& text = req.params["id"];
                    std::int64_t id = 0;
                    const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), id);
                    if (ec != std::errc{} || ptr != text.data() + text.size())
                        return Response::error(400, "bad_request", "a run id is a whole number");
                    const auto r = api.store.run(id);
                    return r ? Response::json(200, run_json(*r))
                             : Response::error(404, "not_found", "no run " + text);
                });
    router.add(Method::get, "/api/v1/dead-letters/{pipeline}", Scope::read,
                "The pipeline's open dead letters, newest first, with their payloads (?all=true: also those done; "
                "?limit=1..1000, default 50)",
                [&api](Request& req) {
                    const auto& name = req.params["pipeline"];
                    if (api.config.find(name) == nullptr) return no_pipeline(name);
                    Response bad;
                    const auto limit = limit_of(req, 50, 1000, bad);
                    if (!limit) return bad;
                    const auto all = req.query_value("all");
                    json::array a;
                    for (const auto& d : api.store.dead_letters(name, all && *all == "true", *limit))
                        a.push_back(json::object{{"id", d.id},
                                                 {"stage", d.stage},
                                                 {"plugin", d.plugin},
                                                 {"reason", d.reason},
                                                 {"at", time_text(d.at)},
                                                 {"key", d.meta.key},
                                                 {"source", d.meta.source},
                                                 {"attempts", d.meta.attempts},
                                                 {"replayed", d.replayed},
                                                 {"attributes", d.meta.attributes},
                                                 {"payload", d.payload}});
                    return Response::json(200, json::object{{"pipeline", name},
                                                            {"open", api.store.count_dead_letters(name)},
                                                            {"dead_letters", a}});
                });
    router.add(Method::post, "/api/v1/dead-letters/{pipeline}/replay", Scope::operate,
                "Sends the open dead letters ({\"ids\": [...]} or all) through the translators and writer again, "
                "while the pipeline is not running; answers the replay's counts",
                [&api](Request& req) {
                    const auto& name = req.params["pipeline"];
                    const auto* p = find_pipeline(api, name);
                    if (p == nullptr) return no_pipeline(name);
                    Response bad;
                    const auto ids = ids_of(req, false, bad);
                    if (!ids) return bad;
                    core::RunSummary s;
                    const auto t = api.supervisor.with_pipeline_held(name, [&] {
                        s = core::replay_dead_letters(*p, api.store, api.run_options, *ids, api.stop);
                    });
                    if (t.kind != host::TriggerResult::Kind::started) return held_response(t, name);
                    json::object o{{"pipeline", name},
                                   {"replayed", s.read},
                                   {"written", s.written},
                                   {"rejected_again", s.invalid},
                                   {"failed", s.failed},
                                   {"outcome", core::to_string(s.outcome)},
                                   {"error", s.error}};
                    return Response::json(200, o);
                });
    router.add(Method::post, "/api/v1/dead-letters/{pipeline}/resolve", Scope::admin,
                "Marks dead letters ({\"ids\": [...]}) as dealt with, without replaying them", [&api](Request& req) {
                    const auto& name = req.params["pipeline"];
                    if (api.config.find(name) == nullptr) return no_pipeline(name);
                    Response bad;
                    const auto ids = ids_of(req, true, bad);
                    if (!ids) return bad;
                    const auto n = api.store.resolve_dead_letters(name, *ids);
                    return Response::json(200, json::object{{"pipeline", name}, {"resolved", n}});
                });
}

}  // namespace junction::http
