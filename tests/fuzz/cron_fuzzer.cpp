// Fuzzes cron expressions as `schedule.cron` gets them: parse, and when accepted, the next
// fire time from a few instants (month and year ends, a leap day, 2100's missing one).
// What it checks: a refusal is one non-empty line; an accepted expression fires (parse
// refuses those that never do), strictly after the instant, on a minute that matches(),
// with no matching minute skipped in the two hours before it.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <junction/core/cron.hpp>

namespace {

void check(bool ok) {
    if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace std::chrono;
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    std::string error;
    const auto cron = junction::core::CronExpression::parse(text, error);
    if (!cron) {
        check(!error.empty() && error.find('\n') == std::string::npos);
        return 0;
    }
    const sys_days days[] = {sys_days(year(2026) / 11 / 29), sys_days(year(2028) / 2 / 28),
                             sys_days(year(2099) / 12 / 31), sys_days(year(2100) / 2 / 28)};
    for (const auto day : days) {
        const system_clock::time_point from = day + hours(23) + minutes(59) + seconds(30);
        const auto next = cron->next_after(from);
        check(next.has_value());
        check(*next > from);
        check(cron->matches(*next));
        for (auto m = floor<minutes>(from) + minutes(1); m < *next && m < from + hours(2); m += minutes(1))
            check(!cron->matches(m));
        check(junction::core::count_fires(*cron, from, *next, 10) == 1);
    }
    return 0;
}
