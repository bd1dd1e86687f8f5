// The rest reader's options (declared once: the host validates them), the checks the
// schema cannot express (templates naming what exists, JSON paths, a paginator's own
// keys), and the typed configuration the reader runs with. One function builds the
// typed config and finds the problems, so `junction validate` and open() agree.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <junction/sdk/options.hpp>
#include <junction/sdk/status.hpp>

#include "cursor.hpp"
#include "paginator.hpp"
#include "selector.hpp"
#include "template.hpp"

namespace junction::rest {

struct RequestConfig {
    std::string method = "GET";
    Template path;
    std::vector<std::pair<std::string, Template>> query;
    std::vector<std::pair<std::string, Template>> headers;
    std::optional<boost::json::value> body;  // its strings may hold templates
};

struct RecordsConfig {
    JsonPath path;
    std::vector<Condition> filter;
};

struct ParentConfig {
    RequestConfig request;
    RecordsConfig records;
    PaginatorConfig paginator;
    std::vector<std::pair<std::string, JsonPath>> fields;  // partition field <- parent record path
};

struct PartitionsConfig {
    std::vector<boost::json::object> values;  // a string item s is {"value": s}
    std::optional<ParentConfig> parent;
    std::vector<long> skip_statuses;  // answers that skip one partition instead of failing the run
};

struct RestConfig {
    std::string connection;
    Template base_url;
    std::map<std::string, std::string, std::less<>> vars;
    RequestConfig request;
    RecordsConfig records;
    std::optional<JsonPath> key;
    PaginatorConfig paginator;
    std::optional<PartitionsConfig> partitions;
    std::optional<IncrementalConfig> incremental;
    std::int64_t max_pages = 0;
    std::chrono::milliseconds timeout{30000};
    int max_attempts = 3;
};

sdk::OptionSchema reader_options();

// The typed config of options validated against reader_options(); on the first problem,
// "option.path: message" (empty when there is none).
std::string make_config(const sdk::Options& options, RestConfig& out);

// The factory's check_options: ok, or fatal with make_config's line.
sdk::Status check_reader_config(const sdk::Options& options);

}  // namespace junction::rest
