#include "mapping_rules.hpp"

#include <junction/sdk/iso8601.hpp>
#include <junction/sdk/json_path.hpp>
#include <junction/sdk/json_text.hpp>

namespace junction::mapping {

namespace json = boost::json;
using sdk::find_path;
using sdk::json_type_name;
using sdk::set_path;
using sdk::take_path;

namespace {

std::string quoted(const json::value& v) {
    std::string s = sdk::to_json_text(v);
    if (s.size() > 80) s = s.substr(0, 77) + "...";
    return s;
}

// The text a map_values table matches a value by: strings as they are, scalars as JSON
// (doubles in their shortest form: 0.5 matches the key "0.5").
std::optional<std::string> match_text(const json::value& v) {
    if (v.is_string()) return std::string(v.get_string());
    if (v.is_object() || v.is_array()) return std::nullopt;
    return sdk::to_json_text(v);
}

std::string cannot_set(std::string_view op, std::string_view path) {
    return std::string(op) + ": cannot set " + std::string(path) + ": a parent is not an object";
}

// The string at `field` through `edit`; absent and null are left alone, other types refused.
template <class Edit>
std::string edit_string(std::string_view op, const std::string& field, json::object& payload, Edit edit) {
    auto* v = find_path(payload, field);
    if (v == nullptr || v->is_null()) return {};
    if (!v->is_string()) return std::string(op) + ": " + field + ": expected a string, got " + json_type_name(*v);
    *v = edit(std::string_view(v->get_string()));
    return {};
}

std::string trimmed(std::string_view s) {
    constexpr std::string_view space = " \t\r\n\f\v";
    const auto first = s.find_first_not_of(space);
    if (first == std::string_view::npos) return {};
    return std::string(s.substr(first, s.find_last_not_of(space) - first + 1));
}

std::string lowered(std::string_view s) {
    std::string out(s);
    for (auto& c : out)
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    return out;
}

}  // namespace

std::string apply_rules(const MappingConfig& config, json::object& payload, std::string& key) {
    std::string missing;
    for (const auto& field : config.required) {
        const auto* v = find_path(payload, field);
        if (v == nullptr || v->is_null()) missing += (missing.empty() ? "" : ", ") + field;
    }
    if (!missing.empty()) return "required: missing " + missing;

    for (const auto& [from, to] : config.rename) {
        auto value = take_path(payload, from);
        if (value && !set_path(payload, to, std::move(*value))) return cannot_set("rename", to);
    }
    for (const auto& [from, to] : config.copy) {
        if (const auto* v = find_path(payload, from); v != nullptr && !set_path(payload, to, json::value(*v)))
            return cannot_set("copy", to);
    }
    for (const auto& field : config.trim)
        if (auto e = edit_string("trim", field, payload, trimmed); !e.empty()) return e;
    for (const auto& field : config.lower)
        if (auto e = edit_string("lower", field, payload, lowered); !e.empty()) return e;
    for (const auto& join : config.join) {
        std::string joined;
        bool any = false;
        for (const auto& part : join.fields) {
            const auto* v = find_path(payload, part);
            if (v == nullptr || v->is_null()) continue;
            if (!v->is_string())
                return "join: " + join.field + ": " + part + " is " + json_type_name(*v) + ", not a string";
            if (v->get_string().empty()) continue;
            if (any) joined += join.separator;
            joined += v->get_string();
            any = true;
        }
        if (any && !set_path(payload, join.field, json::value(joined))) return cannot_set("join", join.field);
    }
    for (const auto& map : config.map_values) {
        auto* v = find_path(payload, map.field);
        if (v == nullptr) continue;
        const auto text = match_text(*v);
        const json::value* replacement = nullptr;
        if (text)
            for (const auto& [from, to] : map.table)
                if (from == *text) replacement = &to;
        if (replacement == nullptr && map.fallback) replacement = &*map.fallback;
        if (replacement == nullptr) return "map_values: " + map.field + ": no mapping for " + quoted(*v);
        *v = *replacement;
    }
    for (const auto& field : config.to_utc) {
        auto* v = find_path(payload, field);
        if (v == nullptr || v->is_null()) continue;
        if (!v->is_string())
            return "to_utc: " + field + ": expected ISO 8601 date-time string, got " + json_type_name(*v);
        auto utc = sdk::normalize_iso8601_utc(v->get_string());
        if (!utc) return "to_utc: " + field + ": not an ISO 8601 date-time: " + quoted(*v);
        *v = *utc;
    }
    for (const auto& [field, value] : config.set)
        if (!set_path(payload, field, value)) return cannot_set("set", field);
    for (const auto& field : config.drop)
        take_path(payload, field);
    if (!config.keep.empty()) {
        json::object kept;
        for (const auto& field : config.keep)
            if (auto value = take_path(payload, field)) set_path(kept, field, std::move(*value));
        payload = std::move(kept);
    }

    if (!config.key.empty()) {
        const auto* v = find_path(payload, config.key);
        if (v == nullptr || v->is_null()) return "key: field " + config.key + " is missing";
        if (v->is_string())
            key = v->get_string();
        else if (v->is_int64() || v->is_uint64())
            key = sdk::to_json_text(*v);
        else
            return "key: field " + config.key + " must be a string or integer, got " + json_type_name(*v);
    }
    return {};
}

}  // namespace junction::mapping
