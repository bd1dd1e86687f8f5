// Cron expressions of five fields (minute hour day-of-month month day-of-week), read in
// UTC with Vixie cron's rules, and the times they fire at.
#pragma once

#include <bitset>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace junction::core {

class CronExpression {
public:
    using TimePoint = std::chrono::system_clock::time_point;

    // Fields hold `*`, numbers, names (jan-dec, sun-sat), lists `a,b`, ranges `a-b` and
    // steps `*/n`, `a-b/n`, `a/n` (from a to the end of the field); day-of-week 7 is
    // Sunday as 0 is. Macros: @yearly (@annually), @monthly, @weekly, @daily
    // (@midnight), @hourly. When both day fields are restricted (neither starts with
    // `*`), a day matches if either does; otherwise both must (Vixie cron's rule).
    // An expression that can never fire (`0 0 30 2 *`) is refused. On failure: nullopt,
    // and `error` holds one line such as `minute field "61": must be 0-59`.
    static std::optional<CronExpression> parse(std::string_view text, std::string& error);

    // The first fire time strictly after `t` (a whole minute, UTC). nullopt only when
    // none comes within the next hundred years, which parse() rules out.
    [[nodiscard]] std::optional<TimePoint> next_after(TimePoint t) const;
    // Whether the minute holding `t` is a fire time.
    [[nodiscard]] bool matches(TimePoint t) const;
    [[nodiscard]] const std::string& text() const noexcept { return text_; }

private:
    using Minutes = std::chrono::sys_time<std::chrono::minutes>;
    [[nodiscard]] bool day_matches(std::chrono::sys_days day) const;
    [[nodiscard]] std::optional<Minutes> next_minute(Minutes from) const;

    std::bitset<60> minutes_;
    std::bitset<24> hours_;
    std::bitset<32> days_;     // 1-31
    std::bitset<13> months_;   // 1-12
    std::bitset<7> weekdays_;  // 0 = Sunday
    bool days_star_ = false, weekdays_star_ = false;
    std::string text_;
};

// How many fire times fall in (after, until], counting at most `cap`.
std::uint64_t count_fires(const CronExpression& cron, CronExpression::TimePoint after, CronExpression::TimePoint until,
                          std::uint64_t cap);

}  // namespace junction::core
