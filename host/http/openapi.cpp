// GET /api/v1/openapi.json: an OpenAPI 3.1 document made from the route table itself,
// so that no route can go undescribed.
#include <algorithm>
#include <cctype>

#include <boost/json.hpp>

#include "api.hpp"

namespace junction::http {
namespace json = boost::json;

namespace {

std::string lower(const char* s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

json::object error_schema() {
    return {{"type", "object"},
            {"required", json::array{"error"}},
            {"properties",
             json::object{{"error", json::object{{"type", "object"},
                                                 {"required", json::array{"code", "message"}},
                                                 {"properties", json::object{{"code", {{"type", "string"}}},
                                                                             {"message", {{"type", "string"}}}}}}}}}};
}

json::object operation(const Route& r, const HttpConfig& config) {
    json::object op{{"summary", r.summary}, {"operationId", lower(to_string(r.method)) + r.pattern}};
    json::array params;
    std::size_t i = 0;
    while ((i = r.pattern.find('{', i)) != std::string::npos) {
        const auto j = r.pattern.find('}', i);
        params.push_back(json::object{{"name", r.pattern.substr(i + 1, j - i - 1)},
                                      {"in", "path"},
                                      {"required", true},
                                      {"schema", {{"type", "string"}}}});
        i = j;
    }
    if (!params.empty()) op["parameters"] = params;
    const bool open = r.scope == Scope::none || (!r.open_as.empty() && config.is_open(r.open_as));
    json::object responses{{"200", json::object{{"description", "OK"}}}};
    responses["default"] = json::object{
        {"description", "An error"},
        {"content", json::object{{"application/json",
                                  json::object{{"schema", json::object{{"$ref", "#/components/schemas/Error"}}}}}}}};
    if (!open) {
        op["security"] = json::array{json::object{{"apiKey", json::array{}}}, json::object{{"bearer", json::array{}}}};
        op["x-junction-scope"] = to_string(r.scope);
        responses["401"] = {{"description", "No valid API key"}};
        responses["403"] = {{"description", std::string("The key lacks the scope ") + to_string(r.scope)}};
    } else {
        op["security"] = json::array{json::object{}};
    }
    op["responses"] = responses;
    return op;
}

}  // namespace

void add_openapi_route(Router& router, const ApiContext& api) {
    router.add(Method::get, "/api/v1/openapi.json", Scope::read, "This document (OpenAPI 3.1)",
                [&router, &api](Request&) {
                    json::object paths;
                    for (const auto& r : router.routes()) {
                        auto& item = paths[r.pattern];
                        if (!item.is_object()) item = json::object{};
                        item.as_object()[lower(to_string(r.method))] = operation(r, api.config_http);
                    }
                    json::object doc{
                        {"openapi", "3.1.0"},
                        {"info", {{"title", "Junction host API"}, {"version", api.version}}},
                        {"paths", paths},
                        {"components",
                         {{"schemas", {{"Error", error_schema()}}},
                          {"securitySchemes",
                           {{"apiKey", {{"type", "apiKey"}, {"in", "header"}, {"name", "X-API-Key"}}},
                            {"bearer", {{"type", "http"}, {"scheme", "bearer"}}}}}}}};
                    return Response::json(200, doc);
                });
}

}  // namespace junction::http
