// Exact decimals from a JSON number's text. Boost.JSON reads 0.1 as the double nearest to
// it and 15.50 as the same double as 15.5, so neither equality in substance ("15.5",
// "15.50" and "1.55e1" are one concentration) nor an exact sum ("33.3 + 33.3 + 33.4 is
// at most 100") can be decided on its values. Decimal keeps the digits: parse() reads
// the text JSON allows for a number, canonical() writes one text per value, and +, ==
// and <=> are exact (the sum through Boost.Multiprecision's cpp_int). number_texts()
// gives the text of every number of a document, by JSON Pointer, for the values a parse
// has already turned into doubles.
#pragma once

#include <algorithm>
#include <compare>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/error.hpp>
#include <boost/json/value.hpp>
#include <boost/multiprecision/cpp_int.hpp>

#include "json_text.hpp"

namespace junction::sdk {

class Decimal {
public:
    // Values are kept within 10^-max_exponent .. 10^max_exponent in magnitude (with up to
    // max_digits significant digits); parse() refuses the rest, so no arithmetic on them
    // can grow without bound.
    static constexpr std::int64_t max_exponent = 1000;
    static constexpr std::size_t max_digits = 1000;

    Decimal() = default;  // zero

    // The JSON grammar of a number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
    // Empty for any other text, or a value outside the bounds above.
    static std::optional<Decimal> parse(std::string_view text) {
        std::size_t i = 0;
        Decimal d;
        const bool negative = i < text.size() && text[i] == '-';
        if (negative) ++i;
        const auto digit = [&](std::size_t k) { return k < text.size() && text[k] >= '0' && text[k] <= '9'; };
        if (!digit(i)) return std::nullopt;
        std::string digits;
        std::int64_t exponent = 0;
        if (text[i] == '0') {
            ++i;
            if (digit(i)) return std::nullopt;  // a leading zero
        } else {
            while (digit(i))
                digits += text[i++];
        }
        if (i < text.size() && text[i] == '.') {
            ++i;
            if (!digit(i)) return std::nullopt;
            while (digit(i)) {
                digits += text[i++];
                --exponent;
            }
        }
        if (i < text.size() && (text[i] == 'e' || text[i] == 'E')) {
            ++i;
            bool minus = false;
            if (i < text.size() && (text[i] == '+' || text[i] == '-')) minus = text[i++] == '-';
            if (!digit(i)) return std::nullopt;
            std::int64_t e = 0;
            while (digit(i)) {
                if (e > 100'000'000) return std::nullopt;  // far out of range either way
                e = e * 10 + (text[i++] - '0');
            }
            exponent += minus ? -e : e;
        }
        if (i != text.size()) return std::nullopt;
        // value = digits x 10^exponent: drop leading zeros, then fold trailing ones into the exponent
        const auto first = digits.find_first_not_of('0');
        if (first == std::string::npos) return Decimal();  // zero, whatever its sign or form
        digits.erase(0, first);
        const auto last = digits.find_last_not_of('0');
        exponent += static_cast<std::int64_t>(digits.size() - 1 - last);
        digits.erase(last + 1);
        const auto magnitude = exponent + static_cast<std::int64_t>(digits.size());  // 10^(magnitude-1) <= |v|
        if (digits.size() > max_digits || magnitude > max_exponent || exponent < -max_exponent) return std::nullopt;
        d.negative_ = negative;
        d.digits_ = std::move(digits);
        d.exponent_ = exponent;
        return d;
    }

    // One text per value: "15.5" for 15.50 and 1.55e1, "100" for 1e2, "0" for -0.0,
    // "0.001"; plain notation while it is at most 40 characters longer than the digits,
    // else digits and exponent ("1e+300", "-12e-200").
    [[nodiscard]] std::string canonical() const {
        if (digits_.empty()) return "0";
        std::string out = negative_ ? "-" : "";
        const auto n = static_cast<std::int64_t>(digits_.size());
        if (exponent_ >= 0 && exponent_ <= 40) {
            out += digits_;
            out.append(static_cast<std::size_t>(exponent_), '0');
        } else if (exponent_ < 0 && -exponent_ < n) {
            out += digits_.substr(0, static_cast<std::size_t>(n + exponent_));
            out += '.';
            out += digits_.substr(static_cast<std::size_t>(n + exponent_));
        } else if (exponent_ < 0 && -exponent_ - n <= 40) {
            out += "0.";
            out.append(static_cast<std::size_t>(-exponent_ - n), '0');
            out += digits_;
        } else {
            out += digits_;
            out += exponent_ > 0 ? "e+" : "e-";
            out += std::to_string(exponent_ > 0 ? exponent_ : -exponent_);
        }
        return out;
    }

