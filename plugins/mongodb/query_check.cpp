#include "query_check.hpp"

#include <algorithm>
#include <array>
#include <string_view>

#include <boost/json/serialize.hpp>
#include <junction/sdk/json_path.hpp>

namespace junction::mongodb {
namespace {

namespace json = boost::json;
using namespace std::string_view_literals;

// Extended JSON's type wrappers: an object led by one of these is a value ({"$oid": ...}),
// not an operator expression.
constexpr std::array extended_json_keys = {
    "$oid"sv,        "$date"sv,      "$numberLong"sv, "$numberInt"sv,  "$numberDouble"sv, "$numberDecimal"sv,
    "$binary"sv,     "$uuid"sv,      "$timestamp"sv,  "$regularExpression"sv, "$symbol"sv, "$code"sv,
    "$minKey"sv,     "$maxKey"sv,    "$undefined"sv,  "$dbPointer"sv,  "$ref"sv};

// The query operators that apply to a field (MongoDB's list, less the geospatial ones'
// helpers that only appear inside them).
constexpr std::array field_operators = {
    "$eq"sv,  "$ne"sv,   "$gt"sv,         "$gte"sv,        "$lt"sv,           "$lte"sv,         "$in"sv,
    "$nin"sv, "$exists"sv, "$type"sv,     "$regex"sv,      "$options"sv,      "$not"sv,         "$elemMatch"sv,
    "$size"sv, "$all"sv, "$mod"sv,        "$bitsAllSet"sv, "$bitsAnySet"sv,   "$bitsAllClear"sv, "$bitsAnyClear"sv,
    "$geoWithin"sv, "$geoIntersects"sv, "$near"sv, "$nearSphere"sv, "$maxDistance"sv, "$minDistance"sv};

// The operators a query holds at its top level, beside field names.
constexpr std::array top_operators = {"$and"sv, "$or"sv, "$nor"sv, "$expr"sv, "$text"sv, "$comment"sv,
                                      "$jsonSchema"sv};

template <std::size_t N>
bool one_of(const std::array<std::string_view, N>& list, std::string_view s) {
    return std::find(list.begin(), list.end(), s) != list.end();
}

std::string quoted(std::string_view s) {
    return json::serialize(json::string_view(s.data(), s.size()));
}

bool is_extended_json_value(const json::object& o) {
    return !o.empty() && one_of(extended_json_keys, o.begin()->key());
}

std::string check_query(const json::object& query);

// A field's condition: a value to equal, or an object of operators only.
std::string check_condition(std::string_view field, const json::value& v) {
    if (!v.is_object() || is_extended_json_value(v.get_object())) return {};
    const auto& ops = v.get_object();
    const auto first_op = std::find_if(ops.begin(), ops.end(), [](const auto& kv) { return kv.key().starts_with('$'); });
    if (first_op == ops.end()) return {};  // equality with an embedded document
    for (const auto& [op, operand] : ops) {
        if (!op.starts_with('$'))
            return "filter: field " + quoted(field) + " mixes operators (" + std::string(first_op->key()) +
                   ") and the plain key " + quoted(op);
        if (!one_of(field_operators, op)) return "filter: unknown operator " + std::string(op) + " on field " + quoted(field);
        if ((op == "$in" || op == "$nin" || op == "$all") && !operand.is_array())
            return "filter: " + std::string(op) + " on field " + quoted(field) + " needs an array";
        if (op == "$mod" && !(operand.is_array() && operand.get_array().size() == 2))
            return "filter: $mod on field " + quoted(field) + " needs an array of [divisor, remainder]";
        if (op == "$regex" && !operand.is_string() && !(operand.is_object() && is_extended_json_value(operand.get_object())))
            return "filter: $regex on field " + quoted(field) + " needs a string";
        if (op == "$elemMatch" && !operand.is_object())
            return "filter: $elemMatch on field " + quoted(field) + " needs an object";
        if (op == "$not") {
            if (!operand.is_object()) return "filter: $not on field " + quoted(field) + " needs an object of operators";
            if (auto p = check_condition(field, operand); !p.empty()) return p;
        }
    }
    return {};
}

std::string check_clauses(std::string_view op, const json::value& v) {
    if (!v.is_array() || v.get_array().empty())
        return "filter: " + std::string(op) + " needs a non-empty array of queries";
    for (const auto& clause : v.get_array()) {
        if (!clause.is_object()) return "filter: " + std::string(op) + " needs a non-empty array of queries";
        if (auto p = check_query(clause.get_object()); !p.empty()) return p;
    }
    return {};
}

std::string check_query(const json::object& query) {
    for (const auto& [key, v] : query) {
        if (key == "$where")
            return "filter: operator $where is not supported: it runs JavaScript on the server (deprecated since "
                   "MongoDB 8.0, often disabled); use query operators or $expr";
        if (key.starts_with('$')) {
            if (!one_of(top_operators, key)) return "filter: unknown top-level operator " + std::string(key);
            if (key == "$and" || key == "$or" || key == "$nor") {
                if (auto p = check_clauses(key, v); !p.empty()) return p;
            }
            continue;
        }
        if (!sdk::is_valid_path(key))
            return "filter: " + quoted(key) + " is not a field path: " +
                   (key.empty() ? "it is empty" : "it has an empty segment");
        if (auto p = check_condition(key, v); !p.empty()) return p;
    }
    return {};
}

}  // namespace

std::string query_problem(const json::object& filter) {
    return check_query(filter);
}

}  // namespace junction::mongodb
