// One page's HTTP request, built from the config's templates, a stream's scope (its
// partition, its cursor start) and the paginator's state. Pure: no I/O.
#pragma once

#include <optional>
#include <string>

#include <boost/json/object.hpp>
#include <junction/sdk/services.hpp>

#include "paginator.hpp"
#include "rest_config.hpp"

namespace junction::rest {

// What the templates of one stream may look up.
struct Scope {
    const std::map<std::string, std::string, std::less<>>* vars = nullptr;
    const boost::json::object* partition = nullptr;
    std::optional<std::string> cursor_start = std::nullopt;
};

// The request of the paginator's current page: base_url + path + query (template values
// URL-encoded), headers, the JSON body, with the paginator's parameters injected (or the
// Link header's next URL as it is). Empty `problem` on success; otherwise it names the
// option at fault (a header value with a line break).
sdk::HttpRequest build_request(const RestConfig& config, const RequestConfig& request, const PaginatorConfig& pconf,
                               const Paginator& paginator, const Scope& scope, std::string& problem);

// A partition's stable name: the one value of a string item (or of a single field), else
// the canonical JSON of the fields (keys sorted).
std::string partition_name(const boost::json::object& partition);

}  // namespace junction::rest
