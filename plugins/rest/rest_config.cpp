#include "rest_config.hpp"

#include <algorithm>
#include <set>

#include <boost/json/array.hpp>
#include <junction/sdk/json_path.hpp>
#include <junction/sdk/json_text.hpp>
#include <junction/sdk/json_types.hpp>

#include "presets.hpp"

namespace junction::rest {
namespace {

namespace json = boost::json;
using sdk::OptionSpec;
using sdk::OptionType;

OptionSpec request_spec(std::string name, bool required) {
    return {.name = std::move(name),
            .type = OptionType::object,
            .required = required,
            .description =
                "the HTTP request; strings may use ${vars.X}, ${partition.X}, ${cursor.start}, "
                "${page.token}",
            .fields = {
                {.name = "method",
                 .type = OptionType::string,
                 .default_value = "GET",
                 .allowed = {"GET", "POST"},
                 .description = "GET, or POST for search endpoints that take the query in a JSON body (sent as "
                                "an idempotent read)"},
                {.name = "path",
                 .type = OptionType::string,
                 .default_value = "",
                 .description = "appended to base_url, e.g. /repos/${partition.repo}/issues; template values are "
                                "URL-encoded (a '/' kept)"},
                {.name = "query",
                 .type = OptionType::map,
                 .default_value = json::object{},
                 .description = "query parameters; one whose whole value is a template with no value (no "
                                "${cursor.start} on a first run) is left out",
                 .items = {{.type = OptionType::string}}},
                {.name = "headers",
                 .type = OptionType::map,
                 .default_value = json::object{},
                 .description = "request headers (credentials come from `connection`, never from here)",
                 .items = {{.type = OptionType::string}}},
                {.name = "body",
                 .type = OptionType::any,
                 .description = "a JSON body (POST); its strings may hold templates, a member whose whole value "
                                "is a template with no value is left out"},
            }};
}

OptionSpec records_spec() {
    return {
        .name = "records",
        .type = OptionType::object,
        .default_value = json::object{},
        .description = "where the records are in a response body, and which to keep",
        .fields = {
            {.name = "path",
             .type = OptionType::string,
             .default_value = "$",
             .description = "JSON path to the array of records: $ for a top-level array, $.results"},
            {.name = "filter",
             .type = OptionType::array,
             .default_value = json::array{},
             .description = "conditions a record must all meet to be kept, e.g. [{\"path\": "
                            "\"$.pull_request\", \"exists\": false}]",
             .items =
                 {{.type = OptionType::object,
                   .fields =
                       {
                           {.name = "path",
                            .type = OptionType::string,
                            .required = true,
                            .description = "JSON path into the record"},
                           {.name = "exists",
                            .type = OptionType::boolean,
                            .description = "true: the field is present and not null; false: it is not"},
                           {.name = "equals", .type = OptionType::any, .description = "the field equals this"},
                           {.name = "not_equals",
                            .type = OptionType::any,
                            .description = "the field is absent or differs from this"},
                           {.name = "in", .type = OptionType::array, .description = "the field equals one of these"},
                       }}}},
        }};
}

OptionSpec paginator_spec() {
    return {.name = "paginator",
            .type = OptionType::object,
            .default_value = json::object{{"type", "none"}},
            .description = "how pages are followed and when they end",
            .fields = {
                {.name = "type",
                 .type = OptionType::string,
                 .required = true,
                 .allowed = {"link", "cursor", "offset", "page", "none"},
                 .description = "link: Link rel=\"next\"; cursor: a token from the body; offset: limit/offset; "
                                "page: page numbers; none: one request"},
                {.name = "cursor_path",
                 .type = OptionType::string,
                 .description = "cursor: JSON path to the next page's token, e.g. $.paging.next.after; the end "
                                "when absent, null or empty"},
                {.name = "param",
                 .type = OptionType::string,
                 .description = "cursor: the parameter (query) or field (body, a dotted path) the token is sent as"},
                {.name = "inject",
                 .type = OptionType::string,
                 .default_value = "query",
                 .allowed = {"query", "body", "none"},
                 .description = "where the token, offset or page goes: query parameters, the JSON body, or only "
                                "where ${page.token} says"},
                {.name = "limit",
                 .type = OptionType::integer,
                 .default_value = 100,
                 .min = 1,
                 .max = 100000,
                 .description = "offset: the page size asked for; a shorter page is the last"},
                {.name = "limit_param",
                 .type = OptionType::string,
                 .default_value = "limit",
                 .min = 1,
                 .description = "offset: the parameter the limit is sent as"},
                {.name = "offset_param",
                 .type = OptionType::string,
                 .default_value = "offset",
                 .min = 1,
                 .description = "offset: the parameter the offset is sent as"},
                {.name = "total_path",
                 .type = OptionType::string,
                 .description = "offset, page: JSON path to the total number of records, e.g. $.total"},
                {.name = "page_size",
                 .type = OptionType::integer,
                 .min = 1,
                 .max = 100000,
                 .description = "page: records per page; a shorter page is the last"},
                {.name = "page_param",
                 .type = OptionType::string,
                 .default_value = "page",
                 .min = 1,
                 .description = "page: the parameter the page number is sent as"},
                {.name = "size_param",
                 .type = OptionType::string,
                 .description = "page: the parameter page_size is sent as (e.g. per_page)"},
                {.name = "start",
                 .type = OptionType::integer,
                 .default_value = 1,
                 .min = 0,
                 .max = 1000000000,
                 .description = "page: the first page's number"},
            }};
}

}  // namespace

sdk::OptionSchema reader_options() {
    auto parent_request = request_spec("request", true);
    auto bundled = presets();
    std::vector<std::string> preset_names;
    for (const auto& kv : bundled)
        preset_names.emplace_back(kv.key());
    return {
        {.name = "preset",
         .type = OptionType::string,
         .allowed = std::move(preset_names),
         .description = "a bundled description of a known API endpoint (below); your options are merged over "
                        "its: objects key by key, any other value replaces, null removes, an object of another "
                        "`type` replaces",
         .extra = {{"presets", std::move(bundled)}}},
        {.name = "connection",
         .type = OptionType::connection,
         .description = "a `connections` entry whose credentials every request carries (api_key, bearer, basic, "
                        "oauth2); absent: no authentication"},
        {.name = "base_url",
         .type = OptionType::string,
         .required = true,
         .pattern = "https?://[^/?#\\s]+(/[^?#\\s]*)?",
         .description = "scheme and host (and a path prefix) of the API, e.g. https://api.github.com"},
        {.name = "vars",
         .type = OptionType::map,
         .default_value = json::object{},
         .description = "values for the templates: ${vars.NAME}",
         .items = {{.type = OptionType::string}}},
        request_spec("request", true),
        records_spec(),
        {.name = "key",
         .type = OptionType::string,
         .description = "JSON path to the record's key (meta.key), e.g. $.id"},
        paginator_spec(),
        {.name = "partitions",
         .type = OptionType::object,
         .description = "one stream per value (values) or per record of a parent request (parent); "
                        "${partition.X} in the request",
         .fields =
             {
                 {.name = "values",
                  .type = OptionType::array,
                  .min = 1,
                  .description = "strings (${partition.value}) or objects (${partition.FIELD})"},
                 {.name = "parent",
                  .type = OptionType::object,
                  .description = "a request whose records each make a partition",
                  .fields = {parent_request,
                             records_spec(),
                             paginator_spec(),
                             {.name = "fields",
                              .type = OptionType::map,
                              .required = true,
                              .min = 1,
                              .description = "partition field <- JSON path in the parent record, e.g. {\"repo\": "
                                             "\"$.full_name\"}",
                              .items = {{.type = OptionType::string}}}}},
                 {.name = "skip_statuses",
                  .type = OptionType::array,
                  .default_value = json::array{404, 410},
                  .description = "HTTP statuses that skip one partition (a deleted repository) with one line instead "
                                 "of failing the run",
                  .items = {{.type = OptionType::integer, .min = 400, .max = 499}}},
             }},
        {.name = "incremental",
         .type = OptionType::object,
         .description = "incremental sync: the highest cursor value is committed per partition after the write "
                        "and sent back as ${cursor.start}",
         .fields =
             {
                 {.name = "cursor_field",
                  .type = OptionType::string,
                  .required = true,
                  .description = "JSON path to the record's cursor, e.g. $.updated_at"},
                 {.name = "type",
                  .type = OptionType::string,
                  .default_value = "datetime",
                  .allowed = {"datetime", "integer", "string"},
                  .description = "datetime: ISO 8601 or epoch numbers, compared as instants; integer; string: "
                                 "compared as text"},
                 {.name = "start",
                  .type = OptionType::string,
                  .description = "${cursor.start} of a partition's first run, e.g. 2024-01-01T00:00:00Z; absent: "
                                 "parameters that are only ${cursor.start} are left out"},
                 {.name = "lookback",
                  .type = OptionType::integer,
                  .default_value = 0,
                  .min = 0,
                  .description = "subtracted from the committed maximum: seconds (datetime) or units (integer), for "
                                 "late updates; not for strings"},
                 {.name = "format",
                  .type = OptionType::string,
                  .default_value = "iso8601",
                  .allowed = {"iso8601", "epoch_ms", "epoch_s"},
                  .description = "datetime: how ${cursor.start} is written, and numbers in records are read"},
                 {.name = "sorted",
                  .type = OptionType::boolean,
                  .default_value = false,
                  .description = "the API returns records in cursor order: every record then checkpoints the running "
                                 "maximum; otherwise the maximum is committed with a partition's last record only"},
             }},
        {.name = "max_pages",
         .type = OptionType::integer,
         .default_value = 0,
         .min = 0,
         .description = "pages read per stream at most (0: no limit); a stream cut short does not move an unsorted "
                        "cursor"},
        {.name = "timeout_ms",
         .type = OptionType::integer,
         .default_value = 30000,
         .min = 100,
         .max = 600000,
         .description = "one HTTP exchange's timeout"},
        {.name = "max_attempts",
         .type = OptionType::integer,
         .default_value = 3,
         .min = 1,
         .max = 10,
         .description = "attempts of one request at a transient failure (429, 5xx) within one read; then the "
                        "engine's retry takes over"},
    };
}

namespace {

// Where a template may look, for one place of the config.
struct Names {
    const std::map<std::string, std::string, std::less<>>* vars = nullptr;
    std::optional<std::set<std::string>> partition;  // nothing: no partitions
    bool cursor = false;
    bool page = true;
};

std::string check_refs(const Template& t, const Names& names) {
    for (const auto& r : t.refs()) {
        const std::string ref = "${" + r.scope + "." + r.name + "}";
        if (r.scope == "vars") {
            if (names.vars == nullptr || !names.vars->contains(r.name)) {
                std::string known;
                if (names.vars != nullptr)
                    for (const auto& [k, v] : *names.vars)
                        known += (known.empty() ? "" : ", ") + k;
                return "unknown template " + ref + ": vars has " + (known.empty() ? "no entries" : "only " + known);
            }
        } else if (r.scope == "partition") {
            if (!names.partition) return "unknown template " + ref + ": no partitions are configured here";
            if (!names.partition->contains(r.name)) {
                std::string known;
                for (const auto& k : *names.partition)
                    known += (known.empty() ? "" : ", ") + k;
                if (known.empty()) return "unknown template " + ref + ": the partitions have no field in common";
                return "unknown template " + ref + ": every partition has only " + known;
            }
        } else if (r.scope == "cursor") {
            if (r.name != "start") return "unknown template " + ref + ": the cursor has only ${cursor.start}";
            if (!names.cursor) return "unknown template " + ref + ": no incremental cursor is configured here";
        } else if (r.scope == "page") {
            if (r.name != "token") return "unknown template " + ref + ": the page has only ${page.token}";
            if (!names.page) return "unknown template " + ref + ": no paginator here";
        } else {
            return "unknown template " + ref + ": templates are ${vars.X}, ${partition.X}, ${cursor.start}, " +
                   "${page.token}";
        }
    }
    return {};
}

std::string templ(const std::string& where, std::string_view text, const Names& names, Template& out) {
    std::string problem;
    auto t = Template::parse(text, problem);
    if (!t) return where + ": " + problem;
    if (auto p = check_refs(*t, names); !p.empty()) return where + ": " + p;
    out = std::move(*t);
    return {};
}

std::string body_problem(const json::value& v, const std::string& where, const Names& names) {
    if (v.is_string()) {
        Template t;
        return templ(where, v.get_string(), names, t);
    }
    if (v.is_object()) {
        for (const auto& kv : v.get_object())
            if (auto p = body_problem(kv.value(), where + "." + std::string(kv.key()), names); !p.empty()) return p;
    } else if (v.is_array()) {
        const auto& a = v.get_array();
        for (std::size_t i = 0; i < a.size(); ++i)
            if (auto p = body_problem(a[i], where + "[" + std::to_string(i) + "]", names); !p.empty()) return p;
    }
    return {};
}

std::string path_of(const std::string& where, std::string_view text, JsonPath& out) {
    std::string problem;
    auto p = JsonPath::parse(text, problem);
    if (!p) return where + ": " + problem;
    out = std::move(*p);
    return {};
}

std::string make_request(const sdk::Options& o, const std::string& where, const Names& names, RequestConfig& out) {
    out.method = o.get_string("method", "GET");
    if (auto p = templ(where + ".path", o.get_string("path"), names, out.path); !p.empty()) return p;
    for (const auto& [k, v] : o.get_object("query")) {
        Template t;
        if (auto p = templ(where + ".query." + std::string(k), v.is_string() ? std::string_view(v.get_string()) : "",
                           names, t);
            !p.empty())
            return p;
        out.query.emplace_back(std::string(k), std::move(t));
    }
    for (const auto& [k, v] : o.get_object("headers")) {
        Template t;
        if (auto p = templ(where + ".headers." + std::string(k), v.is_string() ? std::string_view(v.get_string()) : "",
                           names, t);
            !p.empty())
            return p;
        if (std::string(k).find_first_of(":\r\n ") != std::string::npos || k.empty())
            return where + ".headers." + std::string(k) + ": not a header name";
        out.headers.emplace_back(std::string(k), std::move(t));
    }
    if (o.has("body")) {
        const auto& body = o.get("body");
        if (auto p = body_problem(body, where + ".body", names); !p.empty()) return p;
        out.body = body;
    }
    if (out.body && out.method == "GET") return where + ".body: a body needs method POST";
    return {};
}

std::string make_records(const sdk::Options& o, const std::string& where, RecordsConfig& out) {
    if (auto p = path_of(where + ".path", o.get_string("path", "$"), out.path); !p.empty()) return p;
    const auto conditions = o.children("filter");
    for (std::size_t i = 0; i < conditions.size(); ++i) {
        const auto& c = conditions[i];
        const std::string at = where + ".filter[" + std::to_string(i) + "]";
        Condition cond;
        if (auto p = path_of(at + ".path", c.get_string("path"), cond.path); !p.empty()) return p;
        int ops = 0;
        if (c.has("exists")) {
            ++ops;
            cond.op = c.get_bool("exists") ? Condition::Op::exists : Condition::Op::absent;
        }
        if (c.values().contains("equals")) {
            ++ops;
            cond.op = Condition::Op::equals;
            cond.value = c.get("equals");
        }
        if (c.values().contains("not_equals")) {
            ++ops;
            cond.op = Condition::Op::not_equals;
            cond.value = c.get("not_equals");
        }
        if (c.has("in")) {
            ++ops;
            cond.op = Condition::Op::in;
            cond.value = c.get("in");
        }
        if (ops != 1) return at + ": give exactly one of exists, equals, not_equals, in";
        out.filter.push_back(std::move(cond));
    }
    return {};
}

std::string make_paginator(const sdk::Options& o, const std::string& where, PaginatorConfig& out) {
    const auto type = o.get_string("type", "none");
    out.type = type == "link"     ? PaginatorType::link
               : type == "cursor" ? PaginatorType::cursor
               : type == "offset" ? PaginatorType::offset
               : type == "page"   ? PaginatorType::page
                                  : PaginatorType::none;
    const auto inject = o.get_string("inject", "query");
    out.inject = inject == "body" ? Inject::body : inject == "none" ? Inject::none : Inject::query;
    out.limit = o.get_int("limit", 100);
    out.limit_param = o.get_string("limit_param", "limit");
    out.offset_param = o.get_string("offset_param", "offset");
    out.page_size = o.get_int("page_size", 0);
    out.page_param = o.get_string("page_param", "page");
    out.size_param = o.get_string("size_param");
    out.start = o.get_int("start", 1);
    if (o.has("total_path")) {
        JsonPath p;
        if (auto problem = path_of(where + ".total_path", o.get_string("total_path"), p); !problem.empty())
            return problem;
        out.total_path = std::move(p);
    }
    // Keys of another type are refused: a cursor_path on a link paginator is a mistake.
    const auto only = [&](const char* key, std::initializer_list<PaginatorType> types) -> std::string {
        if (!o.has(key)) return {};
        if (std::find(types.begin(), types.end(), out.type) != types.end()) return {};
        return where + "." + key + ": not used by a paginator of type " + type;
    };
    for (const auto& p : {only("cursor_path", {PaginatorType::cursor}), only("param", {PaginatorType::cursor}),
                          only("total_path", {PaginatorType::offset, PaginatorType::page}),
                          only("page_size", {PaginatorType::page}), only("size_param", {PaginatorType::page})})
        if (!p.empty()) return p;
    if (out.type == PaginatorType::cursor) {
        if (!o.has("cursor_path"))
            return where + ".cursor_path: required for a cursor paginator, e.g. $.paging.next.after";
        if (auto p = path_of(where + ".cursor_path", o.get_string("cursor_path"), out.cursor_path); !p.empty())
            return p;
        out.param = o.get_string("param");
        if (out.param.empty() && out.inject != Inject::none)
            return where + ".param: required for a cursor paginator (the parameter the token is sent as)";
    }
    if (out.type == PaginatorType::page && o.has("size_param") && out.page_size == 0)
        return where + ".size_param: needs page_size";
    if (out.inject == Inject::body) {
        for (const auto& name : {out.param, out.limit_param, out.offset_param, out.page_param, out.size_param})
            if (!name.empty() && !sdk::is_valid_path(name))
                return where + ": \"" + name + "\" is not a field path of the body";
    }
    return {};
}

std::string make_incremental(const sdk::Options& o, IncrementalConfig& out) {
    if (auto p = path_of("incremental.cursor_field", o.get_string("cursor_field"), out.cursor_field); !p.empty())
        return p;
    const auto type = o.get_string("type", "datetime");
    out.type = type == "integer" ? CursorType::integer : type == "string" ? CursorType::string : CursorType::datetime;
    const auto format = o.get_string("format", "iso8601");
    out.format = format == "epoch_ms"  ? DateFormat::epoch_ms
                 : format == "epoch_s" ? DateFormat::epoch_s
                                       : DateFormat::iso8601;
    out.lookback = o.get_int("lookback", 0);
    out.sorted = o.get_bool("sorted", false);
    if (out.type == CursorType::string && out.lookback != 0)
        return "incremental.lookback: a string cursor has no lookback; leave it 0";
    if (o.has("start")) {
        out.start = o.get_string("start");
        if (!parse_cursor_text(*out.start, out)) {
            const std::string unit = out.format == DateFormat::epoch_s ? "seconds" : "milliseconds";
            return "incremental.start: \"" + *out.start + "\" is not " +
                   (out.type == CursorType::integer ? "an integer"
                                                    : "a date-time (ISO 8601 with an offset, or epoch " + unit + ")");
        }
    }
    return {};
}

}  // namespace

std::string make_config(const sdk::Options& o, RestConfig& out) {
    out = RestConfig{};
    out.connection = o.get_string("connection");
    for (const auto& [k, v] : o.get_object("vars"))
        if (v.is_string()) out.vars.emplace(std::string(k), std::string(v.get_string()));
    Names base{.vars = &out.vars, .partition = std::nullopt, .cursor = false, .page = false};
    if (auto p = templ("base_url", o.get_string("base_url"), base, out.base_url); !p.empty()) return p;

    out.max_pages = o.get_int("max_pages", 0);
    out.timeout = std::chrono::milliseconds(o.get_int("timeout_ms", 30000));
    out.max_attempts = static_cast<int>(o.get_int("max_attempts", 3));
    if (o.has("key")) {
        JsonPath key;
        if (auto p = path_of("key", o.get_string("key"), key); !p.empty()) return p;
        out.key = std::move(key);
    }
    if (o.has("incremental")) {
        IncrementalConfig inc;
        if (auto p = make_incremental(o.child("incremental"), inc); !p.empty()) return p;
        out.incremental = std::move(inc);
    }

    Names names{.vars = &out.vars, .partition = std::nullopt, .cursor = out.incremental.has_value(), .page = true};
    if (o.has("partitions")) {
        const auto parts = o.child("partitions");
        PartitionsConfig pc;
        for (const auto& s :
             parts.get("skip_statuses").is_array() ? parts.get("skip_statuses").get_array() : json::array{})
            if (s.is_int64()) pc.skip_statuses.push_back(static_cast<long>(s.get_int64()));
        const bool has_values = parts.has("values"), has_parent = parts.has("parent");
        if (has_values == has_parent) return "partitions: give either values or parent";
        std::set<std::string> fields;
        if (has_values) {
            const auto& values = parts.get("values").get_array();
            std::set<std::string> seen;
            for (std::size_t i = 0; i < values.size(); ++i) {
                const std::string at = "partitions.values[" + std::to_string(i) + "]";
                json::object item;
                if (values[i].is_string()) {
                    item["value"] = values[i];
                } else if (values[i].is_object() && !values[i].get_object().empty()) {
                    item = values[i].get_object();
                } else {
                    return at + ": expected a string or a non-empty object, got " + sdk::json_type_name(values[i]);
                }
                std::set<std::string> keys;
                for (const auto& kv : item)
                    keys.emplace(kv.key());
                if (i == 0) {
                    fields = keys;
                } else {
                    std::set<std::string> common;
                    std::set_intersection(fields.begin(), fields.end(), keys.begin(), keys.end(),
                                          std::inserter(common, common.begin()));
                    fields = std::move(common);
                }
                pc.values.push_back(std::move(item));
            }
        } else {
            const auto parent = parts.child("parent");
            ParentConfig pconf;
            Names parent_names{.vars = &out.vars, .partition = std::nullopt, .cursor = false, .page = true};
            if (auto p =
                    make_request(parent.child("request"), "partitions.parent.request", parent_names, pconf.request);
                !p.empty())
                return p;
            if (auto p = make_records(parent.child("records"), "partitions.parent.records", pconf.records); !p.empty())
                return p;
            if (auto p = make_paginator(parent.child("paginator"), "partitions.parent.paginator", pconf.paginator);
                !p.empty())
                return p;
            for (const auto& [k, v] : parent.get_object("fields")) {
                JsonPath path;
                if (auto p = path_of("partitions.parent.fields." + std::string(k),
                                     v.is_string() ? std::string_view(v.get_string()) : "", path);
                    !p.empty())
                    return p;
                pconf.fields.emplace_back(std::string(k), std::move(path));
                fields.emplace(k);
            }
            pc.parent = std::move(pconf);
        }
        names.partition = std::move(fields);
        out.partitions = std::move(pc);
    }
    if (auto p = make_request(o.child("request"), "request", names, out.request); !p.empty()) return p;
    if (auto p = make_records(o.child("records"), "records", out.records); !p.empty()) return p;
    if (auto p = make_paginator(o.child("paginator"), "paginator", out.paginator); !p.empty()) return p;
    if (out.paginator.inject == Inject::body && !out.request.body)
        return "paginator.inject: body needs a request.body (method POST)";
    if (out.partitions && out.partitions->parent && out.partitions->parent->paginator.inject == Inject::body &&
        !out.partitions->parent->request.body)
        return "partitions.parent.paginator.inject: body needs a request.body (method POST)";
    return {};
}

sdk::Status check_reader_config(const sdk::Options& options) {
    RestConfig config;
    auto problem = make_config(options, config);
    return problem.empty() ? sdk::Status::ok() : sdk::Status::fatal(std::move(problem));
}

}  // namespace junction::rest
