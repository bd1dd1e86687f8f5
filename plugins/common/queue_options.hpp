// What the two backends of the queue contract (DESIGN.md, "Queues") have in common, so
// that the same option means the same in both: the queue plugin (SQLite) and the nats
// plugin (JetStream). The options' declarations (dedup_id, key_field, backoff_ms), their
// checks and typed values, the text of a record's field (a deduplication id, a key), and
// the delay of the n-th release. Header-only; SDK only.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/object.hpp>
#include <junction/sdk/json_path.hpp>
#include <junction/sdk/json_text.hpp>
#include <junction/sdk/options.hpp>
#include <junction/sdk/record.hpp>
#include <junction/sdk/status.hpp>

namespace junction::queue_options {

// dedup_id: the field (or "$key") whose value is a message's deduplication id. `what`
// says what the backend does with it.
inline sdk::OptionSpec dedup_id_option(const std::string& what) {
    return {.name = "dedup_id",
            .type = sdk::OptionType::string,
            .default_value = "",
            .description = "The field (a dotted path) holding each message's deduplication id, e.g. \"_id\" for an "
                           "intake's submissions, or \"$key\" for the record's key; empty: no deduplication. " +
                           what};
}

inline sdk::OptionSpec key_field_option(const std::string& what) {
    return {.name = "key_field",
            .type = sdk::OptionType::string,
            .default_value = "",
            .description = "The field holding each message's key (" + what + "); empty: the record's key."};
}

inline sdk::OptionSpec backoff_option(const std::string& how) {
    return {.name = "backoff_ms",
            .type = sdk::OptionType::array,
            .default_value = boost::json::array{1000, 5000, 30000, 120000},
            .min = 1,
            .description = "The delay before a released message comes back, by release: the first release waits "
                           "backoff_ms[0], the next backoff_ms[1], the last repeats (at least the engine's retry "
                           "delay)." +
                           how,
            .items = {{.type = sdk::OptionType::integer, .min = 0, .max = 86400000}}};
}

// A field option ("" and "$key" allowed) that names no field path is a config error.
inline sdk::Status check_field(const sdk::Options& options, const char* name) {
    const auto field = options.get_string(name);
    if (!field.empty() && field != "$key" && !sdk::is_valid_path(field))
        return sdk::Status::fatal(std::string(name) + ": \"" + field + "\" is not a field path (an empty segment)");
    return sdk::Status::ok();
}

inline std::vector<std::chrono::milliseconds> backoff_of(const sdk::Options& options) {
    std::vector<std::chrono::milliseconds> out;
    const auto& b = options.get("backoff_ms");
    if (b.is_array())
        for (const auto& e : b.get_array())
            if (e.is_int64()) out.emplace_back(e.get_int64());
    if (out.empty()) out.emplace_back(1000);
    return out;
}

// The delay of a message's release at its n-th delivery: the larger of the engine's and
// backoff[n-1] (the last repeats).
inline std::chrono::milliseconds release_delay(const std::vector<std::chrono::milliseconds>& backoff,
                                               std::uint32_t attempts, std::chrono::milliseconds engine_delay) {
    const auto n = std::max<std::uint32_t>(attempts, 1);
    return std::max(engine_delay, backoff[std::min<std::size_t>(n - 1, backoff.size() - 1)]);
}

// A field's value as text (a string as it is, anything else as compact JSON); nullopt when
// the field is missing or null.
inline std::optional<std::string> text_of(const boost::json::object& payload, const std::string& field) {
    const auto* v = sdk::find_path(payload, field);
    if (v == nullptr || v->is_null()) return std::nullopt;
    return v->is_string() ? std::string(v->get_string()) : sdk::to_json_text(*v);
}

// A record's deduplication id by the dedup_id option: "" when none is asked for, the
// record's key for "$key", else the field's text; nullopt when the field is missing (the
// record is rejected, with missing_dedup_id()).
inline std::optional<std::string> dedup_id_of(const sdk::Record& r, const std::string& dedup_id) {
    if (dedup_id.empty()) return std::string();
    if (dedup_id == "$key") return r.meta.key;
    return text_of(r.payload, dedup_id);
}

inline std::string missing_dedup_id(const std::string& dedup_id) {
    return "no deduplication id: field '" + dedup_id + "' is missing";
}

// A record's key by the key_field option: the field's text ("" when missing), or the
// record's key when no field is named.
inline std::string key_of(const sdk::Record& r, const std::string& key_field) {
    return key_field.empty() ? r.meta.key : text_of(r.payload, key_field).value_or("");
}

}  // namespace junction::queue_options
