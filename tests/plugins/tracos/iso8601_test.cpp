#include <doctest/doctest.h>

#include "common/iso8601.hpp"

using junction::common::format_iso8601_ms;
using junction::common::normalize_iso8601_utc;
using junction::common::parse_iso8601_ms;

TEST_CASE("iso8601: Z is UTC and written back with milliseconds") {
    CHECK(normalize_iso8601_utc("2024-03-01T12:00:00Z") == "2024-03-01T12:00:00.000Z");
}

TEST_CASE("iso8601: a negative offset moves the instant later in UTC") {
    CHECK(normalize_iso8601_utc("2024-03-01T21:30:00-03:00") == "2024-03-02T00:30:00.000Z");
}

TEST_CASE("iso8601: a positive half-hour offset moves the instant earlier in UTC") {
    CHECK(normalize_iso8601_utc("2024-03-01T05:00:00+05:30") == "2024-02-29T23:30:00.000Z");
}

TEST_CASE("iso8601: fractional seconds are kept to the millisecond and truncated beyond") {
    CHECK(normalize_iso8601_utc("2024-03-01T12:00:00.5Z") == "2024-03-01T12:00:00.500Z");
    CHECK(normalize_iso8601_utc("2024-03-01T12:00:00.123456+00:00") == "2024-03-01T12:00:00.123Z");
}

TEST_CASE("iso8601: basic offset forms +HHMM and +HH are accepted") {
    CHECK(normalize_iso8601_utc("2024-03-01T12:00:00+0130") == "2024-03-01T10:30:00.000Z");
    CHECK(normalize_iso8601_utc("2024-03-01T12:00:00-02") == "2024-03-01T14:00:00.000Z");
}

TEST_CASE("iso8601: the epoch is zero and formats back") {
    CHECK(parse_iso8601_ms("1970-01-01T00:00:00Z") == 0);
    CHECK(format_iso8601_ms(0) == "1970-01-01T00:00:00.000Z");
    CHECK(format_iso8601_ms(-1) == "1969-12-31T23:59:59.999Z");
}

TEST_CASE("iso8601: a date-time without an offset is refused") {
    CHECK_FALSE(parse_iso8601_ms("2024-03-01T12:00:00"));
}

TEST_CASE("iso8601: impossible dates and garbage are refused") {
    CHECK_FALSE(parse_iso8601_ms("2023-02-29T00:00:00Z"));
    CHECK(parse_iso8601_ms("2024-02-29T00:00:00Z"));
    CHECK_FALSE(parse_iso8601_ms("2024-13-01T00:00:00Z"));
    CHECK_FALSE(parse_iso8601_ms("2024-01-01T24:00:00Z"));
    CHECK_FALSE(parse_iso8601_ms("yesterday"));
    CHECK_FALSE(parse_iso8601_ms("2024-01-01"));
    CHECK_FALSE(parse_iso8601_ms("2024-01-01T00:00:00Zjunk"));
    CHECK_FALSE(parse_iso8601_ms("2024-01-01T00:00:00.Z"));
}
