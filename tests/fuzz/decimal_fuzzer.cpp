// Fuzzes sdk::Decimal and number_texts() (exact decimals from a JSON number's text).
// Input: a JSON document. What it checks:
// - number_texts() accepts exactly the documents Boost.JSON's parse() accepts, and each
//   text it gives is read by Decimal::parse() (unless out of its bounds) as a value whose
//   canonical text strtod() reads as the same double as the original text;
// - a Decimal's canonical() text reads back as the same Decimal and is its own canonical
//   form; sums are commutative, a + b - b comes back to a, and <=> agrees with the sums'
//   signs.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <boost/json.hpp>
#include <junction/sdk/decimal.hpp>

namespace {

void check(bool ok) {
    if (!ok) __builtin_trap();
}

using junction::sdk::Decimal;

void check_decimal(const Decimal& d) {
    const auto text = d.canonical();
    const auto again = Decimal::parse(text);
    check(again.has_value() && *again == d && again->canonical() == text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    std::error_code ec;
    const auto texts = junction::sdk::number_texts(text, ec);
    boost::system::error_code jec;
    (void)boost::json::parse(text, jec);
    check(!ec == !jec);
    if (ec) return 0;

    std::vector<Decimal> decimals;
    for (const auto& [pointer, number] : texts) {
        const auto d = Decimal::parse(number);
        if (!d) continue;  // outside Decimal's bounds
        check_decimal(*d);
        // The same value as the parser's double, as far as a double can say.
        const double x = std::strtod(d->canonical().c_str(), nullptr);
        const double y = std::strtod(number.c_str(), nullptr);
        check(x == y || (std::isnan(x) && std::isnan(y)));
        decimals.push_back(*d);
    }
    for (std::size_t i = 0; i + 1 < decimals.size() && i < 16; ++i) {
        const auto& a = decimals[i];
        const auto& b = decimals[i + 1];
        const auto ab = a + b;
        const auto ba = b + a;
        check(ab.has_value() == ba.has_value());
        if (!ab) continue;
        check(*ab == *ba);
        check_decimal(*ab);
        const auto minus_b = Decimal::parse(b.is_zero() ? "0" : (b.is_negative() ? b.canonical().substr(1) : "-" + b.canonical()));
        check(minus_b.has_value());
        const auto back = *ab + *minus_b;
        check(back.has_value() && *back == a);
        // a < b exactly when a - b is negative
        const auto diff = a + *minus_b;
        if (diff) check((a < b) == diff->is_negative() && (a == b) == diff->is_zero());
    }
    return 0;
}
