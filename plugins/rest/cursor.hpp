// Incremental sync's cursor: the values of a record's cursor field (date-times, integers,
// strings) compared, kept as a partition's position (`{"cursor": ...}`), and turned into
// the next run's start value (the committed maximum minus the lookback). Pure.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

#include "selector.hpp"

namespace junction::rest {

enum class CursorType : unsigned char { datetime, integer, string };
// How a date-time is written in requests (${cursor.start}) and read as a number in records.
enum class DateFormat : unsigned char { iso8601, epoch_ms, epoch_s };

struct IncrementalConfig {
    JsonPath cursor_field;
    CursorType type = CursorType::datetime;
    std::optional<std::string> start;  // as the config gives it (checked to parse)
    std::int64_t lookback = 0;         // seconds (datetime) or units (integer)
    DateFormat format = DateFormat::iso8601;
    bool sorted = false;
};

// A cursor value: milliseconds since the epoch (datetime), the integer, or the string.
struct CursorValue {
    std::int64_t number = 0;
    std::string text;
};

// A record's cursor value; nothing when the field is absent, null or not of the type.
std::optional<CursorValue> cursor_value(const boost::json::value& v, const IncrementalConfig& config);
// The config's `start` (or a position's cursor) read as a value of the type.
std::optional<CursorValue> parse_cursor_text(std::string_view text, const IncrementalConfig& config);
// < 0, 0, > 0.
int compare(const CursorValue& a, const CursorValue& b, CursorType type);

// `{"cursor":"2024-05-01T10:00:00Z"}` (datetime as ISO 8601 UTC, integer as a number).
std::string position_text(const CursorValue& v, const IncrementalConfig& config);
// The cursor of a committed position; nothing when it is not one of ours.
std::optional<CursorValue> parse_position(std::string_view position, const IncrementalConfig& config);

// The value written for ${cursor.start}: the committed maximum minus the lookback, or the
// config's start when nothing was committed; nothing on a first run without a start.
std::optional<std::string> start_text(const std::optional<CursorValue>& committed, const IncrementalConfig& config);

// A date-time in the request format: ISO 8601 UTC (seconds unless there are
// milliseconds), epoch milliseconds or epoch seconds.
std::string format_datetime(std::int64_t ms, DateFormat format);

}  // namespace junction::rest
