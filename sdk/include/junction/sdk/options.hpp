// Declared configuration: a component states its options once (names, types, defaults,
// checks, nested objects and lists of objects); the host validates the user's config
// against them before open(), applies every default, resolves paths, and hands over
// typed values. A component never re-reads raw JSON nor repeats a default.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/config.hpp>
#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

namespace junction::sdk {

enum class OptionType : unsigned char {
    string,
    integer,
    number,
    boolean,
    object,       // with `fields`: those keys only, each checked; without: any JSON object
    array,        // with `items`: each element checked against items[0]; without: any JSON array
    string_list,  // a list of strings; "a,b" from an environment variable is split at commas
    path,         // a string naming a file or folder, resolved against the config file's folder
    map,          // an object whose keys are free (field names, ids) and whose values match items[0]
    any,          // any JSON value, passed on as written (a filter, a constant to set)
    // Since ABI 2.2: the name of an entry of the config's `connections` section (whose
    // credentials and rate budget the host's HTTP client applies); `junction validate`
    // refuses a name the config does not declare.
    connection,
};

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
        case OptionType::path:
            return "path";
        case OptionType::map:
            return "map";
        case OptionType::any:
            return "any value";
        case OptionType::connection:
            return "connection name";
    }
    return "unknown";
}

// One option, written with designated initializers:
//   {.name = "dir", .type = OptionType::path, .required = true, .description = "..."}
// Nested: {.name = "paginator", .type = OptionType::object, .fields = {...}}
//         {.name = "rules", .type = OptionType::array, .items = {{.type = OptionType::object, .fields = {...}}}}
//         {.name = "rename", .type = OptionType::map, .items = {{.type = OptionType::string}}}
struct OptionSpec {
    std::string name = {};
    OptionType type = OptionType::string;
    bool required = false;
    boost::json::value default_value = nullptr;  // null: no default. Defaults live here only.
    std::vector<std::string> allowed = {};       // strings: the only accepted values
    std::optional<double> min = std::nullopt;    // integers and numbers: the range; strings, lists,
    std::optional<double> max = std::nullopt;    // arrays, maps: the length (count of elements)
    std::string pattern = {};  // strings, paths, list elements and map keys: an ECMAScript regex the whole value
                               // must match (keep it simple: std::regex recurses on long inputs)
    std::string description = {};
    bool secret = false;                 // never logged nor printed; redacted as "***"
    std::vector<OptionSpec> fields = {};  // object: its keys (unknown keys are refused)
    std::vector<OptionSpec> items = {};   // array, map: items[0] describes every element (its name is unused)
    boost::json::object extra = {};       // room to grow without an ABI break
};

using OptionSchema = std::vector<OptionSpec>;

// Validated option values of one component (or of one nested object): every declared
// option with a default is present, every value has its declared type (integers as
// int64, numbers as double, paths absolute), nested objects are validated the same way.
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
    // The typed getters return the validated value; the fallback only for an option that
    // is optional, has no default and was left out.
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
    // The raw object (for `any`/free-form objects and maps).
    [[nodiscard]] boost::json::object get_object(std::string_view name) const {
        const auto& v = get(name);
        return v.is_object() ? v.get_object() : boost::json::object{};
    }
    // A nested object option with declared fields, as Options of its own.
    [[nodiscard]] Options child(std::string_view name) const { return Options(get_object(name)); }
    // An array of objects, each as Options of its own.
    [[nodiscard]] std::vector<Options> children(std::string_view name) const {
        std::vector<Options> out;
        const auto& v = get(name);
        if (v.is_array())
            for (const auto& e : v.get_array())
                if (e.is_object()) out.emplace_back(e.get_object());
        return out;
    }
    [[nodiscard]] const boost::json::object& values() const noexcept { return values_; }

private:
    boost::json::object values_;
};

}  // namespace junction::sdk
