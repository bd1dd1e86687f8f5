// ISO 8601 date-times with a UTC offset, parsed to milliseconds since the Unix epoch
// and written back as UTC with milliseconds and Z: the timestamps records carry.
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

namespace junction::sdk {

namespace iso8601_detail {

// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).
constexpr std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) noexcept {
    y -= m <= 2 ? 1 : 0;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

struct Civil {
    std::int64_t year;
    unsigned month;
    unsigned day;
};

constexpr Civil civil_from_days(std::int64_t z) noexcept {
    z += 719468;
    const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const auto doe = static_cast<unsigned>(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    const unsigned d = doy - (153 * mp + 2) / 5 + 1;
    const unsigned m = mp < 10 ? mp + 3 : mp - 9;
    return {static_cast<std::int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0), m, d};
}

constexpr bool leap(std::int64_t y) noexcept {
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

constexpr unsigned days_in_month(std::int64_t y, unsigned m) noexcept {
    constexpr unsigned days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    return m == 2 && leap(y) ? 29 : days[m - 1];
}

// Reads exactly n digits at s[pos..]; advances pos.
constexpr bool digits(std::string_view s, std::size_t& pos, std::size_t n, unsigned& out) noexcept {
    if (pos + n > s.size()) return false;
    out = 0;
    for (std::size_t i = 0; i < n; ++i) {
        const char c = s[pos + i];
        if (c < '0' || c > '9') return false;
        out = out * 10 + static_cast<unsigned>(c - '0');
    }
    pos += n;
    return true;
}

constexpr bool expect(std::string_view s, std::size_t& pos, char c) noexcept {
    if (pos >= s.size() || s[pos] != c) return false;
    ++pos;
    return true;
}

}  // namespace iso8601_detail

// The instants ISO 8601's four-digit years can write, 0000-01-01T00:00:00.000Z to
// 9999-12-31T23:59:59.999Z, in milliseconds since the epoch.
inline constexpr std::int64_t iso8601_min_ms = -62167219200000;
inline constexpr std::int64_t iso8601_max_ms = 253402300799999;

// Parses "YYYY-MM-DDTHH:MM[:SS[.fff...]](Z|+HH:MM|-HH:MM|+HHMM|+HH)" (RFC 3339 plus the
// ISO basic offset forms). A date-time without an offset is refused: its instant is
// unknown. Fractions beyond milliseconds are truncated. So is an offset that moves the
// instant out of years 0000 to 9999 ("0000-01-01T00:00+01:00"): written in UTC it would
// not read back.
constexpr std::optional<std::int64_t> parse_iso8601_ms(std::string_view s) noexcept {
    using namespace iso8601_detail;
    std::size_t p = 0;
    unsigned year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
    if (!digits(s, p, 4, year) || !expect(s, p, '-') || !digits(s, p, 2, month) || !expect(s, p, '-') ||
        !digits(s, p, 2, day))
        return std::nullopt;
    if (p >= s.size() || (s[p] != 'T' && s[p] != 't' && s[p] != ' ')) return std::nullopt;
    ++p;
    if (!digits(s, p, 2, hour) || !expect(s, p, ':') || !digits(s, p, 2, minute)) return std::nullopt;
    if (p < s.size() && s[p] == ':' && !(++p, digits(s, p, 2, second))) return std::nullopt;
    unsigned millis = 0;
    if (p < s.size() && (s[p] == '.' || s[p] == ',')) {
        ++p;
        std::size_t n = 0;
        for (; p < s.size() && s[p] >= '0' && s[p] <= '9'; ++p, ++n)
            if (n < 3) millis = millis * 10 + static_cast<unsigned>(s[p] - '0');
        if (n == 0) return std::nullopt;
        for (; n < 3; ++n)
            millis *= 10;
    }
    if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month) || hour > 23 || minute > 59 ||
        second > 59)
        return std::nullopt;
    std::int64_t offset_minutes = 0;
    if (p >= s.size()) return std::nullopt;
    if (s[p] == 'Z' || s[p] == 'z') {
        ++p;
    } else if (s[p] == '+' || s[p] == '-') {
        const bool negative = s[p] == '-';
        ++p;
        unsigned oh = 0, om = 0;
        if (!digits(s, p, 2, oh)) return std::nullopt;
        if (p < s.size() && s[p] == ':') {
            ++p;
            if (!digits(s, p, 2, om)) return std::nullopt;
        } else if (p < s.size() && !digits(s, p, 2, om)) {
            return std::nullopt;
        }
        if (oh > 23 || om > 59) return std::nullopt;
        offset_minutes = (negative ? -1 : 1) * static_cast<std::int64_t>(oh * 60 + om);
    } else {
        return std::nullopt;
    }
    if (p != s.size()) return std::nullopt;
    const std::int64_t days = days_from_civil(year, month, day);
    const std::int64_t local_seconds = days * 86400 + std::int64_t{hour} * 3600 + std::int64_t{minute} * 60 + second;
    const std::int64_t ms = (local_seconds - offset_minutes * 60) * 1000 + millis;
    if (ms < iso8601_min_ms || ms > iso8601_max_ms) return std::nullopt;
    return ms;
}

// "2024-03-01T12:00:00.000Z" for milliseconds since the epoch.
inline std::string format_iso8601_ms(std::int64_t ms) {
    using namespace iso8601_detail;
    std::int64_t days = ms / 86400000;
    std::int64_t rest = ms % 86400000;
    if (rest < 0) {
        rest += 86400000;
        --days;
    }
    const Civil c = civil_from_days(days);
    if (c.year < 0 || c.year > 9999) {  // outside ISO 8601's four-digit years: rare, keep it simple
        char buf[48];
        std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02d:%02d:%02d.%03dZ", static_cast<long long>(c.year), c.month,
                      c.day, static_cast<int>(rest / 3600000), static_cast<int>(rest / 60000 % 60),
                      static_cast<int>(rest / 1000 % 60), static_cast<int>(rest % 1000));
        return buf;
    }
    // Written digit by digit: snprintf took 10% of a whole record pipeline's CPU when profiled.
    std::string out(24, '0');
    auto put = [&out](std::size_t at, std::int64_t value, int width) {
        for (int i = width - 1; i >= 0; --i, value /= 10)
            out[at + static_cast<std::size_t>(i)] = static_cast<char>('0' + value % 10);
    };
    put(0, c.year, 4);
    out[4] = '-';
    put(5, c.month, 2);
    out[7] = '-';
    put(8, c.day, 2);
    out[10] = 'T';
    put(11, rest / 3600000, 2);
    out[13] = ':';
    put(14, rest / 60000 % 60, 2);
    out[16] = ':';
    put(17, rest / 1000 % 60, 2);
    out[19] = '.';
    put(20, rest % 1000, 3);
    out[23] = 'Z';
    return out;
}

// The same instant, written as UTC with milliseconds and Z; nothing when s is not one.
inline std::optional<std::string> normalize_iso8601_utc(std::string_view s) {
    const auto ms = parse_iso8601_ms(s);
    if (!ms) return std::nullopt;
    return format_iso8601_ms(*ms);
}

}  // namespace junction::sdk
