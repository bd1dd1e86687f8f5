#include "work_order_mapping.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <limits>
#include <optional>
#include <string_view>
#include <utility>

#include <junction/sdk/iso8601.hpp>
#include <junction/sdk/json_text.hpp>
#include <junction/sdk/json_types.hpp>

namespace junction::tracos {

namespace json = boost::json;
using sdk::format_iso8601_ms;
using sdk::json_type_name;
using sdk::parse_iso8601_ms;

namespace {

// Every reason a document is refused, so one dead letter tells the whole story.
class Problems {
public:
    void add(std::string_view field, std::string_view what) {
        if (!text_.empty()) text_ += "; ";
        text_.append(field).append(": ").append(what);
    }
    [[nodiscard]] bool any() const noexcept { return !text_.empty(); }
    std::string take() { return std::move(text_); }

private:
    std::string text_;
};

// Quoted and cut short, so a huge bad value cannot flood a log line.
std::string quoted(const json::value& v) {
    std::string s = sdk::to_json_text(v);
    if (s.size() > 80) s = s.substr(0, 77) + "...";
    return s;
}

// Status precedence of SPEC.md: the first flag set wins.
constexpr std::array<std::pair<std::string_view, std::string_view>, 4> status_flags{{
    {"isCanceled", "cancelled"},
    {"isDone", "completed"},
    {"isOnHold", "on_hold"},
    {"isPending", "pending"},
}};
// Any of these makes the order's state explicit; isSynced is bookkeeping, not state.
constexpr std::array<std::string_view, 6> state_flags{"isActive", "isCanceled", "isDeleted",
                                                      "isDone",   "isOnHold",   "isPending"};
constexpr std::array<std::string_view, 7> bool_fields{"isActive", "isCanceled", "isDeleted", "isDone",
                                                      "isOnHold", "isPending",  "isSynced"};

// A customer date-time field: nothing when absent or null (and allowed to be), else
// its instant; a wrong type or text is reported.
std::optional<std::int64_t> customer_date(const json::object& in, std::string_view field, bool required,
                                          Problems& problems) {
    const auto* v = in.if_contains(field);
    if (v == nullptr || v->is_null()) {
        if (required) problems.add(field, v == nullptr ? "required" : "required, got null");
        return std::nullopt;
    }
    if (!v->is_string()) {
        problems.add(field, std::string("expected ISO 8601 date-time string, got ") + json_type_name(*v));
        return std::nullopt;
    }
    auto ms = parse_iso8601_ms(v->get_string());
    if (!ms) problems.add(field, "not an ISO 8601 date-time: " + quoted(*v));
    return ms;
}

bool parse_int(std::string_view text, std::int64_t& out) {
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc{} && end == text.data() + text.size();
}

// A TracOS date as the document store hands it over: an ISO string, or MongoDB
// Extended JSON ({"$date": "..."} / {"$date": {"$numberLong": "..."}}), or epoch ms.
std::optional<std::int64_t> tracos_date(const json::value& v);

// Epoch milliseconds, as long as the customer's ISO 8601 can write them (years 0000 to
// 9999): a document dated 1706774400000000000 ms mapped to a file its own inbound refused
// (found by fuzzing).
std::optional<std::int64_t> writable_date(std::int64_t ms) {
    if (ms < sdk::iso8601_min_ms || ms > sdk::iso8601_max_ms) return std::nullopt;
    return ms;
}

std::optional<std::int64_t> tracos_date(const json::value& v) {
    if (v.is_string()) return parse_iso8601_ms(v.get_string());
    if (v.is_int64()) return writable_date(v.get_int64());
    if (v.is_object()) {
        const auto* d = v.get_object().if_contains("$date");
        if (d == nullptr) return std::nullopt;
        if (d->is_object()) {
            const auto* n = d->get_object().if_contains("$numberLong");
            std::int64_t ms = 0;
            if (n != nullptr && n->is_string() && parse_int(n->get_string(), ms)) return writable_date(ms);
            return std::nullopt;
        }
        return tracos_date(*d);
    }
    return std::nullopt;
}

// A TracOS integer as stored: a JSON integer, an integral double, or {"$numberLong": "..."}.
std::optional<std::int64_t> tracos_int(const json::value& v) {
    if (v.is_int64()) return v.get_int64();
    if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        return static_cast<std::int64_t>(v.get_uint64());
    if (v.is_double()) {
        // Casting a double outside [-2^63, 2^63) to int64 is undefined (found by fuzzing
        // with {"number": 1e300}): such a number is no integer of ours.
        const double d = v.get_double();
        if (d >= -0x1p63 && d < 0x1p63 && d == std::trunc(d)) return static_cast<std::int64_t>(d);
    }
    if (v.is_object()) {
        for (const char* tag : {"$numberLong", "$numberInt"}) {
            const auto* n = v.get_object().if_contains(tag);
            std::int64_t out = 0;
            if (n != nullptr && n->is_string() && parse_int(n->get_string(), out)) return out;
        }
    }
    return std::nullopt;
}

}  // namespace

MappingResult to_tracos(const json::object& in) {
    Problems problems;
    MappingResult result;

    std::int64_t number = 0;
    if (const auto* v = in.if_contains("orderNo"); v == nullptr) {
        problems.add("orderNo", "required");
    } else if (v->is_int64()) {
        number = v->get_int64();
    } else if (v->is_uint64() &&
               v->get_uint64() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
        number = static_cast<std::int64_t>(v->get_uint64());
    } else {
        problems.add("orderNo", std::string("expected integer, got ") + json_type_name(*v));
    }

    bool any_flag = false;
    for (const auto flag : state_flags)
        any_flag = any_flag || in.contains(flag);
    if (!any_flag)
        problems.add("status", "no status flag (isActive, isCanceled, isDeleted, isDone, isOnHold, isPending)");
    for (const auto flag : bool_fields) {
        const auto* v = in.if_contains(flag);
        if (v != nullptr && !v->is_bool()) problems.add(flag, std::string("expected bool, got ") + json_type_name(*v));
    }
    auto flag = [&](std::string_view name) {
        const auto* v = in.if_contains(name);
        return v != nullptr && v->is_bool() && v->get_bool();
    };

    const auto created = customer_date(in, "creationDate", true, problems);
    const auto updated = customer_date(in, "lastUpdateDate", false, problems);
    const auto deleted_date = customer_date(in, "deletedDate", false, problems);

    std::string summary;
    if (const auto* v = in.if_contains("summary"); v != nullptr && !v->is_null()) {
        if (v->is_string())
            summary = v->get_string();
        else
            problems.add("summary", std::string("expected string, got ") + json_type_name(*v));
    }

    if (problems.any()) {
        result.error = problems.take();
        return result;
    }

    std::string_view status = "in_progress";
    for (const auto& [name, mapped] : status_flags) {
        if (flag(name)) {
            status = mapped;
            break;
        }
    }
    const std::int64_t updated_ms = updated.value_or(*created);
    const bool deleted = flag("isDeleted");

    auto& out = result.document;
    out.reserve(10);  // the ten fields below: one allocation instead of several rehashes
    out["number"] = number;
    out["status"] = status;
    out["title"] = summary;
    out["description"] = summary;
    out["createdAt"] = format_iso8601_ms(*created);
    out["updatedAt"] = format_iso8601_ms(updated_ms);
    out["deleted"] = deleted;
    if (deleted_date)
        out["deletedAt"] = format_iso8601_ms(*deleted_date);
    else if (deleted)
        out["deletedAt"] = format_iso8601_ms(updated_ms);
    else
        out["deletedAt"] = nullptr;
    out["isSynced"] = true;
    out["syncedAt"] = format_iso8601_ms(updated_ms);
    result.key = std::to_string(number);
    return result;
}

MappingResult to_customer(const json::object& in) {
    Problems problems;
    MappingResult result;

    std::int64_t number = 0;
    if (const auto* v = in.if_contains("number"); v == nullptr) {
        problems.add("number", "required");
    } else if (auto n = tracos_int(*v)) {
        number = *n;
    } else {
        problems.add("number", std::string("expected integer, got ") + json_type_name(*v));
    }

    std::string_view status;
    if (const auto* v = in.if_contains("status"); v == nullptr) {
        problems.add("status", "required");
    } else if (!v->is_string()) {
        problems.add("status", std::string("expected string, got ") + json_type_name(*v));
    } else {
        status = v->get_string();
        const bool known = status == "in_progress" || std::any_of(status_flags.begin(), status_flags.end(),
                                                                  [&](const auto& f) { return f.second == status; });
        if (!known) problems.add("status", "unknown value " + quoted(*v));
    }

    auto date = [&](std::string_view field, bool required) -> std::optional<std::int64_t> {
        const auto* v = in.if_contains(field);
        if (v == nullptr || v->is_null()) {
            if (required) problems.add(field, "required");
            return std::nullopt;
        }
        auto ms = tracos_date(*v);
        if (!ms) problems.add(field, "not a date: " + quoted(*v));
        return ms;
    };
    const auto created = date("createdAt", true);
    const auto updated = date("updatedAt", false);
    const auto deleted_at = date("deletedAt", false);

    bool deleted = false;
    if (const auto* v = in.if_contains("deleted"); v != nullptr && !v->is_null()) {
        if (v->is_bool())
            deleted = v->get_bool();
        else
            problems.add("deleted", std::string("expected bool, got ") + json_type_name(*v));
    }

    auto text = [&](std::string_view field) -> std::string {
        const auto* v = in.if_contains(field);
        return v != nullptr && v->is_string() ? std::string(v->get_string()) : std::string();
    };
    std::string summary = text("title");
    if (summary.empty()) summary = text("description");

    if (problems.any()) {
        result.error = problems.take();
        return result;
    }

    auto& out = result.document;
    out["orderNo"] = number;
    // isActive is not a status of its own in TracOS: an order is active until deleted.
    out["isActive"] = !deleted;
    for (const auto& [flag, mapped] : status_flags)
        out[flag] = status == mapped;
    out["isDeleted"] = deleted;
    out["isSynced"] = true;
    out["summary"] = summary;
    out["creationDate"] = format_iso8601_ms(*created);
    out["lastUpdateDate"] = format_iso8601_ms(updated.value_or(*created));
    if (deleted_at)
        out["deletedDate"] = format_iso8601_ms(*deleted_at);
    else
        out["deletedDate"] = nullptr;
    result.key = std::to_string(number);
    return result;
}

}  // namespace junction::tracos