    [[nodiscard]] bool is_zero() const noexcept { return digits_.empty(); }
    [[nodiscard]] bool is_negative() const noexcept { return negative_; }

    friend bool operator==(const Decimal&, const Decimal&) = default;

    friend std::strong_ordering operator<=>(const Decimal& a, const Decimal& b) {
        if (a.negative_ != b.negative_) return a.negative_ ? std::strong_ordering::less : std::strong_ordering::greater;
        const auto m = compare_magnitude(a, b);
        return a.negative_ ? 0 <=> m : m <=> 0;
    }

    // The exact sum; empty when it leaves the bounds.
    friend std::optional<Decimal> operator+(const Decimal& a, const Decimal& b) {
        if (a.is_zero()) return b;
        if (b.is_zero()) return a;
        using boost::multiprecision::cpp_int;
        const auto exponent = std::min(a.exponent_, b.exponent_);
        const auto scaled = [exponent](const Decimal& d) {
            cpp_int v(d.digits_);
            v *= boost::multiprecision::pow(cpp_int(10), static_cast<unsigned>(d.exponent_ - exponent));
            return d.negative_ ? cpp_int(-v) : v;
        };
        const cpp_int sum = scaled(a) + scaled(b);
        if (sum == 0) return Decimal();
        std::string text = (sum < 0 ? cpp_int(-sum) : sum).str();
        if (sum < 0) text.insert(0, "-");
        text += "e" + std::to_string(exponent);
        return parse(text);
    }

private:
    // -1, 0, 1 as |a| is less than, equal to or greater than |b|
    static int compare_magnitude(const Decimal& a, const Decimal& b) {
        if (a.digits_.empty() || b.digits_.empty()) return a.digits_.empty() ? (b.digits_.empty() ? 0 : -1) : 1;
        const auto ma = a.exponent_ + static_cast<std::int64_t>(a.digits_.size());
        const auto mb = b.exponent_ + static_cast<std::int64_t>(b.digits_.size());
        if (ma != mb) return ma < mb ? -1 : 1;
        // Same leading position: the digit strings, the shorter padded with zeros.
        const auto n = std::max(a.digits_.size(), b.digits_.size());
        for (std::size_t k = 0; k < n; ++k) {
            const char x = k < a.digits_.size() ? a.digits_[k] : '0';
            const char y = k < b.digits_.size() ? b.digits_[k] : '0';
            if (x != y) return x < y ? -1 : 1;
        }
        return 0;
    }

    bool negative_ = false;
    std::string digits_;  // no leading or trailing zero; empty for zero
    std::int64_t exponent_ = 0;
};

// One reference token of a JSON Pointer (RFC 6901): ~ as ~0, / as ~1.
inline std::string json_pointer_token(std::string_view key) {
    std::string out;
    for (const char c : key) {
        if (c == '~')
            out += "~0";
        else if (c == '/')
            out += "~1";
        else
            out += c;
    }
    return out;
}

namespace detail {

// boost::json::basic_parser's handler for number_texts(): the path of every value as a
// JSON Pointer, and the text of every number.
class NumberTextHandler {
public:
    static constexpr std::size_t max_object_size = std::size_t(-1);
    static constexpr std::size_t max_array_size = std::size_t(-1);
    static constexpr std::size_t max_key_size = std::size_t(-1);
    static constexpr std::size_t max_string_size = std::size_t(-1);

    std::map<std::string, std::string> texts;

