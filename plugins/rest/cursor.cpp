#include "cursor.hpp"

#include <charconv>
#include <limits>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <junction/sdk/iso8601.hpp>
#include <junction/sdk/json_text.hpp>

namespace junction::rest {

namespace json = boost::json;

namespace {

std::optional<std::int64_t> integer_of(std::string_view s) {
    std::int64_t n = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (s.empty() || ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
    return n;
}

std::optional<std::int64_t> epoch_to_ms(std::int64_t n, DateFormat format) {
    if (format != DateFormat::epoch_s) return n;
    if (n > sdk::iso8601_max_ms / 1000 || n < sdk::iso8601_min_ms / 1000) return std::nullopt;
    return n * 1000;
}

std::optional<std::int64_t> datetime_of(std::string_view s, DateFormat format) {
    if (auto ms = sdk::parse_iso8601_ms(s)) return ms;
    if (auto n = integer_of(s)) return epoch_to_ms(*n, format);
    return std::nullopt;
}

}  // namespace

std::optional<CursorValue> cursor_value(const json::value& v, const IncrementalConfig& c) {
    switch (c.type) {
        case CursorType::datetime:
            if (v.is_string()) {
                if (auto ms = datetime_of(v.get_string(), c.format)) return CursorValue{*ms, {}};
                return std::nullopt;
            }
            if (v.is_int64()) {
                if (auto ms = epoch_to_ms(v.get_int64(), c.format)) return CursorValue{*ms, {}};
            }
            return std::nullopt;
        case CursorType::integer:
            if (v.is_int64()) return CursorValue{v.get_int64(), {}};
            if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
                return CursorValue{static_cast<std::int64_t>(v.get_uint64()), {}};
            if (v.is_string())
                if (auto n = integer_of(v.get_string())) return CursorValue{*n, {}};
            return std::nullopt;
        case CursorType::string:
            if (v.is_string()) return CursorValue{0, std::string(v.get_string())};
            return std::nullopt;
    }
    return std::nullopt;
}

std::optional<CursorValue> parse_cursor_text(std::string_view text, const IncrementalConfig& c) {
    return cursor_value(json::value(json::string_view(text.data(), text.size())), c);
}

int compare(const CursorValue& a, const CursorValue& b, CursorType type) {
    if (type == CursorType::string) return a.text.compare(b.text) < 0 ? -1 : (a.text == b.text ? 0 : 1);
    return a.number < b.number ? -1 : (a.number == b.number ? 0 : 1);
}

std::string format_datetime(std::int64_t ms, DateFormat format) {
    switch (format) {
        case DateFormat::epoch_ms:
            return std::to_string(ms);
        case DateFormat::epoch_s:
            return std::to_string(ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000));
        case DateFormat::iso8601:
            break;
    }
    auto text = sdk::format_iso8601_ms(ms);
    if (text.size() == 24 && text.compare(19, 4, ".000") == 0) text.erase(19, 4);  // 2024-05-01T10:00:00Z
    return text;
}

std::string position_text(const CursorValue& v, const IncrementalConfig& c) {
    json::object o;
    switch (c.type) {
        case CursorType::datetime:
            o["cursor"] = format_datetime(v.number, DateFormat::iso8601);
            break;
        case CursorType::integer:
            o["cursor"] = v.number;
            break;
        case CursorType::string:
            o["cursor"] = v.text;
            break;
    }
    return sdk::to_json_text(o);
}

std::optional<CursorValue> parse_position(std::string_view position, const IncrementalConfig& c) {
    boost::system::error_code ec;
    const auto v = json::parse(json::string_view(position.data(), position.size()), ec);
    if (ec || !v.is_object()) return std::nullopt;
    const auto* cursor = v.get_object().if_contains("cursor");
    if (cursor == nullptr) return std::nullopt;
    if (c.type == CursorType::datetime && cursor->is_string()) {
        // positions always hold ISO 8601 text, whatever the request format
        if (auto ms = sdk::parse_iso8601_ms(cursor->get_string())) return CursorValue{*ms, {}};
        return std::nullopt;
    }
    return cursor_value(*cursor, c);
}

std::optional<std::string> start_text(const std::optional<CursorValue>& committed, const IncrementalConfig& c) {
    std::optional<CursorValue> start = committed;
    if (start) {
        if (c.type == CursorType::datetime) {
            // saturating: a lookback of 10^18 seconds starts at the year 0, it does not overflow
            const auto back = c.lookback > std::numeric_limits<std::int64_t>::max() / 1000
                                  ? std::numeric_limits<std::int64_t>::max()
                                  : c.lookback * 1000;
            start->number = start->number - sdk::iso8601_min_ms < back ? sdk::iso8601_min_ms : start->number - back;
        } else if (c.type == CursorType::integer) {
            start->number = start->number < std::numeric_limits<std::int64_t>::min() + c.lookback
                                ? std::numeric_limits<std::int64_t>::min()
                                : start->number - c.lookback;
        }
    } else if (c.start) {
        start = parse_cursor_text(*c.start, c);
    }
    if (!start) return std::nullopt;
    switch (c.type) {
        case CursorType::datetime:
            return format_datetime(start->number, c.format);
        case CursorType::integer:
            return std::to_string(start->number);
        case CursorType::string:
            return start->text;
    }
    return std::nullopt;
}

}  // namespace junction::rest
