#include "selector.hpp"

#include <boost/json/array.hpp>
#include <junction/sdk/json_path.hpp>
#include <junction/sdk/json_text.hpp>
#include <junction/sdk/json_types.hpp>

namespace junction::rest {

namespace json = boost::json;

std::optional<JsonPath> JsonPath::parse(std::string_view text, std::string& problem) {
    JsonPath p;
    p.text_ = std::string(text);
    if (text == "$") return p;
    if (!text.starts_with("$.") || !sdk::is_valid_path(text.substr(2))) {
        problem.assign(1, '"');
        problem.append(text).append("\" is not a JSON path: write $ for the whole body or $.a.b for a field");
        return std::nullopt;
    }
    p.dotted_ = std::string(text.substr(2));
    return p;
}

const json::value* JsonPath::find(const json::value& root) const {
    if (dotted_.empty()) return &root;
    if (!root.is_object()) return nullptr;
    return sdk::find_path(root.get_object(), dotted_);
}

bool meets(const json::value& record, const std::vector<Condition>& conditions) {
    for (const auto& c : conditions) {
        const auto* v = c.path.find(record);
        const bool present = v != nullptr && !v->is_null();
        switch (c.op) {
            case Condition::Op::exists:
                if (!present) return false;
                break;
            case Condition::Op::absent:
                if (present) return false;
                break;
            case Condition::Op::equals:
                if (v == nullptr || *v != c.value) return false;
                break;
            case Condition::Op::not_equals:
                if (v != nullptr && *v == c.value) return false;
                break;
            case Condition::Op::in: {
                bool found = false;
                if (v != nullptr && c.value.is_array())
                    for (const auto& e : c.value.get_array())
                        found = found || e == *v;
                if (!found) return false;
                break;
            }
        }
    }
    return true;
}

std::optional<json::array> take_records(json::value& body, const JsonPath& path, std::string& problem) {
    auto* v = const_cast<json::value*>(path.find(body));
    if (v == nullptr || v->is_null()) return json::array{};
    if (!v->is_array()) {
        const std::string type = sdk::json_type_name(*v);
        const bool vowel = type == "object" || type == "integer";
        problem = path.text() + " is " + (vowel ? "an " : "a ") + type + ", not an array of records";
        return std::nullopt;
    }
    return std::move(v->get_array());
}

std::optional<std::string> value_text(const json::value& v) {
    if (v.is_null()) return std::nullopt;
    if (v.is_string()) return std::string(v.get_string());
    return sdk::to_json_text(v);
}

}  // namespace junction::rest