    bool on_document_begin(boost::json::error_code&) { return true; }
    bool on_document_end(boost::json::error_code&) { return true; }
    bool on_object_begin(boost::json::error_code&) {
        value_begins();
        frames_.push_back({false, 0, path_.size()});
        return true;
    }
    bool on_object_end(std::size_t, boost::json::error_code&) { return container_ends(); }
    bool on_array_begin(boost::json::error_code&) {
        value_begins();
        frames_.push_back({true, 0, path_.size()});
        return true;
    }
    bool on_array_end(std::size_t, boost::json::error_code&) { return container_ends(); }
    bool on_key_part(std::string_view s, std::size_t, boost::json::error_code&) {
        key_ += s;
        return true;
    }
    bool on_key(std::string_view s, std::size_t, boost::json::error_code&) {
        key_ += s;
        path_.resize(frames_.back().path_size);
        path_ += '/' + json_pointer_token(key_);
        key_.clear();
        return true;
    }
    bool on_string_part(std::string_view, std::size_t, boost::json::error_code&) { return true; }
    bool on_string(std::string_view, std::size_t, boost::json::error_code&) { return scalar(); }
    bool on_number_part(std::string_view s, boost::json::error_code&) {
        number_ += s;
        return true;
    }
    bool on_int64(std::int64_t, std::string_view s, boost::json::error_code&) { return number(s); }
    bool on_uint64(std::uint64_t, std::string_view s, boost::json::error_code&) { return number(s); }
    bool on_double(double, std::string_view s, boost::json::error_code&) { return number(s); }
    bool on_bool(bool, boost::json::error_code&) { return scalar(); }
    bool on_null(boost::json::error_code&) { return scalar(); }
    bool on_comment_part(std::string_view, boost::json::error_code&) { return true; }
    bool on_comment(std::string_view, boost::json::error_code&) { return true; }

private:
    struct Frame {
        bool array;
        std::size_t next_index;
        std::size_t path_size;  // the container's own path length
    };
    // An array element's path is its index; an object member's was set by on_key.
    void value_begins() {
        if (frames_.empty() || !frames_.back().array) return;
        auto& f = frames_.back();
        path_.resize(f.path_size);
        path_ += '/' + std::to_string(f.next_index++);
    }
    bool scalar() {
        value_begins();
        return true;
    }
    bool number(std::string_view last) {
        value_begins();
        number_ += last;
        texts.emplace(path_, std::move(number_));
        number_.clear();
        return true;
    }
    bool container_ends() {
        path_.resize(frames_.back().path_size);
        frames_.pop_back();
        return true;
    }

    std::vector<Frame> frames_;
    std::string path_;
    std::string key_;
    std::string number_;
};

}  // namespace detail

// The text of every number in a JSON document, by JSON Pointer ("" for a document that is
// one number, "/materials/0/concentration"); ec set, and nothing returned, when the text
// is not one JSON document.
inline std::map<std::string, std::string> number_texts(std::string_view json, std::error_code& ec) {
    boost::json::basic_parser<detail::NumberTextHandler> p(boost::json::parse_options{});
    boost::json::error_code bec;
    const auto used = p.write_some(false, json.data(), json.size(), bec);
    if (!bec && used != json.size()) bec = boost::json::error::extra_data;
    if (bec) {
        ec = bec;
        return {};
    }
    ec.clear();
    return std::move(p.handler().texts);
}

// The exact value of a number in a parsed document: from its own text when `texts`
// (number_texts() of the document) has its JSON Pointer, else from the value (an
// integer's digits; a double's shortest text, which is the text a person wrote for any
// decimal of up to 15 significant digits). Empty when v is not a number, or is outside
// Decimal's bounds.
inline std::optional<Decimal> decimal_of(const boost::json::value& v, const std::string& pointer,
                                         const std::map<std::string, std::string>* texts) {
    if (!v.is_number()) return std::nullopt;
    if (texts != nullptr) {
        if (const auto it = texts->find(pointer); it != texts->end()) return Decimal::parse(it->second);
    }
    if (v.is_int64()) return Decimal::parse(std::to_string(v.get_int64()));
    if (v.is_uint64()) return Decimal::parse(std::to_string(v.get_uint64()));
    std::string text;
    append_json_number(text, v.get_double());
    return Decimal::parse(text);
}

}  // namespace junction::sdk
