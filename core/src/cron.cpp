// Cron expressions: parsed into one bit set per field, next fire time by skipping whole
// months, days and hours that cannot match. Debian packages no C++ cron library, so
// this is ours; the rules are Vixie cron's (crontab(5)), in UTC, so there is no DST.
#include "junction/core/cron.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <vector>

namespace junction::core {
namespace {

using namespace std::chrono;

struct Field {
    const char* name;
    int min, max;
    const char* range_text;
    const std::array<std::string_view, 12>* names;  // names[i] stands for min + i
};

constexpr std::array<std::string_view, 12> month_names = {"jan", "feb", "mar", "apr", "may", "jun",
                                                          "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr std::array<std::string_view, 12> weekday_names = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};

constexpr std::array<Field, 5> fields = {{
    {"minute", 0, 59, "0-59", nullptr},
    {"hour", 0, 23, "0-23", nullptr},
    {"day-of-month", 1, 31, "1-31", nullptr},
    {"month", 1, 12, "1-12 or jan-dec", &month_names},
    {"day-of-week", 0, 7, "0-7 or sun-sat (0 and 7 are Sunday)", &weekday_names},
}};

// A field as the message shows it: on one line, control bytes as \xNN.
std::string quoted(std::string_view s) {
    std::string out = "\"";
    for (const char c : s) {
        const auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f) {
            static constexpr char hex[] = "0123456789abcdef";
            out += "\\x";
            out += hex[u >> 4];
            out += hex[u & 0xf];
        } else {
            out += c;
        }
    }
    return out + "\"";
}

constexpr std::string_view blanks = " \t\n\r\v\f";

std::vector<std::string_view> split(std::string_view s, char sep) {
    std::vector<std::string_view> out;
    std::size_t start = 0;
    while (true) {
        const auto at = s.find(sep, start);
        out.push_back(s.substr(start, at == std::string_view::npos ? std::string_view::npos : at - start));
        if (at == std::string_view::npos) return out;
        start = at + 1;
    }
}

// A number or a name of the field; the error names the field and the item.
std::optional<int> value_of(std::string_view token, const Field& f, std::string_view item, std::string& error) {
    if (token.empty()) {
        error = std::string(f.name) + " field " + quoted(item) + ": a value is missing";
        return std::nullopt;
    }
    if (std::all_of(token.begin(), token.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        // Past 9 digits it is out of range anyway; stop before int overflows.
        long v = 0;
        for (char c : token.substr(0, std::min<std::size_t>(token.size(), 10)))
            v = v * 10 + (c - '0');
        if (token.size() > 9 || v < f.min || v > f.max) {
            error = std::string(f.name) + " field " + quoted(token) + ": must be " + f.range_text;
            return std::nullopt;
        }
        return static_cast<int>(v);
    }
    if (f.names != nullptr && token.size() == 3) {
        std::string lower(token);
        for (auto& c : lower)
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        for (std::size_t i = 0; i < f.names->size(); ++i)
            if (!(*f.names)[i].empty() && (*f.names)[i] == lower) return f.min + static_cast<int>(i);
    }
    error = std::string(f.name) + " field " + quoted(token) + ": not a number" +
            (f.names != nullptr ? std::string(" or a name") : std::string()) + " (" + f.range_text + ")";
    return std::nullopt;
}

// One comma-separated field into `bits` (indexed by value); `star` says it began with '*'.
template <std::size_t N>
bool parse_field(std::string_view text, const Field& f, std::bitset<N>& bits, bool& star, std::string& error) {
    star = !text.empty() && text.front() == '*';
    for (const auto item : split(text, ',')) {
        if (item.empty()) {
            error = std::string(f.name) + " field " + quoted(text) + ": an empty item in the list";
            return false;
        }
        const auto slash = item.find('/');
        const auto range = item.substr(0, slash);
        int step = 1;
        if (slash != std::string_view::npos) {
            const auto step_text = item.substr(slash + 1);
            const bool digits =
                !step_text.empty() && step_text.size() <= 9 &&
                std::all_of(step_text.begin(), step_text.end(), [](char c) { return c >= '0' && c <= '9'; });
            step = digits ? std::stoi(std::string(step_text)) : 0;
            if (step < 1) {
                error = std::string(f.name) + " field " + quoted(item) +
                        ": the step after '/' must be a number of 1 or more";
                return false;
            }
        }
        int low = f.min, high = f.max;
        if (range == "*") {
            if (f.max == 7) high = 6;  // `*` in day-of-week: 7 is Sunday again
        } else {
            const auto dash = range.find('-');
            const auto first = value_of(range.substr(0, dash), f, item, error);
            if (!first) return false;
            low = *first;
            if (dash != std::string_view::npos) {
                const auto last = value_of(range.substr(dash + 1), f, item, error);
                if (!last) return false;
                high = *last;
                if (high < low) {
                    error = std::string(f.name) + " field " + quoted(item) + ": a range goes from low to high";
                    return false;
                }
            } else if (slash == std::string_view::npos) {
                high = low;
            }  // `a/n`: from a to the end of the field
        }
        for (int v = low; v <= high; v += step)
            bits.set(static_cast<std::size_t>(f.max == 7 && v == 7 ? 0 : v));
    }
    return true;
}

constexpr std::array<unsigned, 13> longest_month = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

std::optional<std::string_view> macro(std::string_view name) {
    if (name == "@yearly" || name == "@annually") return "0 0 1 1 *";
    if (name == "@monthly") return "0 0 1 * *";
    if (name == "@weekly") return "0 0 * * 0";
    if (name == "@daily" || name == "@midnight") return "0 0 * * *";
    if (name == "@hourly") return "0 * * * *";
    return std::nullopt;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && blanks.find(s.front()) != std::string_view::npos)
        s.remove_prefix(1);
    while (!s.empty() && blanks.find(s.back()) != std::string_view::npos)
        s.remove_suffix(1);
    return s;
}

}  // namespace

std::optional<CronExpression> CronExpression::parse(std::string_view text, std::string& error) {
    auto body = trim(text);
    if (!body.empty() && body.front() == '@') {
        const auto expanded = macro(body);
        if (!expanded) {
            error = quoted(body) +
                    ": unknown macro; use @yearly, @annually, @monthly, @weekly, @daily, @midnight or "
                    "@hourly, or five fields";
            return std::nullopt;
        }
        body = *expanded;
    }
    std::vector<std::string_view> parts;
    for (std::size_t i = 0; i < body.size();) {
        if (blanks.find(body[i]) != std::string_view::npos) {
            ++i;
            continue;
        }
        const auto end = body.find_first_of(blanks, i);
        parts.push_back(body.substr(i, end == std::string_view::npos ? std::string_view::npos : end - i));
        i = end == std::string_view::npos ? body.size() : end;
    }
    if (parts.size() != 5) {
        error = "expected 5 fields (minute hour day-of-month month day-of-week), got " + std::to_string(parts.size());
        return std::nullopt;
    }
    CronExpression c;
    c.text_ = std::string(trim(text));
    bool star = false;
    if (!parse_field(parts[0], fields[0], c.minutes_, star, error) ||
        !parse_field(parts[1], fields[1], c.hours_, star, error) ||
        !parse_field(parts[2], fields[2], c.days_, c.days_star_, error) ||
        !parse_field(parts[3], fields[3], c.months_, star, error) ||
        !parse_field(parts[4], fields[4], c.weekdays_, c.weekdays_star_, error))
        return std::nullopt;
    // Days come from the day-of-month alone when the day-of-week is `*`-led (or both are
    // and any day goes): then some chosen day must exist in some chosen month.
    if (c.weekdays_star_ || c.days_star_) {
        bool fires = false;
        for (unsigned m = 1; m <= 12 && !fires; ++m)
            for (unsigned d = 1; d <= longest_month[m] && !fires; ++d)
                fires = c.months_[m] && c.days_[d];
        if (!fires) {
            error = "day-of-month " + quoted(parts[2]) + " never falls in month " + quoted(parts[3]) +
                    ": the expression would never fire";
            return std::nullopt;
        }
    }
    return c;
}

bool CronExpression::day_matches(sys_days day) const {
    const year_month_day ymd{day};
    const bool dom = days_[static_cast<unsigned>(ymd.day())];
    const bool dow = weekdays_[weekday{day}.c_encoding()];
    // Vixie cron: either field led by '*' makes the two an AND; both restricted, an OR.
    return (days_star_ || weekdays_star_) ? (dom && dow) : (dom || dow);
}

bool CronExpression::matches(TimePoint t) const {
    const auto m = floor<minutes>(t);
    const auto day = floor<days>(m);
    const auto in_day = m - day;
    return months_[static_cast<unsigned>(year_month_day{day}.month())] && day_matches(day) &&
           hours_[static_cast<std::size_t>(in_day.count() / 60)] &&
           minutes_[static_cast<std::size_t>(in_day.count() % 60)];
}

std::optional<CronExpression::Minutes> CronExpression::next_minute(Minutes t) const {
    // Feb 29 on a chosen weekday can be 40 years away (2100 is no leap year); 100 covers it.
    const auto limit = t + years(100);
    while (t < limit) {
        const auto day = floor<days>(t);
        const year_month_day ymd{day};
        if (!months_[static_cast<unsigned>(ymd.month())]) {
            const auto next = year_month{ymd.year(), ymd.month()} + months(1);
            t = Minutes(sys_days(next / 1));
            continue;
        }
        if (!day_matches(day)) {
            t = Minutes(day + days(1));
            continue;
        }
        const auto in_day = (t - day).count();
        auto h = static_cast<std::size_t>(in_day / 60);
        auto m = static_cast<std::size_t>(in_day % 60);
        while (h < 24 && !hours_[h]) {
            ++h;
            m = 0;
        }
        if (h == 24) {
            t = Minutes(day + days(1));
            continue;
        }
        while (m < 60 && !minutes_[m])
            ++m;
        if (m == 60) {
            t = Minutes(day + hours(h + 1));
            continue;
        }
        return Minutes(day + hours(h) + minutes(m));
    }
    return std::nullopt;
}

std::optional<CronExpression::TimePoint> CronExpression::next_after(TimePoint t) const {
    const auto next = next_minute(floor<minutes>(t) + minutes(1));
    if (!next) return std::nullopt;
    return time_point_cast<TimePoint::duration>(*next);
}

std::uint64_t count_fires(const CronExpression& cron, CronExpression::TimePoint after, CronExpression::TimePoint until,
                          std::uint64_t cap) {
    std::uint64_t n = 0;
    auto t = after;
    while (n < cap) {
        const auto next = cron.next_after(t);
        if (!next || *next > until) break;
        ++n;
        t = *next;
    }
    return n;
}

}  // namespace junction::core
