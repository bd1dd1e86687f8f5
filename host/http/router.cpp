#include "router.hpp"

#include <junction/sdk/json_text.hpp>

#include <algorithm>

#include <boost/json/serialize.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

namespace junction::http {
namespace json = boost::json;

const char* to_string(Method m) noexcept {
    switch (m) {
        case Method::get:
            return "GET";
        case Method::head:
            return "HEAD";
        case Method::post:
            return "POST";
        case Method::put:
            return "PUT";
        case Method::patch:
            return "PATCH";
        case Method::del:
            return "DELETE";
        case Method::options:
            return "OPTIONS";
        case Method::other:
            return "OTHER";
    }
    return "OTHER";
}

std::optional<std::string_view> Request::header(std::string_view lower_name) const {
    for (const auto& [k, v] : headers)
        if (k == lower_name) return std::string_view(v);
    return std::nullopt;
}

std::optional<std::string_view> Request::query_value(std::string_view name) const {
    for (const auto& [k, v] : query)
        if (k == name) return std::string_view(v);
    return std::nullopt;
}

Response Response::json(unsigned status, const json::value& v) {
    Response r;
    r.status = status;
    r.body = sdk::to_json_text(v);  // 15.5, not Boost.JSON 1.81's 1.55E1
    r.body += '\n';
    return r;
}

json::object Response::error_body(std::string_view code, std::string_view message) {
    return {{"error", json::object{{"code", code}, {"message", message}}}};
}

Response Response::error(unsigned status, std::string_view code, std::string_view message) {
    return json(status, error_body(code, message));
}

namespace {

std::vector<std::string_view> segments(std::string_view path) {
    std::vector<std::string_view> out;
    std::size_t i = 0;
    while (i < path.size()) {
        if (path[i] == '/') {
            ++i;
            continue;
        }
        const auto j = path.find('/', i);
        out.push_back(path.substr(i, j == std::string_view::npos ? std::string_view::npos : j - i));
        if (j == std::string_view::npos) break;
        i = j;
    }
    return out;
}

bool match(std::string_view pattern, const Request& req, std::map<std::string, std::string>& params) {
    if (pattern == "/") return req.path == "/";
    const auto ps = segments(pattern);
    const auto& ss = req.segments;
    if (ps.size() != ss.size() || req.path.empty() || req.path.back() == '/') return false;
    std::map<std::string, std::string> got;
    for (std::size_t i = 0; i < ps.size(); ++i) {
        if (ps[i].size() > 2 && ps[i].front() == '{' && ps[i].back() == '}') {
            // An empty segment ("/dead-letters//7") names nothing: no route, 404.
            if (ss[i].empty()) return false;
            got[std::string(ps[i].substr(1, ps[i].size() - 2))] = std::string(ss[i]);
        } else if (ps[i] != ss[i])
            return false;
    }
    params = std::move(got);
    return true;
}

}  // namespace

void Router::add(Route r) {
    routes_.push_back(std::move(r));
}

std::optional<std::string_view> presented_key(const Request& req) {
    if (auto k = req.header("x-api-key"); k && !k->empty()) return k;
    if (auto a = req.header("authorization")) {
        constexpr std::string_view bearer = "Bearer ";
        if (a->size() > bearer.size() &&
            std::equal(bearer.begin(), bearer.end(), a->begin(),
                       [](char x, char y) { return std::tolower(x) == std::tolower(y); }))
            return a->substr(bearer.size());
    }
    return std::nullopt;
}

Response Router::dispatch(Request& req, const ApiKeyring& keys, const HttpConfig& config,
                          std::string& route_name) const {
    route_name = "unmatched";
    const Route* found = nullptr;
    std::vector<Method> allowed;
    std::map<std::string, std::string> params;
    for (const auto& r : routes_) {
        std::map<std::string, std::string> p;
        if (!match(r.pattern, req, p)) continue;
        const bool same = r.method == req.method || (req.method == Method::head && r.method == Method::get);
        if (same && found == nullptr) {
            found = &r;
            params = std::move(p);
        }
        allowed.push_back(r.method);
    }
    if (found == nullptr) {
        if (allowed.empty()) return Response::error(404, "not_found", "no such endpoint: " + req.path);
        std::string allow;
        for (auto m : allowed)
            allow += std::string(allow.empty() ? "" : ", ") + to_string(m);
        auto r = Response::error(405, "method_not_allowed",
                                 std::string(to_string(req.method)) + " is not allowed on " + req.path +
                                     "; allowed: " + allow);
        r.headers.emplace_back("Allow", allow);
        return r;
    }
    route_name = found->pattern;
    req.params = std::move(params);
    if (auto k = presented_key(req)) req.key = keys.find(*k);
    const bool open = found->scope == Scope::none || (!found->open_as.empty() && config.is_open(found->open_as));
    if (!open) {
        if (req.key == nullptr) {
            auto r = Response::error(401, "unauthorized",
                                     presented_key(req) ? "the API key is not valid"
                                                        : "an API key is required (X-API-Key or Authorization: Bearer)");
            r.headers.emplace_back("WWW-Authenticate", "Bearer");
            return r;
        }
        if (req.key->scope < found->scope)
            return Response::error(403, "forbidden",
                                   "the key \"" + req.key->id + "\" lacks the scope " + to_string(found->scope) +
                                       " (it has " + to_string(req.key->scope) + ")");
    }
    try {
        return found->handler(req);
    } catch (const std::exception& e) {
        return Response::error(500, "internal", std::string("the request failed: ") + e.what());
    }
}

bool parse_target(std::string_view target, Request& out) {
    auto u = boost::urls::parse_origin_form(target);
    if (!u) return false;
    try {
        out.path = std::string(u->encoded_path());
        if (out.path.empty()) out.path.assign(1, '/');
        out.segments.clear();
        for (auto s : u->segments())
            out.segments.push_back(s);
        out.query.clear();
        for (auto p : u->params())
            out.query.emplace_back(p.key, p.value);
    } catch (const std::exception&) {
        return false;
    }
    return true;
}

}  // namespace junction::http
