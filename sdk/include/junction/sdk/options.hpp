// Declared configuration: a plugin states its options; the host validates the user's
// config against them before open() and hands over typed values with defaults applied.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <boost/config.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

namespace junction::sdk {

enum class OptionType : unsigned char { string, integer, number, boolean, object, array, string_list };

inline const char* to_string(OptionType t) noexcept {
    switch (t) {
        case OptionType::string:
            return "string";
        case OptionType::integer:
            return "integer";
        case OptionType::number:
            return "number";
        case OptionType::boolean:
            return "boolean";
        case OptionType::object:
            return "object";
        case OptionType::array:
            return "array";
        case OptionType::string_list:
            return "list of strings";
    }
    return "unknown";
}

// One option, written with designated initializers:
//   {.name = "dir", .type = OptionType::string, .required = true, .description = "..."}
struct OptionSpec {
    std::string name = {};
    OptionType type = OptionType::string;
    bool required = false;
    boost::json::value default_value = nullptr;  // null: no default
    std::vector<std::string> allowed = {};       // for strings: the only accepted values
    std::optional<double> min = std::nullopt;    // for integers and numbers
    std::optional<double> max = std::nullopt;
    std::string pattern = {};  // for strings: an ECMAScript regex the whole value must match
    std::string description = {};
    bool secret = false;  // never logged nor printed; redacted as "***"
};

using OptionSchema = std::vector<OptionSpec>;

// Validated option values. Every declared option with a default is present.
class BOOST_SYMBOL_VISIBLE Options {
public:
    Options() = default;
    explicit Options(boost::json::object values) : values_(std::move(values)) {}

    [[nodiscard]] bool has(std::string_view name) const {
        const auto* v = values_.if_contains(name);
        return v != nullptr && !v->is_null();
    }
    [[nodiscard]] const boost::json::value& get(std::string_view name) const {
        static const boost::json::value null_value;  // constant-initialized, no side effects
        const auto* v = values_.if_contains(name);
        return v != nullptr ? *v : null_value;
    }
    [[nodiscard]] std::string get_string(std::string_view name, std::string_view fallback = {}) const {
        const auto& v = get(name);
        return v.is_string() ? std::string(v.get_string()) : std::string(fallback);
    }
    [[nodiscard]] std::int64_t get_int(std::string_view name, std::int64_t fallback = 0) const {
        const auto& v = get(name);
        if (v.is_int64()) return v.get_int64();
        if (v.is_uint64()) return static_cast<std::int64_t>(v.get_uint64());
        if (v.is_double()) return static_cast<std::int64_t>(v.get_double());
        return fallback;
    }
    [[nodiscard]] double get_double(std::string_view name, double fallback = 0.0) const {
        const auto& v = get(name);
        if (v.is_double()) return v.get_double();
        if (v.is_int64()) return static_cast<double>(v.get_int64());
        if (v.is_uint64()) return static_cast<double>(v.get_uint64());
        return fallback;
    }
    [[nodiscard]] bool get_bool(std::string_view name, bool fallback = false) const {
        const auto& v = get(name);
        return v.is_bool() ? v.get_bool() : fallback;
    }
    [[nodiscard]] std::vector<std::string> get_strings(std::string_view name) const {
        std::vector<std::string> out;
        const auto& v = get(name);
        if (v.is_array())
            for (const auto& e : v.get_array())
                if (e.is_string()) out.emplace_back(e.get_string());
        return out;
    }
    [[nodiscard]] boost::json::object get_object(std::string_view name) const {
        const auto& v = get(name);
        return v.is_object() ? v.get_object() : boost::json::object{};
    }
    [[nodiscard]] const boost::json::object& values() const noexcept { return values_; }

private:
    boost::json::object values_;
};

}  // namespace junction::sdk
