// JSON text: doubles in their shortest round-trip form, strings escaped as Boost.JSON
// escapes them, compact or indented.
#include <doctest/doctest.h>

#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <string>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <junction/sdk/json_text.hpp>

namespace json = boost::json;
using namespace junction::sdk;

namespace {

std::string number(double d) {
    return to_json_text(json::value(d));
}

// The double a correct (correctly rounding) reader gets from the text.
double read_exactly(const std::string& text) {
    double d = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), d);
    REQUIRE(ec == std::errc{});
    REQUIRE(end == text.data() + text.size());
    return d;
}

bool same_bits(double a, double b) {
    return std::bit_cast<std::uint64_t>(a) == std::bit_cast<std::uint64_t>(b);
}

std::string random_string(std::mt19937_64& rng) {
    std::uniform_int_distribution<int> length(0, 12), byte(0, 255), pick(0, 3);
    std::string s;
    const int n = length(rng);
    for (int i = 0; i < n; ++i) {
        switch (pick(rng)) {
            case 0:  // control characters, quotes and backslashes: the escapes
                s.push_back("\x01\x1f\"\\\b\f\n\r\t\x0b\x7f/"[std::uniform_int_distribution<int>(0, 11)(rng)]);
                break;
            case 1:
                s += "\xc3\xa9";  // é, UTF-8
                break;
            default:
                s.push_back(static_cast<char>(byte(rng) % 96 + 32));
        }
    }
    return s;
}

// A random JSON tree of every kind but double.
json::value random_value(std::mt19937_64& rng, int depth) {
    const int kind = std::uniform_int_distribution<int>(0, depth > 3 ? 4 : 6)(rng);
    switch (kind) {
        case 0:
            return nullptr;
        case 1:
            return std::uniform_int_distribution<int>(0, 1)(rng) == 1;
        case 2:
            return static_cast<std::int64_t>(rng());
        case 3:
            return rng();  // uint64
        case 4:
            return json::string(random_string(rng));
        case 5: {
            json::array a;
            const int n = std::uniform_int_distribution<int>(0, 4)(rng);
            for (int i = 0; i < n; ++i)
                a.push_back(random_value(rng, depth + 1));
            return a;
        }
        default: {
            json::object o;
            const int n = std::uniform_int_distribution<int>(0, 4)(rng);
            for (int i = 0; i < n; ++i)
                o[random_string(rng)] = random_value(rng, depth + 1);
            return o;
        }
    }
}

}  // namespace

TEST_CASE("doubles are written in the shortest round-trip form") {
    CHECK(number(0.25) == "0.25");
    CHECK(number(0.1) == "0.1");
    CHECK(number(-2.5) == "-2.5");
    CHECK(number(123.456) == "123.456");
    CHECK(number(1e300) == "1e+300");
    CHECK(number(1e-7) == "1e-07");
    CHECK(number(5e-324) == "5e-324");
    CHECK(number(std::numeric_limits<double>::max()) == "1.7976931348623157e+308");
    CHECK(number(0.30000000000000004) == "0.30000000000000004");
}

TEST_CASE("an integral double keeps a .0 and reads back as a double, not an integer") {
    CHECK(number(1000.0) == "1000.0");
    CHECK(number(0.0) == "0.0");
    CHECK(number(-0.0) == "-0.0");
    CHECK(number(1e15) == "1e+15");
    CHECK(json::parse(number(1000.0)).is_double());
    CHECK(json::parse(number(-0.0)).is_double());
    CHECK(std::signbit(json::parse(number(-0.0)).get_double()));
    CHECK(json::parse(number(1e15)).is_double());
}

TEST_CASE("never the E-notation of Boost.JSON 1.81's serializer") {
    const json::value v = json::array{0.25, 1000.0, 1e300};
    CHECK(json::serialize(v) != to_json_text(v));  // what this header exists for
    CHECK(to_json_text(v) == "[0.25,1000.0,1e+300]");
}

