// Paginators: what to ask for next after a page, and when to stop. Pure state: a page's
// Link header, body and record count go in; the next URL or the parameters to inject
// come out, so every stop condition is unit-tested and fuzzed without I/O.
//   link    Link: rel="next"; stop when there is none
//   cursor  a token at cursor_path in the body, sent as `param`; stop when absent, null, empty
//   offset  limit/offset; stop on an empty or short page, or offset >= total
//   page    page number; stop on an empty or short page, or when the total is reached
//   none    one request
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/json/value.hpp>

#include "selector.hpp"

namespace junction::rest {

enum class PaginatorType : unsigned char { none, link, cursor, offset, page };
enum class Inject : unsigned char { query, body, none };

struct PaginatorConfig {
    PaginatorType type = PaginatorType::none;
    JsonPath cursor_path = {};  // cursor
    std::string param = {};     // cursor: the token's parameter
    Inject inject = Inject::query;
    std::int64_t limit = 100;  // offset
    std::string limit_param = "limit";
    std::string offset_param = "offset";
    std::optional<JsonPath> total_path = std::nullopt;  // offset, page: the total number of records
    std::int64_t page_size = 0;                         // page: 0 when unknown (no short-page stop)
    std::string page_param = "page";
    std::string size_param = {};  // page: "" when the size is not sent
    std::int64_t start = 1;       // page: the first page's number
};

// What one page told the paginator.
struct PageInfo {
    const std::string* link_header = nullptr;  // the Link header, when any
    const boost::json::value* body = nullptr;  // the parsed body
    std::size_t records = 0;                   // records on the page (before the filter)
    std::string url = {};                      // where the page came from (after redirects)
};

class Paginator {
public:
    explicit Paginator(const PaginatorConfig& config);

    // The parameters of the current page's request (name -> value), to inject into the
    // query or the body as the config says; empty for link and none.
    [[nodiscard]] std::vector<std::pair<std::string, boost::json::value>> params() const;
    // The token of the current page (${page.token}): the cursor, offset or page number;
    // nothing on a cursor or link paginator's first page.
    [[nodiscard]] std::optional<std::string> token() const;
    // link: the URL of the current page once past the first; nothing before.
    [[nodiscard]] const std::optional<std::string>& next_url() const noexcept { return next_url_; }

    // After a page: true when there is another one (the paginator moved to it), false at
    // the end. A next page that would repeat this one (the same cursor or URL) ends it
    // too, with `warning` set, so a misbehaving API cannot loop a run for ever.
    bool advance(const PageInfo& page, std::string& warning);

private:
    const PaginatorConfig* config_;
    std::optional<std::string> cursor_;    // cursor: the token; link: unused
    boost::json::value cursor_value_;      // cursor: the token as the body gave it
    std::optional<std::string> next_url_;  // link
    std::int64_t offset_ = 0;              // offset
    std::int64_t page_ = 1;                // page
};

}  // namespace junction::rest
