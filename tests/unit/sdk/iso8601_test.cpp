// ISO 8601 date-times: any UTC offset in, UTC with milliseconds and Z out.
#include <doctest/doctest.h>

#include <cstdint>
#include <random>

#include <junction/sdk/iso8601.hpp>

using junction::sdk::format_iso8601_ms;
using junction::sdk::normalize_iso8601_utc;
using junction::sdk::parse_iso8601_ms;

static_assert(parse_iso8601_ms("1970-01-01T00:00:00Z") == 0, "parsing works at compile time");

TEST_CASE("a date-time with any UTC offset parses to the same instant") {
    const auto utc = parse_iso8601_ms("2024-03-01T12:00:00Z");
    REQUIRE(utc);
    CHECK(*utc == 1709294400000);
    CHECK(parse_iso8601_ms("2024-03-01T13:30:00+01:30") == utc);
    CHECK(parse_iso8601_ms("2024-03-01T07:00:00-05:00") == utc);
    CHECK(parse_iso8601_ms("2024-03-01T07:00:00-0500") == utc);
    CHECK(parse_iso8601_ms("2024-03-01T17:00:00+05") == utc);
    CHECK(parse_iso8601_ms("2024-03-01 12:00:00z") == utc);
    CHECK(parse_iso8601_ms("2024-03-01t12:00Z") == utc);
    CHECK(parse_iso8601_ms("2024-03-01T00:00:00+14:00") == *utc - 26 * 3600000LL);
}

TEST_CASE("a date-time without an offset is refused: its instant is unknown") {
    CHECK_FALSE(parse_iso8601_ms("2024-03-01T12:00:00"));
    CHECK_FALSE(parse_iso8601_ms("2024-03-01"));
}

TEST_CASE("impossible dates and times are refused") {
    CHECK_FALSE(parse_iso8601_ms("2023-02-29T00:00:00Z"));
    CHECK_FALSE(parse_iso8601_ms("1900-02-29T00:00:00Z"));
    CHECK_FALSE(parse_iso8601_ms("2024-04-31T00:00:00Z"));
    CHECK_FALSE(parse_iso8601_ms("2024-13-01T00:00:00Z"));
    CHECK_FALSE(parse_iso8601_ms("2024-00-01T00:00:00Z"));
    CHECK_FALSE(parse_iso8601_ms("2024-01-01T24:00:00Z"));
    CHECK_FALSE(parse_iso8601_ms("2024-01-01T12:60:00Z"));
    CHECK_FALSE(parse_iso8601_ms("2024-01-01T12:00:60Z"));
    CHECK_FALSE(parse_iso8601_ms("2024-01-01T12:00:00+24:00"));
    CHECK_FALSE(parse_iso8601_ms("2024-01-01T12:00:00.Z"));
    CHECK_FALSE(parse_iso8601_ms("2024-01-01T12:00:00Z trailing"));
    CHECK_FALSE(parse_iso8601_ms("24-01-01T12:00:00Z"));
    CHECK_FALSE(parse_iso8601_ms(""));
    CHECK(parse_iso8601_ms("2024-02-29T00:00:00Z"));
    CHECK(parse_iso8601_ms("2000-02-29T00:00:00Z"));
}

TEST_CASE("fractions beyond milliseconds are truncated, shorter ones scaled") {
    const auto base = *parse_iso8601_ms("2024-03-01T12:00:00Z");
    CHECK(parse_iso8601_ms("2024-03-01T12:00:00.123456789Z") == base + 123);
    CHECK(parse_iso8601_ms("2024-03-01T12:00:00.5Z") == base + 500);
    CHECK(parse_iso8601_ms("2024-03-01T12:00:00,25Z") == base + 250);
}

TEST_CASE("formatting writes UTC with milliseconds and Z, before the epoch too") {
    CHECK(format_iso8601_ms(0) == "1970-01-01T00:00:00.000Z");
    CHECK(format_iso8601_ms(1709294400123) == "2024-03-01T12:00:00.123Z");
    CHECK(format_iso8601_ms(-1) == "1969-12-31T23:59:59.999Z");
    CHECK(format_iso8601_ms(253402300799999) == "9999-12-31T23:59:59.999Z");
}

TEST_CASE("normalizing writes the same instant as UTC; text that is no date-time gives nothing") {
    CHECK(normalize_iso8601_utc("2024-03-01T12:00:00+02:00") == "2024-03-01T10:00:00.000Z");
    CHECK(normalize_iso8601_utc("2024-12-31T23:30:00-01:00") == "2025-01-01T00:30:00.000Z");
    CHECK_FALSE(normalize_iso8601_utc("yesterday"));
}

TEST_CASE("an offset that moves the instant out of years 0000 to 9999 is refused (fuzz: UTC would not read back)") {
    CHECK_FALSE(parse_iso8601_ms("0000-01-01T00:00:00+00:01"));
    CHECK_FALSE(parse_iso8601_ms("9999-12-31T23:59:59.999-00:01"));
    CHECK(parse_iso8601_ms("0000-01-01T00:00:00-00:01") == junction::sdk::iso8601_min_ms + 60000);
    CHECK(parse_iso8601_ms("0000-01-01T00:00:00Z") == junction::sdk::iso8601_min_ms);
    CHECK(parse_iso8601_ms("9999-12-31T23:59:59.999Z") == junction::sdk::iso8601_max_ms);
}

TEST_CASE("every millisecond of years 0 to 9999 formats and parses back to itself") {
    std::mt19937_64 rng(20240301);
    const std::int64_t first = *parse_iso8601_ms("0000-01-01T00:00:00Z");
    const std::int64_t last = *parse_iso8601_ms("9999-12-31T23:59:59.999Z");
    std::uniform_int_distribution<std::int64_t> any(first, last);
    for (int i = 0; i < 20000; ++i) {
        const auto ms = any(rng);
        const auto text = format_iso8601_ms(ms);
        INFO(text);
        REQUIRE(parse_iso8601_ms(text) == ms);
    }
}