TEST_CASE("a NaN or an infinity, which JSON cannot hold, is written as null") {
    CHECK(number(std::numeric_limits<double>::quiet_NaN()) == "null");
    CHECK(number(std::numeric_limits<double>::infinity()) == "null");
    CHECK(number(-std::numeric_limits<double>::infinity()) == "null");
}

TEST_CASE("doubles read back exactly, over many random values") {
    std::mt19937_64 rng(1234567);
    std::uniform_real_distribution<double> unit(0.0, 1000.0);
    int checked = 0;
    for (int i = 0; i < 200000; ++i) {
        double d = 0;
        if (i % 2 == 0) {
            d = std::bit_cast<double>(rng());  // every exponent, subnormals too
            if (!std::isfinite(d)) continue;
        } else {
            d = unit(rng);
        }
        const auto text = to_json_text(json::array{d});
        const auto inner = text.substr(1, text.size() - 2);
        INFO(inner);
        REQUIRE(same_bits(read_exactly(inner), d));
        REQUIRE(json::parse(text).as_array()[0].is_double());
        ++checked;
    }
    CHECK(checked > 150000);
}

TEST_CASE("short decimals (prices, rates) also read back exactly through Boost.JSON's own parser") {
    // Boost.JSON 1.81 reads up to 15 significant digits with a power of ten up to 22
    // exactly (it is not correctly rounded beyond): the common case, which must hold.
    std::mt19937_64 rng(42);
    std::uniform_int_distribution<std::int64_t> cents(-100000000, 100000000);
    std::uniform_int_distribution<int> scale(0, 6);
    for (int i = 0; i < 100000; ++i) {
        const double d = static_cast<double>(cents(rng)) / std::pow(10.0, scale(rng));
        const auto text = number(d);
        INFO(text);
        const auto back = json::parse(text);
        REQUIRE(back.is_double());
        REQUIRE(same_bits(back.get_double(), d));
    }
}

TEST_CASE("strings are escaped exactly as Boost.JSON escapes them") {
    const std::string s = "q\" b\\ /\b\f\n\r\t\x01\x0b\x1f\x7f \xc3\xa9";
    CHECK(to_json_text(json::value(s)) == R"("q\" b\\ /\b\f\n\r\t\u0001\u000b\u001f)"
                                          "\x7f \xc3\xa9\"");
    CHECK(to_json_text(json::value(s)) == json::serialize(json::value(s)));
}

TEST_CASE("compact text is Boost.JSON's own for every value without doubles") {
    std::mt19937_64 rng(7);
    for (int i = 0; i < 5000; ++i) {
        const auto v = random_value(rng, 0);
        const auto expected = json::serialize(v);
        REQUIRE(to_json_text(v) == expected);
        if (v.is_object()) REQUIRE(to_json_text(v.get_object()) == expected);
        if (v.is_array()) REQUIRE(to_json_text(v.get_array()) == expected);
    }
}

TEST_CASE("indented text puts one member a line, and reads back as the same value") {
    const auto v = json::parse(R"({"a":1,"b":[true,null,{"c":"x"}],"d":{},"e":[],"f":2.5})");
    CHECK(to_json_text_indented(v) ==
          "{\n"
          "  \"a\": 1,\n"
          "  \"b\": [\n"
          "    true,\n"
          "    null,\n"
          "    {\n"
          "      \"c\": \"x\"\n"
          "    }\n"
          "  ],\n"
          "  \"d\": {},\n"
          "  \"e\": [],\n"
          "  \"f\": 2.5\n"
          "}");
    CHECK(to_json_text_indented(v.as_object(), 4).find("\n    \"a\": 1,") != std::string::npos);
    CHECK(json::parse(to_json_text_indented(v)) == v);
}

TEST_CASE("appending reuses the buffer, one document after another") {
    std::string out = "x";
    append_json_text(out, json::object{{"a", 1}});
    out += '\n';
    append_json_text(out, json::array{1.0, "b"});
    CHECK(out == "x{\"a\":1}\n[1.0,\"b\"]");
}
