// sdk::Decimal and number_texts(): exact decimals from a JSON number's text (the
// submissions' identity in substance compares concentrations this way).
#include <doctest/doctest.h>

#include <string>
#include <system_error>

#include <junction/sdk/decimal.hpp>

using junction::sdk::Decimal;
using junction::sdk::number_texts;

namespace {

Decimal dec(const std::string& text) {
    const auto d = Decimal::parse(text);
    REQUIRE_MESSAGE(d.has_value(), "not a decimal: " << text);
    return *d;
}

std::string canon(const std::string& text) {
    return dec(text).canonical();
}

}  // namespace

TEST_CASE("one value, one canonical text, whatever the number's form") {
    for (const char* t : {"15.5", "15.50", "1.55e1", "1.55E+1", "155e-1", "0.155e2", "15.500000000000000000000"})
        CHECK_MESSAGE(canon(t) == "15.5", t);
    CHECK(canon("100") == "100");
    CHECK(canon("1e2") == "100");
    CHECK(canon("100.000") == "100");
    CHECK(canon("0") == "0");
    CHECK(canon("-0") == "0");
    CHECK(canon("-0.0e5") == "0");
    CHECK(canon("0.001") == "0.001");
    CHECK(canon("1e-3") == "0.001");
    CHECK(canon("-2.50") == "-2.5");
    CHECK(canon("12345678901234567890123456789") == "12345678901234567890123456789");  // beyond any double
    CHECK(canon("1e300") == "1e+300");
    CHECK(canon("-12e-200") == "-12e-200");
    CHECK(dec("15.5") == dec("1.55e1"));
    CHECK(dec("0") == dec("-0"));
}

TEST_CASE("exact where doubles are not: 0.1 + 0.2 is 0.3, and 33.3 + 33.3 + 33.4 is 100") {
    CHECK(0.1 + 0.2 != 0.3);  // the reason for Decimal
    CHECK(*(dec("0.1") + dec("0.2")) == dec("0.3"));
    const auto sum = *(*(dec("33.3") + dec("33.3")) + dec("33.4"));
    CHECK(sum == dec("100"));
    CHECK(sum.canonical() == "100");
    CHECK(*(dec("100") + dec("-0.000001")) < dec("100"));
    CHECK(*(dec("-5") + dec("5")) == Decimal());
    CHECK((*(dec("1.5") + dec("-4"))).canonical() == "-2.5");
    CHECK((*(dec("1e10") + dec("1e-10"))).canonical() == "10000000000.0000000001");
}

TEST_CASE("ordering: sign, then magnitude, then digits") {
    CHECK(dec("0.1") < dec("0.10000000000000000001"));
    CHECK(dec("99.999") < dec("100"));
    CHECK(dec("100") <= dec("1e2"));
    CHECK(dec("-1") < dec("0"));
    CHECK(dec("-2") < dec("-1"));
    CHECK(dec("-0.5") > dec("-0.50001"));
    CHECK(dec("0") < dec("1e-1000"));
    CHECK(dec("9e2") < dec("1e3"));
    CHECK(dec("12") > dec("1.2"));
    CHECK_FALSE(dec("15.5").is_negative());
    CHECK(dec("-15.5").is_negative());
}

TEST_CASE("only JSON's number grammar, within the bounds, is a Decimal") {
    for (const char* t : {"", "-", "01", "-01", "1.", ".5", "+1", "1e", "1e+", "1.5.2", "NaN", "Infinity", "0x10",
                          "1 ", " 1", "1,5", "1e5x"})
        CHECK_MESSAGE(!Decimal::parse(t).has_value(), "accepted: \"" << t << "\"");
    CHECK(Decimal::parse("1e1000").has_value() == false);  // 10^1000 has 1001 digits
    CHECK(Decimal::parse("1e999").has_value());
    CHECK(Decimal::parse("1e-1000").has_value());
    CHECK_FALSE(Decimal::parse("1e-1001").has_value());
    CHECK_FALSE(Decimal::parse("1e99999999999999999999").has_value());
    CHECK_FALSE(Decimal::parse(std::string(1001, '7')).has_value());
    CHECK(Decimal::parse("0e99999").has_value());  // zero, whatever its exponent
    CHECK_FALSE((dec("9e999") + dec("9e999")).has_value());  // the sum leaves the bounds
}

TEST_CASE("number_texts: every number's own text, by JSON Pointer") {
    std::error_code ec;
    const auto texts = number_texts(
        R"({"name": "Rose", "materials": [{"name": "a", "concentration": 15.50}, {"name": "b", "concentration": 1.55e1}],
            "a/b": {"m~n": [1, [2.0, -0]]}, "big": 12345678901234567890123, "n": null, "t": true, "s": "1"})",
        ec);
    REQUIRE_FALSE(ec);
    CHECK(texts.size() == 6);
    CHECK(texts.at("/materials/0/concentration") == "15.50");
    CHECK(texts.at("/materials/1/concentration") == "1.55e1");
    CHECK(texts.at("/a~1b/m~0n/0") == "1");
    CHECK(texts.at("/a~1b/m~0n/1/0") == "2.0");
    CHECK(texts.at("/a~1b/m~0n/1/1") == "-0");
    CHECK(texts.at("/big") == "12345678901234567890123");

    CHECK(number_texts("42.10", ec).at("") == "42.10");
    CHECK_FALSE(ec);
    CHECK(number_texts("[]", ec).empty());
    CHECK_FALSE(ec);

    CHECK(number_texts(R"({"a": 1,})", ec).empty());
    CHECK(ec);
    CHECK(number_texts(R"({"a": 1} x)", ec).empty());
    CHECK(ec);
    CHECK(number_texts("", ec).empty());
    CHECK(ec);
}
