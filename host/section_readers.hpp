// Readers of a host-level config section the host parses itself (`http`, `cluster`): each
// checks one key's type and range and adds one error at its path ("http.workers: expected
// a whole number from 1 to 64") instead of throwing, so that `junction validate` lists every
// problem at once. The plugin options have the SDK's declared schemas instead.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>
#include <junction/core/config.hpp>

namespace junction::host::section {

namespace json = boost::json;
using core::ConfigError;

inline std::string join(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v)
        out += (out.empty() ? "" : ", ") + s;
    return out;
}

inline void check_keys(const json::object& o, const std::vector<std::string>& allowed, const std::string& path,
                       std::vector<ConfigError>& errors) {
    for (const auto& kv : o)
        if (std::find(allowed.begin(), allowed.end(), std::string(kv.key())) == allowed.end() && kv.key() != "comment")
            errors.push_back({path + "." + std::string(kv.key()), "unknown key; valid keys: " + join(allowed)});
}

// Each reader adds one error on a wrong type and leaves `out` alone.
inline void read_string(const json::object& o, const char* key, const std::string& path, std::string& out,
                        std::vector<ConfigError>& errors, bool non_empty = true) {
    const auto* v = o.if_contains(key);
    if (v == nullptr) return;
    if (!v->is_string() || (non_empty && v->get_string().empty()))
        errors.push_back({path + "." + key, non_empty ? "expected a non-empty string" : "expected a string"});
    else
        out = std::string(v->get_string());
}

template <class Int>
void read_count(const json::object& o, const char* key, const std::string& path, Int& out, std::uint64_t min,
                std::uint64_t max, std::vector<ConfigError>& errors) {
    const auto* v = o.if_contains(key);
    if (v == nullptr) return;
    std::optional<std::uint64_t> n;
    if (v->is_uint64()) n = v->get_uint64();
    if (v->is_int64() && v->get_int64() >= 0) n = static_cast<std::uint64_t>(v->get_int64());
    if (!n || *n < min || *n > max)
        errors.push_back(
            {path + "." + key, "expected a whole number from " + std::to_string(min) + " to " + std::to_string(max)});
    else
        out = static_cast<Int>(*n);
}

inline void read_ms(const json::object& o, const char* key, const std::string& path, std::chrono::milliseconds& out,
                    std::uint64_t min, std::uint64_t max, std::vector<ConfigError>& errors) {
    std::uint64_t ms = static_cast<std::uint64_t>(out.count());
    read_count(o, key, path, ms, min, max, errors);
    out = std::chrono::milliseconds(static_cast<std::int64_t>(ms));
}

inline void read_bool(const json::object& o, const char* key, const std::string& path, bool& out,
                      std::vector<ConfigError>& errors) {
    const auto* v = o.if_contains(key);
    if (v == nullptr) return;
    if (!v->is_bool())
        errors.push_back({path + "." + key, "expected true or false"});
    else
        out = v->get_bool();
}

inline std::vector<std::string> read_names(const json::object& o, const char* key, const std::string& path,
                                           std::vector<ConfigError>& errors) {
    std::vector<std::string> out;
    const auto* v = o.if_contains(key);
    if (v == nullptr) return out;
    if (!v->is_array()) {
        errors.push_back({path + "." + key, "expected an array of strings"});
        return out;
    }
    std::size_t i = 0;
    for (const auto& e : v->get_array()) {
        if (!e.is_string() || e.get_string().empty())
            errors.push_back({path + "." + key + "[" + std::to_string(i) + "]", "expected a non-empty string"});
        else
            out.emplace_back(e.get_string());
        ++i;
    }
    return out;
}

}  // namespace junction::host::section
