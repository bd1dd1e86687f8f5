// Cron expressions: what parses and what is refused (with the exact message), and the
// next fire time across month and year ends, leap years and Vixie cron's day rule.
#include <doctest/doctest.h>

#include <random>
#include <string>

#include <junction/core/cron.hpp>
#include <junction/core/time_text.hpp>

using junction::core::count_fires;
using junction::core::CronExpression;
using junction::core::format_utc_ms;
using namespace std::chrono;

namespace {

system_clock::time_point at(int y, unsigned mo, unsigned d, int h = 0, int mi = 0, int s = 0) {
    return sys_days(year(y) / month(mo) / day(d)) + hours(h) + minutes(mi) + seconds(s);
}

CronExpression cron(const std::string& text) {
    std::string error;
    auto c = CronExpression::parse(text, error);
    REQUIRE_MESSAGE(c.has_value(), text << ": " << error);
    return *c;
}

std::string next(const std::string& text, system_clock::time_point after) {
    const auto n = cron(text).next_after(after);
    REQUIRE(n.has_value());
    return format_utc_ms(*n);
}

std::string refusal(const std::string& text) {
    std::string error;
    const auto c = CronExpression::parse(text, error);
    CHECK_FALSE(c.has_value());
    return error;
}

}  // namespace

TEST_CASE("next fire time: steps, lists and ranges within the hour and the day") {
    CHECK(next("*/15 * * * *", at(2026, 11, 29, 6, 41, 19)) == "2026-11-29T06:45:00.000Z");
    CHECK(next("*/15 * * * *", at(2026, 11, 29, 6, 44, 59) + milliseconds(999)) == "2026-11-29T06:45:00.000Z");
    // Strictly after: a fire time itself gives the next one.
    CHECK(next("*/15 * * * *", at(2026, 11, 29, 6, 45)) == "2026-11-29T07:00:00.000Z");
    CHECK(next("* * * * *", at(2026, 11, 29, 6, 45, 30)) == "2026-11-29T06:46:00.000Z");
    CHECK(next("10-30/10 * * * *", at(2026, 1, 1, 0, 30)) == "2026-01-01T01:10:00.000Z");
    CHECK(next("5/20 * * * *", at(2026, 1, 1, 0, 26)) == "2026-01-01T00:45:00.000Z");
    CHECK(next("0,30 9-17 * * *", at(2026, 1, 1, 17, 30)) == "2026-01-02T09:00:00.000Z");
    CHECK(next("0 0 * * *", at(2026, 1, 1, 23, 59, 59)) == "2026-01-02T00:00:00.000Z");
}

TEST_CASE("next fire time across month ends, year ends and leap years") {
    CHECK(next("0 0 1 * *", at(2026, 1, 31, 12)) == "2026-02-01T00:00:00.000Z");
    CHECK(next("0 12 31 * *", at(2026, 4, 15)) == "2026-05-31T12:00:00.000Z");      // April has 30 days
    CHECK(next("0 12 31 * *", at(2026, 5, 31, 12)) == "2026-07-31T12:00:00.000Z");  // June has 30
    CHECK(next("59 23 31 12 *", at(2026, 12, 31, 23, 59)) == "2027-12-31T23:59:00.000Z");
    CHECK(next("0 0 29 2 *", at(2026, 3, 1)) == "2028-02-29T00:00:00.000Z");
    CHECK(next("0 0 29 2 *", at(2028, 2, 28, 23, 59)) == "2028-02-29T00:00:00.000Z");
    CHECK(next("0 0 29 2 *", at(2096, 3, 1)) == "2104-02-29T00:00:00.000Z");  // 2100 is no leap year
    CHECK(next("0 0 28 2 *", at(2100, 2, 28)) == "2101-02-28T00:00:00.000Z");
    CHECK(next("0 0 1 3 *", at(2100, 2, 28, 23, 59)) == "2100-03-01T00:00:00.000Z");
    // Feb 29 that is a Sunday: */7 in day-of-week is Sunday alone, and '*'-led makes an AND.
    CHECK(next("0 0 29 2 */7", at(2026, 3, 1)) == "2032-02-29T00:00:00.000Z");
}

