// Validation of plugin options against their declared schema (see option_validation.hpp).
#include "junction/core/option_validation.hpp"
#include <junction/sdk/json_types.hpp>

#include <algorithm>
#include <cmath>
#include <regex>

namespace junction::core {
namespace json = boost::json;

namespace {

std::string valid_keys(const sdk::OptionSchema& schema) {
    std::string out;
    for (const auto& o : schema)
        out += (out.empty() ? "" : ", ") + o.name;
    return out.empty() ? "(this plugin takes no options)" : out;
}

std::string fmt_num(double d) {
    if (std::floor(d) == d && std::fabs(d) < 1e15) return std::to_string(static_cast<long long>(d));
    return std::to_string(d);
}

// Coerces the value to the declared type where that is lossless (strings from ${VAR}).
// Returns an error message, or empty when the value is (now) of the right type.
std::string coerce(sdk::OptionType type, json::value& v) {
    using T = sdk::OptionType;
    switch (type) {
        case T::string:
            if (v.is_string()) return {};
            break;
        case T::integer:
            if (v.is_int64()) return {};
            if (v.is_uint64() && v.get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
                v = static_cast<std::int64_t>(v.get_uint64());
                return {};
            }
            if (v.is_double() && std::floor(v.get_double()) == v.get_double() && std::fabs(v.get_double()) < 9.2e18) {
                v = static_cast<std::int64_t>(v.get_double());
                return {};
            }
            if (v.is_string()) {
                const std::string s(v.get_string());
                std::size_t used = 0;
                try {
                    auto n = std::stoll(s, &used);
                    if (used == s.size() && !s.empty()) {
                        v = n;
                        return {};
                    }
                } catch (...) {
                }
            }
            break;
        case T::number:
            if (v.is_double()) return {};
            if (v.is_int64() || v.is_uint64()) {
                v = v.to_number<double>();
                return {};
            }
            if (v.is_string()) {
                const std::string s(v.get_string());
                std::size_t used = 0;
                try {
                    auto d = std::stod(s, &used);
                    if (used == s.size() && !s.empty()) {
                        v = d;
                        return {};
                    }
                } catch (...) {
                }
            }
            break;
        case T::boolean:
            if (v.is_bool()) return {};
            if (v.is_string() && (v.get_string() == "true" || v.get_string() == "false")) {
                v = v.get_string() == "true";
                return {};
            }
            break;
        case T::object:
            if (v.is_object()) return {};
            break;
        case T::array:
            if (v.is_array()) return {};
            break;
        case T::string_list:
            if (v.is_string()) {  // "a,b" from an environment variable
                json::array a;
                std::string s(v.get_string());
                std::size_t start = 0;
                while (start <= s.size()) {
                    auto comma = s.find(',', start);
                    if (comma == std::string::npos) comma = s.size();
                    if (comma > start) a.emplace_back(s.substr(start, comma - start));
                    start = comma + 1;
                }
                v = std::move(a);
                return {};
            }
            if (v.is_array()) {
                for (const auto& e : v.get_array())
                    if (!e.is_string())
                        return "expected a list of strings, found an element of type " +
                               std::string(sdk::json_type_name(e));
                return {};
            }
            break;
    }
    return std::string("expected ") + (type == T::integer ? "an " : "a ") + sdk::to_string(type) + ", got " +
           std::string(sdk::json_type_name(v));
}

}  // namespace

sdk::Options validate_options(const sdk::OptionSchema& schema, const json::object& input, const std::string& path,
                              std::vector<ConfigError>& errors) {
    json::object out;
    for (const auto& kv : input) {
        const auto it = std::find_if(schema.begin(), schema.end(), [&](const auto& o) { return o.name == kv.key(); });
        if (it == schema.end())
            errors.push_back(
                {path + "." + std::string(kv.key()), "unknown option; valid options: " + valid_keys(schema)});
    }
    for (const auto& spec : schema) {
        const std::string p = path + "." + spec.name;
        const auto* given = input.if_contains(spec.name);
        if (given == nullptr || given->is_null()) {
            if (spec.required)
                errors.push_back({p, "required option missing (" + std::string(sdk::to_string(spec.type)) +
                                         (spec.description.empty() ? "" : ": " + spec.description) + ")"});
            else if (!spec.default_value.is_null())
                out[spec.name] = spec.default_value;
            continue;
        }
        json::value v = *given;
        if (auto err = coerce(spec.type, v); !err.empty()) {
            errors.push_back({p, err});
            continue;
        }
        if (spec.type == sdk::OptionType::string) {
            const std::string s(v.get_string());
            if (!spec.allowed.empty() && std::find(spec.allowed.begin(), spec.allowed.end(), s) == spec.allowed.end()) {
                std::string list;
                for (const auto& a : spec.allowed)
                    list += (list.empty() ? "" : ", ") + a;
                errors.push_back({p, "\"" + (spec.secret ? std::string("***") : s) + "\" is not one of: " + list});
                continue;
            }
            if (spec.required && s.empty()) {
                errors.push_back({p, "must not be empty"});
                continue;
            }
            if (!spec.pattern.empty()) {
                bool ok = false;
                try {
                    ok = std::regex_match(s, std::regex(spec.pattern));
                } catch (const std::regex_error&) {
                    errors.push_back({p, "the plugin declares an invalid pattern: " + spec.pattern});
                    continue;
                }
                if (!ok) {
                    errors.push_back({p, (spec.secret ? std::string("value") : "\"" + s + "\"") +
                                             " does not match the pattern " + spec.pattern});
                    continue;
                }
            }
        }
        if (spec.type == sdk::OptionType::integer || spec.type == sdk::OptionType::number) {
            const double d = v.to_number<double>();
            if ((spec.min && d < *spec.min) || (spec.max && d > *spec.max)) {
                errors.push_back(
                    {p, "must be " +
                            (spec.min && spec.max ? "between " + fmt_num(*spec.min) + " and " + fmt_num(*spec.max)
                             : spec.min           ? "at least " + fmt_num(*spec.min)
                                                  : "at most " + fmt_num(*spec.max)) +
                            ", got " + fmt_num(d)});
                continue;
            }
        }
        out[spec.name] = std::move(v);
    }
    return sdk::Options(std::move(out));
}

json::object redact(const sdk::OptionSchema& schema, const json::object& options) {
    json::object out = options;
    for (const auto& spec : schema)
        if (spec.secret && out.contains(spec.name)) out[spec.name] = "***";
    return out;
}

}  // namespace junction::core
