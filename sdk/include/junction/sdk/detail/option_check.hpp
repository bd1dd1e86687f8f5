// The one validator of declared options (options.hpp), not for authors: the host runs it
// before open() and the test harness (testing.hpp) runs the same code, so defaults,
// coercion and path resolution in a plugin's unit tests are exactly the host's.
#pragma once

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <boost/regex.hpp>

#include "../json_types.hpp"
#include "../options.hpp"

namespace junction::sdk::detail {

// One problem with a user's options: where ("pipelines[0].writer.options.rules[2].field")
// and what, in one line that never holds a secret value.
struct OptionError {
    std::string path;
    std::string message;
};

// "path: message" lines, one per error.
inline std::string format_option_errors(const std::vector<OptionError>& errors) {
    std::string out;
    for (const auto& e : errors)
        out += (out.empty() ? "" : "\n") + e.path + ": " + e.message;
    return out;
}

// Patterns are Boost.Regex (header-only), not std::regex: libstdc++'s std::regex matches by
// recursion, a frame or more per character, and a 4,096-byte value overflowed the stack
// under clang's AddressSanitizer; Boost.Regex keeps its backtracking on the heap and gives
// up, with an exception, past a bound on its work. Longer values are still refused rather
// than matched, which bounds that work.
inline constexpr std::size_t max_pattern_input = 4096;

namespace option_check {

namespace json = boost::json;

inline std::string join(const std::string& path, std::string_view key) {
    if (path.empty()) return std::string(key);
    std::string out;
    out.reserve(path.size() + 1 + key.size());
    out += path;
    out += '.';
    out += key;
    return out;
}

inline std::string index(const std::string& path, std::size_t i) {
    return path + "[" + std::to_string(i) + "]";
}

// What a value of the type must be, as JSON, with its article: "expected an object".
inline const char* expected(OptionType t) noexcept {
    switch (t) {
        case OptionType::string:
        case OptionType::path:
        case OptionType::connection:
            return "a string";
        case OptionType::integer:
            return "an integer";
        case OptionType::number:
            return "a number";
        case OptionType::boolean:
            return "a boolean";
        case OptionType::object:
        case OptionType::map:
            return "an object";
        case OptionType::array:
            return "an array";
        case OptionType::string_list:
            return "a list of strings";
        case OptionType::any:
            return "any value";
    }
    return "a value";
}

// A bound or a value in a message: "100", "0.5", "1e+300".
inline std::string number_text(double d) {
    if (std::floor(d) == d && std::fabs(d) < 1e15) return std::to_string(static_cast<long long>(d));
    char buf[64];
    const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
    return ec == std::errc{} ? std::string(buf, end) : std::string("?");
}

// A user's string in a message: quoted, cut short, or "***" when secret.
inline std::string shown(std::string_view s, bool secret) {
    if (secret) return "\"***\"";
    constexpr std::size_t most = 80;
    if (s.size() <= most) return "\"" + std::string(s) + "\"";
    return "\"" + std::string(s.substr(0, most)) + "...\"";
}

inline std::string type_error(OptionType t, const json::value& v) {
    return std::string("expected ") + expected(t) + ", got " + json_type_name(v);
}

// "between 1 and 5", "at least 1", "at most 5".
inline std::string bounds_text(const OptionSpec& spec) {
    if (spec.min && spec.max) return "between " + number_text(*spec.min) + " and " + number_text(*spec.max);
    if (spec.min) return "at least " + number_text(*spec.min);
    return "at most " + number_text(*spec.max);
}

inline bool out_of_bounds(const OptionSpec& spec, double d) {
    return (spec.min && d < *spec.min) || (spec.max && d > *spec.max);
}

// Characters of UTF-8 text (code points), as a person counts them.
inline std::size_t utf8_length(std::string_view s) noexcept {
    std::size_t n = 0;
    for (const char c : s)
        if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
    return n;
}

// "must have at most 5 characters, got 7", "must have exactly 1 character, got 2"; the
// noun is singular for a lone (or exact) bound of one.
inline std::string length_error(const OptionSpec& spec, std::size_t n, std::string_view one, std::string_view many) {
    const bool exact = spec.min && spec.max && *spec.min == *spec.max;
    const double bound = spec.max && !spec.min ? *spec.max : spec.min ? *spec.min : 0;
    const bool singular = (exact || !(spec.min && spec.max)) && bound == 1;
    const std::string bounds = exact ? "exactly " + number_text(bound) : bounds_text(spec);
    return "must have " + bounds + " " + std::string(singular ? one : many) + ", got " + std::to_string(n);
}

// Integers from ${VAR} strings: optional sign, digits, nothing else.
inline std::optional<std::int64_t> parse_integer(std::string_view s) noexcept {
    if (!s.empty() && s.front() == '+') s.remove_prefix(1);
    std::int64_t n = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
    if (s.empty() || ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
    return n;
}

inline std::optional<double> parse_number(std::string_view s) noexcept {
    if (!s.empty() && s.front() == '+') s.remove_prefix(1);
    double d = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
    if (s.empty() || ec != std::errc{} || end != s.data() + s.size() || !std::isfinite(d)) return std::nullopt;
    return d;
}

// "a, b,c" from an environment variable: the pieces between commas, trimmed, empty ones
// dropped.
inline json::array split_list(std::string_view s) {
    json::array out;
    std::size_t start = 0;
    while (start <= s.size()) {
        auto comma = s.find(',', start);
        if (comma == std::string_view::npos) comma = s.size();
        auto piece = s.substr(start, comma - start);
        while (!piece.empty() && (piece.front() == ' ' || piece.front() == '\t'))
            piece.remove_prefix(1);
        while (!piece.empty() && (piece.back() == ' ' || piece.back() == '\t'))
            piece.remove_suffix(1);
        if (!piece.empty()) out.emplace_back(piece);
        start = comma + 1;
    }
    return out;
}

// A string made absolute against the base folder (itself made absolute against the
// working directory when relative), lexically normalised, without a trailing separator.
// No file system access beyond the working directory: links are not followed.
inline std::string resolve_path(std::string_view base_dir, std::string_view value) {
    namespace fs = std::filesystem;
    fs::path p{std::string(value)};
    if (p.is_relative()) {
        fs::path base{base_dir.empty() ? std::string(".") : std::string(base_dir)};
        if (base.is_relative()) {
            std::error_code ec;
            auto absolute = fs::absolute(base, ec);
            if (!ec) base = std::move(absolute);
        }
        p = base / p;
    }
    p = p.lexically_normal();
    if (!p.has_filename() && p.has_relative_path()) p = p.parent_path();
    return p.string();
}

// An ECMAScript pattern compiled once for every value it checks (a list's elements, a
// map's keys).
class Pattern {
public:
    explicit Pattern(const std::string& pattern) : text_(pattern) {
        if (pattern.empty()) return;
        try {
            regex_.emplace(pattern, boost::regex::ECMAScript);
        } catch (const boost::regex_error&) {
            invalid_ = true;
        }
    }
    // Empty when s matches; else why not. `what` names the value ("\"abc\"", "the key \"k\"").
    [[nodiscard]] std::string check(std::string_view s, const std::string& what) const {
        if (text_.empty()) return {};
        if (invalid_) return "the plugin declares an invalid pattern: " + text_;
        if (s.size() > max_pattern_input)
            return "is too long to check against the pattern " + text_ + " (" + std::to_string(s.size()) +
                   " bytes, at most " + std::to_string(max_pattern_input) + ")";
        try {
            if (boost::regex_match(s.begin(), s.end(), *regex_)) return {};
        } catch (const std::runtime_error&) {  // the match's work exceeded Boost.Regex's bound
            return "could not be checked against the pattern " + text_;
        }
        return what + " does not match the pattern " + text_;
    }

private:
    std::string text_;
    std::optional<boost::regex> regex_;
    bool invalid_ = false;
};

class Checker {
public:
    Checker(std::string_view base_dir, std::vector<OptionError>& errors) : base_dir_(base_dir), errors_(errors) {}

    // The declared keys of one object: unknown keys refused, each field checked or
    // defaulted. `top`: the component's own options ("unknown option") rather than a
    // nested object's ("unknown key").
    json::object fields(const OptionSchema& schema, const json::object& input, const std::string& path, bool top,
                        bool secret) {
        for (const auto& kv : input) {
            bool known = false;
            for (const auto& spec : schema)
                known = known || spec.name == kv.key();
            if (!known) fail(join(path, kv.key()), unknown_message(schema, top));
        }
        json::object out;
        for (const auto& spec : schema) {
            const std::string p = join(path, spec.name);
            const auto* given = input.if_contains(spec.name);
            if (given == nullptr || given->is_null()) {
                if (spec.required) {
                    fail(p, "required option missing (" + std::string(to_string(spec.type)) +
                                (spec.description.empty() ? "" : ": " + spec.description) + ")");
                } else if (!spec.default_value.is_null()) {
                    if (auto v = checked_default(spec, p, secret)) out[spec.name] = std::move(*v);
                }
                continue;
            }
            if (auto v = value(spec, *given, p, secret || spec.secret)) out[spec.name] = std::move(*v);
        }
        return out;
    }

    // One value against its spec: the typed value, or nothing after adding errors.
    std::optional<json::value> value(const OptionSpec& spec, const json::value& given, const std::string& path,
                                     bool secret) {
        switch (spec.type) {
            case OptionType::string:
                return string_value(spec, given, path, secret);
            case OptionType::integer:
                return integer_value(spec, given, path, secret);
            case OptionType::number:
                return number_value(spec, given, path, secret);
            case OptionType::boolean:
                if (given.is_bool()) return given;
                if (given.is_string() && (given.get_string() == "true" || given.get_string() == "false"))
                    return json::value(given.get_string() == "true");
                return type_failure(spec, given, path);
            case OptionType::object:
                if (!given.is_object()) return type_failure(spec, given, path);
                if (spec.fields.empty()) return given;
                return json::value(fields(spec.fields, given.get_object(), path, false, secret));
            case OptionType::array:
                return array_value(spec, given, path, secret);
            case OptionType::string_list:
                return string_list_value(spec, given, path, secret);
            case OptionType::path:
                return path_value(spec, given, path, secret);
            case OptionType::map:
                return map_value(spec, given, path, secret);
            case OptionType::any:
                return given;
            case OptionType::connection:  // the host checks the name against the config
                return string_value(spec, given, path, secret);
        }
        return type_failure(spec, given, path);
    }

private:
    void fail(std::string path, std::string message) { errors_.push_back({std::move(path), std::move(message)}); }

    std::nullopt_t type_failure(const OptionSpec& spec, const json::value& given, const std::string& path) {
        fail(path, type_error(spec.type, given));
        return std::nullopt;
    }

    static std::string unknown_message(const OptionSchema& schema, bool top) {
        if (schema.empty()) return top ? "unknown option; this component takes no options" : "unknown key";
        std::string names;
        for (const auto& o : schema)
            names += (names.empty() ? "" : ", ") + o.name;
        return top ? "unknown option; valid options: " + names : "unknown key; valid keys: " + names;
    }

    // A default goes through the same checks (a path default is resolved, an object
    // default gets its fields' defaults); a default that fails them is the plugin's bug,
    // and says so.
    std::optional<json::value> checked_default(const OptionSpec& spec, const std::string& path, bool secret) {
        std::vector<OptionError> own;
        Checker inner(base_dir_, own);
        auto v = inner.value(spec, spec.default_value, path, secret || spec.secret);
        for (auto& e : own)
            fail(std::move(e.path), "the plugin's default is invalid: " + e.message);
        return own.empty() ? std::move(v) : std::nullopt;
    }

    std::optional<json::value> string_value(const OptionSpec& spec, const json::value& given, const std::string& path,
                                            bool secret) {
        if (!given.is_string()) return type_failure(spec, given, path);
        const std::string_view s = given.get_string();
        std::string problem = allowed_check(spec, s, secret);
        if (problem.empty() && spec.required && s.empty()) problem = "must not be empty";
        if (problem.empty() && (spec.min || spec.max)) {
            const auto n = utf8_length(s);
            if (out_of_bounds(spec, static_cast<double>(n))) problem = length_error(spec, n, "character", "characters");
        }
        if (problem.empty()) problem = Pattern(spec.pattern).check(s, secret ? "the value" : shown(s, false));
        if (problem.empty()) return given;
        fail(path, std::move(problem));
        return std::nullopt;
    }

    static std::string allowed_check(const OptionSpec& spec, std::string_view s, bool secret) {
        if (spec.allowed.empty()) return {};
        for (const auto& a : spec.allowed)
            if (a == s) return {};
        std::string list;
        for (const auto& a : spec.allowed)
            list += (list.empty() ? "" : ", ") + a;
        return shown(s, secret) + " is not one of: " + list;
    }

    // Allowed values, then the pattern: the checks of a string list's elements.
    static std::string text_checks(const OptionSpec& spec, std::string_view s, bool secret, const Pattern& pattern) {
        if (auto m = allowed_check(spec, s, secret); !m.empty()) return m;
        return pattern.check(s, secret ? "the value" : shown(s, false));
    }

    std::optional<json::value> integer_value(const OptionSpec& spec, const json::value& given, const std::string& path,
                                             bool secret) {
        std::int64_t n = 0;
        if (given.is_int64()) {
            n = given.get_int64();
        } else if (given.is_uint64()) {
            if (given.get_uint64() > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
                fail(path, "must be at most 9223372036854775807" +
                               (secret ? std::string() : ", got " + std::to_string(given.get_uint64())));
                return std::nullopt;
            }
            n = static_cast<std::int64_t>(given.get_uint64());
        } else if (given.is_double() && std::floor(given.get_double()) == given.get_double() &&
                   std::fabs(given.get_double()) < 9.2e18) {
            n = static_cast<std::int64_t>(given.get_double());
        } else if (given.is_string()) {
            const auto parsed = parse_integer(given.get_string());
            if (!parsed) return type_failure(spec, given, path);
            n = *parsed;
        } else {
            return type_failure(spec, given, path);
        }
        if (out_of_bounds(spec, static_cast<double>(n))) {
            fail(path, "must be " + bounds_text(spec) + (secret ? std::string() : ", got " + std::to_string(n)));
            return std::nullopt;
        }
        return json::value(n);
    }

    std::optional<json::value> number_value(const OptionSpec& spec, const json::value& given, const std::string& path,
                                            bool secret) {
        double d = 0;
        if (given.is_double() || given.is_int64() || given.is_uint64()) {
            d = given.to_number<double>();
            if (!std::isfinite(d)) return type_failure(spec, given, path);
        } else if (given.is_string()) {
            const auto parsed = parse_number(given.get_string());
            if (!parsed) return type_failure(spec, given, path);
            d = *parsed;
        } else {
            return type_failure(spec, given, path);
        }
        if (out_of_bounds(spec, d)) {
            fail(path, "must be " + bounds_text(spec) + (secret ? std::string() : ", got " + number_text(d)));
            return std::nullopt;
        }
        return json::value(d);
    }

    bool count_ok(const OptionSpec& spec, std::size_t n, const std::string& path, std::string_view one,
                  std::string_view many) {
        if (!out_of_bounds(spec, static_cast<double>(n))) return true;
        fail(path, length_error(spec, n, one, many));
        return false;
    }

    std::optional<json::value> array_value(const OptionSpec& spec, const json::value& given, const std::string& path,
                                           bool secret) {
        if (!given.is_array()) return type_failure(spec, given, path);
        const auto& in = given.get_array();
        if (!count_ok(spec, in.size(), path, "element", "elements")) return std::nullopt;
        if (spec.items.empty()) return given;
        const auto& item = spec.items.front();
        const auto before = errors_.size();
        json::array out;
        out.reserve(in.size());
        for (std::size_t i = 0; i < in.size(); ++i)
            if (auto v = value(item, in[i], index(path, i), secret || item.secret)) out.push_back(std::move(*v));
        if (errors_.size() != before) return std::nullopt;
        return json::value(std::move(out));
    }

    std::optional<json::value> string_list_value(const OptionSpec& spec, const json::value& given,
                                                 const std::string& path, bool secret) {
        json::array list;
        if (given.is_string()) {
            list = split_list(given.get_string());
        } else if (given.is_array()) {
            list = given.get_array();
        } else {
            return type_failure(spec, given, path);
        }
        const auto before = errors_.size();
        const Pattern pattern(spec.pattern);
        for (std::size_t i = 0; i < list.size(); ++i) {
            const auto& e = list[i];
            if (!e.is_string()) {
                fail(index(path, i), std::string("expected a string, got ") + json_type_name(e));
                continue;
            }
            if (auto m = text_checks(spec, e.get_string(), secret, pattern); !m.empty())
                fail(index(path, i), std::move(m));
        }
        if (errors_.size() != before) return std::nullopt;
        if (!count_ok(spec, list.size(), path, "element", "elements")) return std::nullopt;
        return json::value(std::move(list));
    }

    std::optional<json::value> path_value(const OptionSpec& spec, const json::value& given, const std::string& path,
                                          bool secret) {
        if (!given.is_string()) return type_failure(spec, given, path);
        const std::string_view s = given.get_string();
        if (s.empty()) {
            if (spec.required) {
                fail(path, "must not be empty");
                return std::nullopt;
            }
            return given;  // left empty on purpose: no path, not the base folder
        }
        if (!spec.pattern.empty()) {
            if (auto m = Pattern(spec.pattern).check(s, secret ? "the value" : shown(s, false)); !m.empty()) {
                fail(path, std::move(m));
                return std::nullopt;
            }
        }
        return json::value(resolve_path(base_dir_, s));
    }

    std::optional<json::value> map_value(const OptionSpec& spec, const json::value& given, const std::string& path,
                                         bool secret) {
        if (!given.is_object()) return type_failure(spec, given, path);
        const auto& in = given.get_object();
        if (!count_ok(spec, in.size(), path, "entry", "entries")) return std::nullopt;
        const auto before = errors_.size();
        const Pattern pattern(spec.pattern);
        const OptionSpec* item = spec.items.empty() ? nullptr : &spec.items.front();
        json::object out;
        out.reserve(in.size());
        for (const auto& kv : in) {
            const std::string p = join(path, kv.key());
            // Keys are names (fields, ids), never secret.
            if (auto m = pattern.check(kv.key(), "the key " + shown(kv.key(), false)); !m.empty()) {
                fail(p, std::move(m));
                continue;
            }
            if (item == nullptr) {
                out.emplace(kv.key(), kv.value());
            } else if (auto v = value(*item, kv.value(), p, secret || item->secret)) {
                out.emplace(kv.key(), std::move(*v));
            }
        }
        if (errors_.size() != before) return std::nullopt;
        return json::value(std::move(out));
    }

    std::string_view base_dir_;
    std::vector<OptionError>& errors_;
};

inline void redact_value(const OptionSpec& spec, json::value& v);

inline void redact_fields(const OptionSchema& schema, json::object& o) {
    for (const auto& spec : schema)
        if (auto* v = o.if_contains(spec.name)) redact_value(spec, *v);
}

inline void redact_value(const OptionSpec& spec, json::value& v) {
    if (spec.secret) {
        if (!v.is_null()) v = "***";
        return;
    }
    if (spec.type == OptionType::object && v.is_object()) {
        redact_fields(spec.fields, v.get_object());
    } else if (spec.type == OptionType::array && v.is_array() && !spec.items.empty()) {
        for (auto& e : v.get_array())
            redact_value(spec.items.front(), e);
    } else if (spec.type == OptionType::map && v.is_object() && !spec.items.empty()) {
        for (auto& kv : v.get_object())
            redact_value(spec.items.front(), kv.value());
    }
}

inline void defaults_into(const OptionSchema& schema, json::object& o);

inline void defaults_of_value(const OptionSpec& spec, json::value& v) {
    if (spec.type == OptionType::object && v.is_object() && !spec.fields.empty()) {
        defaults_into(spec.fields, v.get_object());
    } else if (spec.type == OptionType::array && v.is_array() && !spec.items.empty()) {
        for (auto& e : v.get_array())
            defaults_of_value(spec.items.front(), e);
    } else if (spec.type == OptionType::map && v.is_object() && !spec.items.empty()) {
        for (auto& kv : v.get_object())
            defaults_of_value(spec.items.front(), kv.value());
    }
}

inline void defaults_into(const OptionSchema& schema, json::object& o) {
    for (const auto& spec : schema) {
        auto* v = o.if_contains(spec.name);
        if ((v == nullptr || v->is_null()) && !spec.default_value.is_null()) {
            o[spec.name] = spec.default_value;
            v = o.if_contains(spec.name);
        }
        if (v != nullptr) defaults_of_value(spec, *v);
    }
}

// Presets. A string option whose spec carries `extra["presets"]`, an object of
// {"<name>": {"description": "...", "options": {...}}}, names a bundled set of options
// (a known API's endpoint for a generic reader). The user's options are merged over the
// named preset's before anything is checked, so a preset is validated like the user's
// own options and a required option it supplies is not missing. The rules:
//   - objects merge key by key, at any depth;
//   - any other value of the user's (string, number, boolean, array) replaces the
//     preset's whole: arrays are not concatenated;
//   - a user's null removes the preset's key (`"incremental": null`: a full refresh);
//   - a user's object whose "type" differs from the preset's replaces it whole (its
//     other keys belong to the other type: a paginator of another kind).
inline void merge_over(json::object& base, const json::object& over) {
    for (const auto& kv : over) {
        if (kv.value().is_null()) {
            base.erase(kv.key());
            continue;
        }
        auto* have = base.if_contains(kv.key());
        if (have != nullptr && have->is_object() && kv.value().is_object()) {
            const auto& mine = kv.value().get_object();
            const auto* base_type = have->get_object().if_contains("type");
            const auto* my_type = mine.if_contains("type");
            if (base_type == nullptr || my_type == nullptr || *base_type == *my_type) {
                merge_over(have->get_object(), mine);
                continue;
            }
        }
        base[kv.key()] = kv.value();
    }
}

// The spec of the option that selects a preset, or null.
inline const OptionSpec* preset_selector(const OptionSchema& schema) {
    for (const auto& spec : schema) {
        const auto* presets = spec.extra.if_contains("presets");
        if (spec.type == OptionType::string && presets != nullptr && presets->is_object()) return &spec;
    }
    return nullptr;
}

}  // namespace option_check

// The options a preset-selecting option (see merge_over) makes of `input`: the named
// preset's with the user's merged over them, unchecked; `input` itself when no preset is
// named or the name is unknown (validate_options reports that).
[[nodiscard]] inline boost::json::object with_preset(const OptionSchema& schema, const boost::json::object& input) {
    const auto* selector = option_check::preset_selector(schema);
    const auto* chosen = selector != nullptr ? input.if_contains(selector->name) : nullptr;
    if (chosen == nullptr || !chosen->is_string()) return input;
    const auto* preset = selector->extra.at("presets").get_object().if_contains(chosen->get_string());
    if (preset == nullptr || !preset->is_object()) return input;
    const auto* o = preset->get_object().if_contains("options");
    boost::json::object merged = o != nullptr && o->is_object() ? o->get_object() : boost::json::object{};
    option_check::merge_over(merged, input);
    return merged;
}

// Checks a component's options against its schema and returns them typed, every
// default applied, at any depth. Problems are appended to `errors` with paths below
// `path` ("pipelines[0].translators[0].options" gives
// "pipelines[0].translators[0].options.types.price: expected an integer, got string").
//   - Strings (from ${VAR}) are taken for integers, numbers, booleans ("true"/"false")
//     and string lists ("a, b" split at commas).
//   - A path is made absolute against `base_dir` (the config file's folder) and
//     lexically normalised; an empty path is refused when required, else kept empty.
//   - A default passes the same checks as a given value (a path default is resolved, an
//     object default gets its fields' defaults). An optional object left out without a
//     default stays out: give it `default_value = boost::json::object{}` to have its
//     fields' defaults.
//   - A secret value, or any value under a secret option, never appears in a message.
// When errors were added, the result is incomplete: report them, do not use it.
[[nodiscard]] inline Options validate_options(const OptionSchema& schema, const boost::json::object& input,
                                              const std::string& path, std::string_view base_dir,
                                              std::vector<OptionError>& errors) {
    option_check::Checker checker(base_dir, errors);
    const auto* selector = option_check::preset_selector(schema);
    const auto* chosen = selector != nullptr ? input.if_contains(selector->name) : nullptr;
    if (chosen == nullptr || !chosen->is_string()) return Options(checker.fields(schema, input, path, true, false));
    const auto& presets = selector->extra.at("presets").get_object();
    if (!presets.contains(chosen->get_string())) {
        std::string known;
        for (const auto& kv : presets)
            known += (known.empty() ? "" : ", ") + std::string(kv.key());
        errors.push_back(
            {option_check::join(path, selector->name), "unknown preset \"" + std::string(chosen->get_string()) +
                                                           "\"; known presets: " + (known.empty() ? "none" : known)});
        return Options{};
    }
    return Options(checker.fields(schema, with_preset(schema, input), path, true, false));
}

// The options with every secret value, at any depth, replaced by "***" (for logs and
// `junction validate`). Works on raw and validated options alike; keys the schema does
// not declare are left as they are.
[[nodiscard]] inline boost::json::object redact(const OptionSchema& schema, const boost::json::object& options) {
    boost::json::object out = options;
    option_check::redact_fields(schema, out);
    return out;
}

// The options with every default filled in where left out, at any depth, and nothing
// checked, coerced nor resolved (for tests that hand a component deliberately bad input).
[[nodiscard]] inline boost::json::object apply_defaults(const OptionSchema& schema, boost::json::object options) {
    option_check::defaults_into(schema, options);
    return options;
}

}  // namespace junction::sdk::detail
