#include "request.hpp"

#include <algorithm>

#include <boost/json/serialize.hpp>
#include <junction/sdk/json_path.hpp>
#include <junction/sdk/json_text.hpp>

namespace junction::rest {

namespace json = boost::json;

namespace {

Template::Lookup lookup_of(const Scope& scope, const Paginator& paginator) {
    return [&scope, &paginator](const TemplateRef& r) -> std::optional<std::string> {
        if (r.scope == "vars" && scope.vars != nullptr) {
            const auto it = scope.vars->find(r.name);
            if (it != scope.vars->end()) return it->second;
        } else if (r.scope == "partition" && scope.partition != nullptr) {
            if (const auto* v = scope.partition->if_contains(r.name)) return value_text(*v);
        } else if (r.scope == "cursor" && r.name == "start") {
            return scope.cursor_start;
        } else if (r.scope == "page" && r.name == "token") {
            return paginator.token();
        }
        return std::nullopt;
    };
}

// The body with its templates expanded; a member (or element) whose whole value is one
// template without a value is left out.
std::optional<json::value> expand_body(const json::value& v, const Template::Lookup& lookup) {
    if (v.is_string()) {
        std::string problem;
        const auto t = Template::parse(v.get_string(), problem);
        if (!t || !t->has_refs()) return v;
        bool absent = false;
        auto text = t->expand(lookup, {}, absent);
        if (absent && t->is_single_ref()) return std::nullopt;
        return json::value(text);
    }
    if (v.is_object()) {
        json::object out;
        for (const auto& kv : v.get_object())
            if (auto e = expand_body(kv.value(), lookup)) out.emplace(kv.key(), std::move(*e));
        return out;
    }
    if (v.is_array()) {
        json::array out;
        for (const auto& e : v.get_array())
            if (auto x = expand_body(e, lookup)) out.push_back(std::move(*x));
        return out;
    }
    return v;
}

std::string query_text(const json::value& v) {
    return value_text(v).value_or("");
}

}  // namespace

sdk::HttpRequest build_request(const RestConfig& config, const RequestConfig& request, const PaginatorConfig& pconf,
                               const Paginator& paginator, const Scope& scope, std::string& problem) {
    problem.clear();
    sdk::HttpRequest out;
    out.method = request.method;
    out.connection = config.connection;
    out.timeout = config.timeout;
    out.max_attempts = config.max_attempts;
    out.extra["idempotent"] = true;  // a reader's requests are reads, a search POST too
    const auto lookup = lookup_of(scope, paginator);
    bool absent = false;

    for (const auto& [name, t] : request.headers) {
        auto value = t.expand(lookup, {}, absent);
        if (absent && t.is_single_ref()) continue;
        if (value.find_first_of("\r\n") != std::string::npos) {
            problem = "request.headers." + name + ": a template value holds a line break";
            return out;
        }
        out.headers.push_back({name, std::move(value)});
    }
    if (request.body) {
        auto body = expand_body(*request.body, lookup).value_or(json::object{});
        if (pconf.inject == Inject::body && body.is_object())
            for (auto& [name, value] : paginator.params())
                sdk::set_path(body.get_object(), name, std::move(value));
        out.body = sdk::to_json_text(body);
        const bool typed = std::any_of(out.headers.begin(), out.headers.end(), [](const sdk::HttpHeader& h) {
            std::string n = h.name;
            std::transform(n.begin(), n.end(), n.begin(), [](unsigned char c) { return std::tolower(c); });
            return n == "content-type";
        });
        if (!typed) out.headers.push_back({"Content-Type", "application/json"});
    }
    if (pconf.type == PaginatorType::link && paginator.next_url()) {
        out.url = *paginator.next_url();  // the server's own link, query and all
        return out;
    }

    const auto encode_path = [](std::string_view s) { return url_encode(s, true); };
    std::string url = config.base_url.expand(lookup, {}, absent);
    std::string path = request.path.expand(lookup, encode_path, absent);
    if (!url.empty() && url.back() == '/' && path.starts_with("/")) url.pop_back();
    if (!path.empty() && !path.starts_with("/") && !url.empty() && url.back() != '/') url += '/';
    url += path;

    std::vector<std::pair<std::string, std::string>> query;
    for (const auto& [name, t] : request.query) {
        auto value = t.expand(lookup, {}, absent);
        if (absent && t.is_single_ref()) continue;
        query.emplace_back(name, url_encode(value));
    }
    if (pconf.inject == Inject::query) {
        for (const auto& param : paginator.params()) {
            auto text = url_encode(query_text(param.second));
            const auto it =
                std::find_if(query.begin(), query.end(), [&](const auto& q) { return q.first == param.first; });
            if (it != query.end())
                it->second = std::move(text);
            else
                query.emplace_back(param.first, std::move(text));
        }
    }
    char sep = url.find('?') == std::string::npos ? '?' : '&';
    for (const auto& [name, value] : query) {
        url += sep;
        url += url_encode(name);
        url += '=';
        url += value;
        sep = '&';
    }
    out.url = std::move(url);
    return out;
}

std::string partition_name(const json::object& partition) {
    if (partition.size() == 1) {
        if (auto text = value_text(partition.begin()->value())) return *text;
        return "null";
    }
    std::vector<std::string> keys;
    for (const auto& kv : partition)
        keys.emplace_back(kv.key());
    std::sort(keys.begin(), keys.end());
    json::object sorted;
    for (const auto& k : keys)
        sorted.emplace(k, partition.at(k));
    return sdk::to_json_text(sorted);
}

}  // namespace junction::rest