TEST_CASE("day-of-month and day-of-week: OR when both are restricted, AND when one starts with '*'") {
    // 2026-01-01 is a Thursday: the 13th, or any Friday (Jan 2).
    CHECK(next("0 0 13 * fri", at(2026, 1, 1)) == "2026-01-02T00:00:00.000Z");
    CHECK(next("0 0 29 2 1", at(2026, 3, 1)) == "2027-02-01T00:00:00.000Z");
    // */10 starts with '*': days 1, 11, 21, 31 that are Mondays.
    CHECK(next("0 0 */10 * mon", at(2026, 1, 1)) == "2026-05-11T00:00:00.000Z");
    CHECK(next("0 0 * * mon", at(2026, 1, 1)) == "2026-01-05T00:00:00.000Z");
    CHECK(next("0 0 13 * *", at(2026, 1, 1)) == "2026-01-13T00:00:00.000Z");
}

TEST_CASE("names are case-insensitive, 7 is Sunday, macros expand") {
    CHECK(next("0 9 * JAN-mar MON-fri", at(2026, 3, 31, 9)) == "2027-01-01T09:00:00.000Z");  // a Friday
    CHECK(next("0 0 * * 7", at(2026, 1, 1)) == next("0 0 * * 0", at(2026, 1, 1)));
    CHECK(next("0 0 * * 7", at(2026, 1, 1)) == "2026-01-04T00:00:00.000Z");
    CHECK(next("0 0 * * 5-7", at(2026, 1, 3, 1)) == "2026-01-04T00:00:00.000Z");
    CHECK(next("0 0 * * sun-sat/2", at(2026, 1, 1)) == "2026-01-03T00:00:00.000Z");  // sun, tue, thu, sat
    CHECK(next("@hourly", at(2026, 1, 1, 0, 1)) == "2026-01-01T01:00:00.000Z");
    CHECK(next("@daily", at(2026, 1, 1, 0, 1)) == "2026-01-02T00:00:00.000Z");
    CHECK(next("@midnight", at(2026, 1, 1, 0, 1)) == "2026-01-02T00:00:00.000Z");
    CHECK(next("@weekly", at(2026, 1, 1)) == "2026-01-04T00:00:00.000Z");
    CHECK(next("@monthly", at(2026, 1, 1)) == "2026-02-01T00:00:00.000Z");
    CHECK(next("@yearly", at(2026, 1, 1)) == "2027-01-01T00:00:00.000Z");
    CHECK(next("@annually", at(2026, 1, 1)) == "2027-01-01T00:00:00.000Z");
    CHECK(next("  0\t12  * * *  ", at(2026, 1, 1)) == "2026-01-01T12:00:00.000Z");
    CHECK(cron(" @daily ").text() == "@daily");
}

TEST_CASE("a bad expression is refused with one precise line") {
    CHECK(refusal("61 * * * *") == "minute field \"61\": must be 0-59");
    CHECK(refusal("* 24 * * *") == "hour field \"24\": must be 0-23");
    CHECK(refusal("* * 0 * *") == "day-of-month field \"0\": must be 1-31");
    CHECK(refusal("* * 32 * *") == "day-of-month field \"32\": must be 1-31");
    CHECK(refusal("* * * 13 *") == "month field \"13\": must be 1-12 or jan-dec");
    CHECK(refusal("* * * * 8") == "day-of-week field \"8\": must be 0-7 or sun-sat (0 and 7 are Sunday)");
    CHECK(refusal("* * * foo *") == "month field \"foo\": not a number or a name (1-12 or jan-dec)");
    CHECK(refusal("* * * * monday") ==
          "day-of-week field \"monday\": not a number or a name (0-7 or sun-sat (0 and 7 are Sunday))");
    CHECK(refusal("x * * * *") == "minute field \"x\": not a number (0-59)");
    CHECK(refusal("-1 * * * *") == "minute field \"-1\": a value is missing");
    CHECK(refusal("99999999999 * * * *") == "minute field \"99999999999\": must be 0-59");
    CHECK(refusal("30-10 * * * *") == "minute field \"30-10\": a range goes from low to high");
    CHECK(refusal("*/0 * * * *") == "minute field \"*/0\": the step after '/' must be a number of 1 or more");
    CHECK(refusal("*/ * * * *") == "minute field \"*/\": the step after '/' must be a number of 1 or more");
    CHECK(refusal("1,,2 * * * *") == "minute field \"1,,2\": an empty item in the list");
    CHECK(refusal("1, * * * *") == "minute field \"1,\": an empty item in the list");
    CHECK(refusal("* * * *") == "expected 5 fields (minute hour day-of-month month day-of-week), got 4");
    CHECK(refusal("0 * * * * *") == "expected 5 fields (minute hour day-of-month month day-of-week), got 6");
    CHECK(refusal("") == "expected 5 fields (minute hour day-of-month month day-of-week), got 0");
    // Found by the fuzzer: a line break is a blank, and a control byte is shown escaped.
    CHECK(next("0,30 9-17 * \n*  *", at(2026, 1, 1)) == "2026-01-01T09:00:00.000Z");
    CHECK(refusal("0,30 9-17 * \n*30  *") == "month field \"*30\": not a number or a name (1-12 or jan-dec)");
    CHECK(refusal("0 0 * * \x01") ==
          "day-of-week field \"\\x01\": not a number or a name (0-7 or sun-sat (0 and 7 are Sunday))");
    CHECK(refusal("@reboot") ==
          "\"@reboot\": unknown macro; use @yearly, @annually, @monthly, @weekly, @daily, @midnight or @hourly, or "
          "five fields");
}

