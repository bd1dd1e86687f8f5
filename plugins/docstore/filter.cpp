// MongoDB-style filters compiled to SQL over json_type/json_extract, values bound as
// parameters. Comparisons only match values of the operand's JSON type (as MongoDB's
// type bracketing does), so "5" never equals 5 and true never equals 1.
#include <algorithm>
#include <string>
#include <string_view>

#include <junction/sdk/json_text.hpp>

#include "common/sqlite_util.hpp"
#include "store.hpp"

namespace junction::docstore {
using plugin_sqlite::sql_literal;
namespace {

constexpr const char* supported = "$eq, $ne, $exists, $in, $gt, $gte, $lt, $lte";

struct Field {
    std::string name;
    std::string path;  // an SQL literal of the JSON path
    [[nodiscard]] std::string type() const { return "json_type(doc, " + path + ")"; }
    [[nodiscard]] std::string value() const { return "json_extract(doc, " + path + ")"; }
};

// Every term is 0 or 1, never NULL, so NOT and OR over them mean what they say.
std::string equals(const Field& f, const boost::json::value& v, std::vector<boost::json::value>& params) {
    switch (v.kind()) {
        case boost::json::kind::null:
            return "(" + f.type() + " IS NULL OR " + f.type() + " = 'null')";
        case boost::json::kind::bool_:
            return "(" + f.type() + (v.get_bool() ? " IS 'true')" : " IS 'false')");
        case boost::json::kind::int64:
        case boost::json::kind::uint64:
        case boost::json::kind::double_:
            params.push_back(v);
            return "COALESCE(" + f.type() + " IN ('integer', 'real') AND " + f.value() + " = ?, 0)";
        case boost::json::kind::string:
            params.push_back(v);
            return "COALESCE(" + f.type() + " = 'text' AND " + f.value() + " = ?, 0)";
        default:  // object or array: the same JSON, minified on both sides
            params.emplace_back(sdk::to_json_text(v));
            return "COALESCE(" + f.type() + " IN ('object', 'array') AND " + f.value() + " = json(?), 0)";
    }
}

std::string compare(const Field& f, std::string_view op, const boost::json::value& v,
                    std::vector<boost::json::value>& params) {
    const std::string sql_op = op == "$gt" ? ">" : op == "$gte" ? ">=" : op == "$lt" ? "<" : "<=";
    std::string type_check;
    if (v.is_number())
        type_check = f.type() + " IN ('integer', 'real')";
    else if (v.is_string())
        type_check = f.type() + " = 'text'";
    else
        throw FilterError("filter: " + std::string(op) + " on field '" + f.name + "' needs a number or a string, got " +
                          sdk::to_json_text(v));
    params.push_back(v);
    return "COALESCE(" + type_check + " AND " + f.value() + " " + sql_op + " ?, 0)";
}

std::string apply(const Field& f, std::string_view op, const boost::json::value& v,
                  std::vector<boost::json::value>& params) {
    if (op == "$eq") return equals(f, v, params);
    if (op == "$ne") return "NOT " + equals(f, v, params);
    if (op == "$exists") {
        const bool want = v.is_bool() ? v.get_bool() : v.is_number() ? v.to_number<double>() != 0 : !v.is_null();
        return "(" + f.type() + (want ? " IS NOT NULL)" : " IS NULL)");
    }
    if (op == "$in") {
        if (!v.is_array()) throw FilterError("filter: $in on field '" + f.name + "' needs an array");
        std::string any;
        for (const auto& e : v.get_array())
            any += (any.empty() ? "" : " OR ") + equals(f, e, params);
        return any.empty() ? "0" : "(" + any + ")";
    }
    if (op == "$gt" || op == "$gte" || op == "$lt" || op == "$lte") return compare(f, op, v, params);
    throw FilterError("filter: operator " + std::string(op) + " on field '" + f.name +
                      "' is not supported (supported: " + supported + ")");
}

}  // namespace

std::string json_path(std::string_view field) {
    if (field.empty()) throw std::invalid_argument("an empty field name");
    std::string path = "$";
    std::size_t start = 0;
    while (true) {
        const auto dot = field.find('.', start);
        const auto part = field.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
        if (part.empty()) throw std::invalid_argument("field name '" + std::string(field) + "' has an empty part");
        for (const char c : part)
            if (c == '"' || static_cast<unsigned char>(c) < 0x20)
                throw std::invalid_argument("field name '" + std::string(field) +
                                            "' holds a double quote or control character");
        path += ".\"" + std::string(part) + "\"";
        if (dot == std::string_view::npos) return path;
        start = dot + 1;
    }
}

Filter compile_filter(const boost::json::object& filter) {
    Filter out;
    std::string sql;
    for (const auto& [key, v] : filter) {
        if (key.starts_with('$'))
            throw FilterError("filter: operator " + std::string(key) + " is not supported (supported: " + supported +
                              ", on fields)");
        Field f;
        f.name = key;
        try {
            f.path = sql_literal(json_path(key));
        } catch (const std::invalid_argument& e) {
            throw FilterError(std::string("filter: ") + e.what());
        }
        std::string term;
        // An object with any operator is all operators: {"$gt": 1, "b": 2} in either order
        // is refused, as MongoDB does, not compared as a document.
        const auto is_op = [](const auto& kv) { return kv.key().starts_with('$'); };
        const bool operators = v.is_object() && std::any_of(v.get_object().begin(), v.get_object().end(), is_op);
        if (operators) {
            const auto plain = std::find_if_not(v.get_object().begin(), v.get_object().end(), is_op);
            if (plain != v.get_object().end())
                throw FilterError("filter: field '" + f.name + "' mixes operators and the plain key '" +
                                  std::string(plain->key()) + "'");
            for (const auto& [op, operand] : v.get_object()) {
                term += (term.empty() ? "" : " AND ") + apply(f, op, operand, out.params);
            }
        } else {
            term = equals(f, v, out.params);
        }
        sql += (sql.empty() ? "(" : " AND (") + term + ")";
    }
    if (!sql.empty()) out.sql = sql;
    return out;
}

}  // namespace junction::docstore
