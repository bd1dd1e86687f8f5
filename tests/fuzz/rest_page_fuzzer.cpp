// Fuzzes what the rest reader makes of one HTTP answer: the input's first line is a Link
// header, the rest the body. The pure parts (Link parsing, URL resolution, the record
// selector and filter, each paginator's next step, templates, cursors) run on it
// directly, then the reader itself reads it as the first page of an incremental stream
// (ScriptedHttpClient), for each paginator type, and must end or fail cleanly.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <boost/json/parse.hpp>
#include <junction/sdk/testing.hpp>

#include "cursor.hpp"
#include "link_header.hpp"
#include "paginator.hpp"
#include "reader.hpp"
#include "rest_config.hpp"
#include "selector.hpp"
#include "template.hpp"

namespace json = boost::json;
namespace rest = junction::rest;
namespace sdk = junction::sdk;

namespace {

rest::JsonPath path(std::string_view text) {
    std::string problem;
    return *rest::JsonPath::parse(text, problem);
}

void pure_parts(const std::string& link, const std::string& body) {
    const std::string base = "http://api.test/repos/a/b/issues?page=1";
    for (const auto& l : rest::parse_link_header(link)) {
        const auto url = rest::resolve_url(base, l.target);
        (void)rest::origin_of(url);
        (void)rest::without_query(url);
    }
    (void)rest::url_encode(link, true);
    std::string problem;
    if (auto t = rest::Template::parse(link, problem)) {
        bool absent = false;
        (void)t->expand([&](const rest::TemplateRef& r) -> std::optional<std::string> { return r.name; },
                        [](std::string_view s) { return rest::url_encode(s); }, absent);
    }
    (void)rest::JsonPath::parse(link, problem);

    boost::system::error_code ec;
    auto parsed = json::parse(body, ec);
    if (ec) return;
    rest::IncrementalConfig inc;
    inc.cursor_field = path("$.updated_at");
    for (const char* p : {"$", "$.results", "$.data.items"}) {
        auto copy = parsed;
        auto records = rest::take_records(copy, path(p), problem);
        if (!records) continue;
        for (const auto& r : *records) {
            (void)rest::meets(r, {{path("$.pull_request"), rest::Condition::Op::absent, {}},
                                  {path("$.state"), rest::Condition::Op::in, json::array{"open", 1}}});
            if (const auto* c = inc.cursor_field.find(r))
                if (auto v = rest::cursor_value(*c, inc)) {
                    (void)rest::position_text(*v, inc);
                    (void)rest::start_text(v, inc);
                }
        }
    }
    std::vector<rest::PaginatorConfig> configs(5);
    configs[0].type = rest::PaginatorType::link;
    configs[1].type = rest::PaginatorType::cursor;
    configs[1].cursor_path = path("$.paging.next.after");
    configs[1].param = "after";
    configs[2].type = rest::PaginatorType::offset;
    configs[2].limit = 2;
    configs[2].total_path = path("$.total");
    configs[3].type = rest::PaginatorType::page;
    configs[3].page_size = 2;
    configs[3].total_path = path("$.total");
    for (const auto& pc : configs) {
        rest::Paginator p(pc);
        std::string warning;
        for (int i = 0; i < 3; ++i) {
            const rest::PageInfo page{.link_header = &link, .body = &parsed, .records = 2, .url = base};
            if (!p.advance(page, warning)) break;
            (void)p.params();
            (void)p.token();
        }
    }
}

// The reader's options for each paginator, validated once (std::regex under ASan is slow).
const std::vector<json::object>& reader_options() {
    static const std::vector<json::object> all = [] {
        std::vector<json::object> out;
        for (const char* paginator :
             {R"({"type": "link"})", R"({"type": "cursor", "cursor_path": "$.paging.next.after", "param": "after"})",
              R"({"type": "offset", "limit": 2, "total_path": "$.total"})", R"({"type": "page", "page_size": 2})"}) {
            auto options =
                json::parse(R"({"base_url": "http://api.test", "request": {"path": "/repos/${partition.value}/i",
                "query": {"since": "${cursor.start}"}}, "records": {"path": "$.results",
                "filter": [{"path": "$.pull_request", "exists": false}]}, "key": "$.id",
                "partitions": {"values": ["a/b"]}, "incremental": {"cursor_field": "$.updated_at", "lookback": 60}})")
                    .as_object();
            options["paginator"] = json::parse(paginator);
            sdk::testing::TestContext validated(rest::reader_options(), options);
            out.push_back(validated.options().values());
        }
        return out;
    }();
    return all;
}

void through_reader(const std::string& link, const std::string& body, const json::object& options) {
    sdk::testing::TestContext ctx(options);
    ctx.set_committed_position(R"({"cursor":"2024-01-01T00:00:00Z"})", "a/b");
    sdk::HttpResponse response;
    response.status = 200;
    response.body = body;
    if (!link.empty()) response.headers.push_back({"Link", link});
    ctx.http().add_response(response);
    rest::RestReader reader;
    if (!reader.open(ctx).is_ok()) __builtin_trap();  // a valid config must open
    for (int i = 0; i < 4; ++i) {                     // the second page has no reply scripted: fatal
        sdk::Batch batch;
        bool end = false;
        if (!reader.read(batch, 3, end).is_ok() || end) break;
    }
    (void)reader.close();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const auto newline = input.find('\n');
    const std::string link(input.substr(0, newline == std::string_view::npos ? input.size() : newline));
    const std::string body(newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1));
    pure_parts(link, body);
    for (const auto& options : reader_options())
        through_reader(link, body, options);
    return 0;
}
