#include "junction/core/json_schema.hpp"

#include <algorithm>
#include <set>
#include <stdexcept>

#include <boost/json.hpp>
#include <boost/regex.hpp>
#include <junction/sdk/decimal.hpp>
#include <junction/sdk/json_types.hpp>

namespace junction::core {
namespace json = boost::json;
using sdk::Decimal;

namespace {

enum Type : unsigned {
    t_null = 1,
    t_boolean = 2,
    t_object = 4,
    t_array = 8,
    t_number = 16,
    t_string = 32,
    t_integer = 64,
};

const std::vector<std::pair<std::string, Type>>& type_names() {
    static const std::vector<std::pair<std::string, Type>> names = {
        {"null", t_null},     {"boolean", t_boolean}, {"object", t_object}, {"array", t_array},
        {"number", t_number}, {"string", t_string},   {"integer", t_integer}};
    return names;
}

std::string json_quoted(std::string_view s) {
    return json::serialize(json::value(s));
}

bool is_integer(const Decimal& d) {
    const auto c = d.canonical();
    return c.find('.') == std::string::npos && c.find("e-") == std::string::npos;
}

std::size_t code_points(std::string_view s) {
    return static_cast<std::size_t>(
        std::count_if(s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

// JSON equality, numbers by value (1, 1.0 and 1e0 are equal).
bool same(const json::value& a, const json::value& b) {
    if (a.is_number() && b.is_number()) {
        const auto x = sdk::decimal_of(a, "", nullptr);
        const auto y = sdk::decimal_of(b, "", nullptr);
        return x && y && *x == *y;
    }
    if (a.kind() != b.kind()) return false;
    if (a.is_array()) {
        const auto &x = a.get_array(), &y = b.get_array();
        if (x.size() != y.size()) return false;
        for (std::size_t i = 0; i < x.size(); ++i)
            if (!same(x[i], y[i])) return false;
        return true;
    }
    if (a.is_object()) {
        const auto &x = a.get_object(), &y = b.get_object();
        if (x.size() != y.size()) return false;
        for (const auto& kv : x) {
            const auto* other = y.if_contains(kv.key());
            if (!other || !same(kv.value(), *other)) return false;
        }
        return true;
    }
    return a == b;
}

std::string type_list(unsigned types) {
    std::string out;
    for (const auto& [name, bit] : type_names())
        if (types & bit) out += (out.empty() ? "" : ", ") + name;
    return out;
}

std::string type_of(const json::value& v) {
    return std::string(sdk::json_type_name(v));
}

}  // namespace

struct JsonSchema::Node {
    bool reject_all = false;  // the schema `false`
    unsigned types = 0;       // 0: any
    std::optional<std::vector<json::value>> enum_values;
    std::optional<json::value> const_value;
    std::vector<std::pair<std::string, std::shared_ptr<const Node>>> properties;
    std::vector<std::string> required;
    std::shared_ptr<const Node> additional;  // null: any
    std::shared_ptr<const Node> items;       // null: any
    std::optional<std::size_t> min_items, max_items, min_length, max_length;
    std::optional<boost::regex> pattern;
    std::string pattern_text;
    std::optional<Decimal> minimum, maximum, exclusive_minimum, exclusive_maximum;
    std::string minimum_text, maximum_text, exclusive_minimum_text, exclusive_maximum_text;
};

namespace {

using Node = JsonSchema::Node;

std::shared_ptr<const Node> compile_node(const json::value& s, const std::string& path,
                                         std::vector<SchemaProblem>& problems) {
    auto n = std::make_shared<Node>();
    if (s.is_bool()) {
        n->reject_all = !s.get_bool();
        return n;
    }
    if (!s.is_object()) {
        problems.push_back({path, "a schema is an object or a boolean, got " + type_of(s)});
        return n;
    }
    const auto count = [&](const json::value& v, const std::string& at) -> std::optional<std::size_t> {
        if (v.is_int64() && v.get_int64() >= 0) return static_cast<std::size_t>(v.get_int64());
        if (v.is_uint64()) return static_cast<std::size_t>(v.get_uint64());
        problems.push_back({at, "expected a whole number >= 0, got " + json::serialize(v)});
        return std::nullopt;
    };
    const auto bound = [&](const json::value& v, const std::string& at, std::string& text) -> std::optional<Decimal> {
        auto d = v.is_number() ? sdk::decimal_of(v, "", nullptr) : std::nullopt;
        if (!d) problems.push_back({at, "expected a number, got " + json::serialize(v)});
        if (d) text = d->canonical();
        return d;
    };
    static const std::set<std::string> annotations = {"$schema", "$id",     "$comment", "title",
                                                      "description", "default", "examples"};
    for (const auto& kv : s.get_object()) {
        const std::string key(kv.key());
        const auto& v = kv.value();
        const std::string at = path + "/" + sdk::json_pointer_token(key);
        if (annotations.contains(key)) continue;
        if (key == "type") {
            const auto add = [&](const json::value& t) {
                const auto* name = t.if_string();
                const auto it = name ? std::find_if(type_names().begin(), type_names().end(),
                                                    [&](const auto& p) { return p.first == *name; })
                                     : type_names().end();
                if (it == type_names().end())
                    problems.push_back({at, "unknown type " + json::serialize(t) + " (valid: " + type_list(127) + ")"});
                else
                    n->types |= it->second;
            };
            if (v.is_array()) {
                for (const auto& t : v.get_array())
                    add(t);
            } else {
                add(v);
            }
        } else if (key == "enum") {
            if (!v.is_array() || v.get_array().empty())
                problems.push_back({at, "expected a non-empty array of values"});
            else
                n->enum_values.emplace(v.get_array().begin(), v.get_array().end());
        } else if (key == "const") {
            n->const_value = v;
        } else if (key == "properties") {
            if (!v.is_object()) {
                problems.push_back({at, "expected an object of schemas"});
                continue;
            }
            for (const auto& p : v.get_object())
                n->properties.emplace_back(std::string(p.key()),
                                           compile_node(p.value(), at + "/" + sdk::json_pointer_token(p.key()), problems));
        } else if (key == "required") {
            const auto* a = v.if_array();
            if (a == nullptr || !std::all_of(a->begin(), a->end(), [](const json::value& e) { return e.is_string(); })) {
                problems.push_back({at, "expected an array of property names"});
                continue;
            }
            for (const auto& e : *a)
                n->required.emplace_back(e.get_string());
        } else if (key == "additionalProperties") {
            n->additional = compile_node(v, at, problems);
        } else if (key == "items") {
            n->items = compile_node(v, at, problems);
        } else if (key == "minItems") {
            n->min_items = count(v, at);
        } else if (key == "maxItems") {
            n->max_items = count(v, at);
        } else if (key == "minLength") {
            n->min_length = count(v, at);
        } else if (key == "maxLength") {
            n->max_length = count(v, at);
        } else if (key == "pattern") {
            if (!v.is_string()) {
                problems.push_back({at, "expected a regular expression (a string)"});
                continue;
            }
            n->pattern_text = v.get_string();
            try {
                n->pattern.emplace(n->pattern_text, boost::regex::ECMAScript);
            } catch (const boost::regex_error&) {
                problems.push_back({at, "not a valid regular expression: " + json_quoted(n->pattern_text)});
            }
        } else if (key == "minimum") {
            n->minimum = bound(v, at, n->minimum_text);
        } else if (key == "maximum") {
            n->maximum = bound(v, at, n->maximum_text);
        } else if (key == "exclusiveMinimum") {
            n->exclusive_minimum = bound(v, at, n->exclusive_minimum_text);
        } else if (key == "exclusiveMaximum") {
            n->exclusive_maximum = bound(v, at, n->exclusive_maximum_text);
        } else {
            problems.push_back({at, "unknown or unsupported keyword (this host checks type, enum, const, properties, "
                                    "required, additionalProperties, items, minItems, maxItems, minLength, "
                                    "maxLength, pattern, minimum, maximum, exclusiveMinimum, exclusiveMaximum)"});
        }
    }
    return n;
}

// Collects at most max_problems problems; past that, one line says how many more there were.
class Validator {
public:
    static constexpr std::size_t max_problems = 100;

    explicit Validator(const std::map<std::string, std::string>* texts) : texts_(texts) {}

    void check(const Node& n, const json::value& v, const std::string& path) {
        if (n.reject_all) return add(path, "is not allowed here");
        if (n.types != 0 && !has_type(n.types, v, path))
            return add(path, "expected " + type_list(n.types) + ", got " + type_of(v));
        if (n.const_value && !same(*n.const_value, v)) add(path, "must be " + json::serialize(*n.const_value));
        if (n.enum_values && std::none_of(n.enum_values->begin(), n.enum_values->end(),
                                          [&](const json::value& e) { return same(e, v); })) {
            std::string list;
            for (const auto& e : *n.enum_values)
                list += (list.empty() ? "" : ", ") + json::serialize(e);
            add(path, "must be one of " + list);
        }
        if (v.is_object()) check_object(n, v.get_object(), path);
        if (v.is_array()) check_array(n, v.get_array(), path);
        if (v.is_string()) check_string(n, v.get_string(), path);
        if (v.is_number()) check_number(n, v, path);
    }

    std::vector<SchemaProblem> done() {
        if (dropped_ > 0)
            problems_.push_back({"", "and " + std::to_string(dropped_) + " more problems not listed"});
        return std::move(problems_);
    }

private:
    void add(const std::string& path, std::string message) {
        if (problems_.size() < max_problems)
            problems_.push_back({path, std::move(message)});
        else
            ++dropped_;
    }

    bool has_type(unsigned types, const json::value& v, const std::string& path) {
        if ((types & t_null) && v.is_null()) return true;
        if ((types & t_boolean) && v.is_bool()) return true;
        if ((types & t_object) && v.is_object()) return true;
        if ((types & t_array) && v.is_array()) return true;
        if ((types & t_string) && v.is_string()) return true;
        if ((types & t_number) && v.is_number()) return true;
        if ((types & t_integer) && v.is_number()) {
            const auto d = sdk::decimal_of(v, path, texts_);
            return d && is_integer(*d);
        }
        return false;
    }

    void check_object(const Node& n, const json::object& o, const std::string& path) {
        for (const auto& kv : o) {
            const std::string at = path + "/" + sdk::json_pointer_token(kv.key());
            const auto it = std::find_if(n.properties.begin(), n.properties.end(),
                                         [&](const auto& p) { return p.first == kv.key(); });
            if (it != n.properties.end())
                check(*it->second, kv.value(), at);
            else if (n.additional && n.additional->reject_all)
                add(at, "is not an allowed property (additionalProperties is false)");
            else if (n.additional)
                check(*n.additional, kv.value(), at);
        }
        for (const auto& r : n.required)
            if (!o.contains(r)) add(path + "/" + sdk::json_pointer_token(r), "is required");
    }

    void check_array(const Node& n, const json::array& a, const std::string& path) {
        if (n.min_items && a.size() < *n.min_items)
            add(path, "must have at least " + std::to_string(*n.min_items) + " item" +
                          (*n.min_items == 1 ? "" : "s") + ", has " + std::to_string(a.size()));
        if (n.max_items && a.size() > *n.max_items)
            add(path, "must have at most " + std::to_string(*n.max_items) + " item" +
                          (*n.max_items == 1 ? "" : "s") + ", has " + std::to_string(a.size()));
        if (n.items)
            for (std::size_t i = 0; i < a.size(); ++i)
                check(*n.items, a[i], path + "/" + std::to_string(i));
    }

    void check_string(const Node& n, std::string_view s, const std::string& path) {
        const auto length = (n.min_length || n.max_length) ? code_points(s) : 0;
        if (n.min_length && length < *n.min_length)
            add(path, "must be at least " + std::to_string(*n.min_length) + " character" +
                          (*n.min_length == 1 ? "" : "s") + " long, is " + std::to_string(length));
        if (n.max_length && length > *n.max_length)
            add(path, "must be at most " + std::to_string(*n.max_length) + " character" +
                          (*n.max_length == 1 ? "" : "s") + " long, is " + std::to_string(length));
        if (n.pattern) {
            try {
                // JSON Schema patterns are not anchored: a match anywhere in the string.
                if (!boost::regex_search(s.begin(), s.end(), *n.pattern))
                    add(path, "does not match the pattern " + json_quoted(n.pattern_text));
            } catch (const std::runtime_error&) {  // Boost.Regex's bound on its work
                add(path, "could not be checked against the pattern " + json_quoted(n.pattern_text));
            }
        }
    }

    void check_number(const Node& n, const json::value& v, const std::string& path) {
        if (!n.minimum && !n.maximum && !n.exclusive_minimum && !n.exclusive_maximum) return;
        const auto d = sdk::decimal_of(v, path, texts_);
        if (!d) return add(path, "is a number outside what this host compares exactly (10^-1000 to 10^1000)");
        const auto text = d->canonical();
        if (n.minimum && *d < *n.minimum) add(path, "must be >= " + n.minimum_text + ", is " + text);
        if (n.exclusive_minimum && *d <= *n.exclusive_minimum)
            add(path, "must be > " + n.exclusive_minimum_text + ", is " + text);
        if (n.maximum && *d > *n.maximum) add(path, "must be <= " + n.maximum_text + ", is " + text);
        if (n.exclusive_maximum && *d >= *n.exclusive_maximum)
            add(path, "must be < " + n.exclusive_maximum_text + ", is " + text);
    }

    const std::map<std::string, std::string>* texts_;
    std::vector<SchemaProblem> problems_;
    std::size_t dropped_ = 0;
};

}  // namespace

std::optional<JsonSchema> JsonSchema::compile(const json::value& schema, std::vector<SchemaProblem>& problems) {
    const auto before = problems.size();
    auto root = compile_node(schema, "", problems);
    if (problems.size() != before) return std::nullopt;
    JsonSchema s;
    s.root_ = std::move(root);
    return s;
}

std::vector<SchemaProblem> JsonSchema::validate(const json::value& document,
                                                const std::map<std::string, std::string>* number_texts) const {
    Validator v(number_texts);
    v.check(*root_, document, "");
    return v.done();
}

}  // namespace junction::core