TEST_CASE("an expression that can never fire is refused; one that fires rarely is not") {
    CHECK(refusal("0 0 30 2 *") == "day-of-month \"30\" never falls in month \"2\": the expression would never fire");
    CHECK(refusal("0 0 31 4,6,9,11 *") ==
          "day-of-month \"31\" never falls in month \"4,6,9,11\": the expression would never fire");
    CHECK(refusal("0 0 30-31 feb ?") ==
          "day-of-week field \"?\": not a number or a name (0-7 or sun-sat (0 and 7 "
          "are Sunday))");
    // With both day fields restricted, the weekday alone makes it fire (Vixie's OR).
    CHECK(next("0 0 30 2 mon", at(2026, 1, 1)) == "2026-02-02T00:00:00.000Z");
    // A '*'-led weekday makes it an AND with the day of month: still never.
    CHECK(refusal("0 0 31 2 */2") == "day-of-month \"31\" never falls in month \"2\": the expression would never fire");
    CHECK(next("0 0 31 2,3 *", at(2026, 1, 1)) == "2026-03-31T00:00:00.000Z");
}

TEST_CASE("matches() agrees with next_after() minute by minute") {
    const char* exprs[] = {"*/7 * * * *",      "0,30 */3 * * *",  "15 10 * * 1-5",   "0 0 1,15 * *",  "0 12 13 * fri",
                           "*/20 * */2 * sun", "45 23 28-31 * *", "0 6 * jan,jul *", "59 23 31 12 *", "@hourly"};
    std::mt19937_64 rng(42);  // fixed seed: a failure reproduces
    for (const auto* text : exprs) {
        const auto c = cron(text);
        for (int trial = 0; trial < 20; ++trial) {
            const auto start = at(2026, 1, 1) + minutes(rng() % (60 * 24 * 366 * 2)) + seconds(rng() % 60);
            const auto n = c.next_after(start);
            REQUIRE(n.has_value());
            CHECK(*n > start);
            CHECK(c.matches(*n));
            CHECK(*n == floor<minutes>(*n));
            // No fire time is skipped: scan every minute in between (bounded for the sparse ones).
            const auto scan_to = std::min<system_clock::time_point>(*n, floor<minutes>(start) + minutes(60 * 24 * 40));
            bool earlier = false;
            for (auto m = floor<minutes>(start) + minutes(1); m < scan_to && !earlier; m += minutes(1))
                earlier = c.matches(m);
            CHECK_MESSAGE(!earlier, text << " after " << format_utc_ms(start));
        }
    }
}

TEST_CASE("count_fires counts the slots in (after, until], up to the cap") {
    const auto c = cron("*/15 * * * *");
    CHECK(count_fires(c, at(2026, 1, 1), at(2026, 1, 1, 1), 100) == 4);  // 00:15 00:30 00:45 01:00
    CHECK(count_fires(c, at(2026, 1, 1), at(2026, 1, 1, 0, 14), 100) == 0);
    CHECK(count_fires(c, at(2026, 1, 1), at(2026, 1, 2), 100) == 96);
    CHECK(count_fires(c, at(2026, 1, 1), at(2027, 1, 1), 1000) == 1000);
    CHECK(count_fires(cron("0 0 29 2 *"), at(2026, 1, 1), at(2040, 1, 1), 100) == 3);  // 2028, 2032, 2036
}
