// A dataset schema: the fields, types, nullability, primary key, descriptions and source
// fields of the rows a writer pushes to an analytics dataset, as a versioned file of its
// own (`<dataset>.v<N>.json`). Parsed with one clear error, rows checked against it, an
// evolution from one version to the next checked, the mapping table rendered as Markdown.
// Header-only and pure (no I/O but load_dataset_schema): the host's `junction schema` and
// the plugins that push rows use the same rules.
#pragma once

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include "iso8601.hpp"
#include "json_types.hpp"
#include "json_path.hpp"

namespace junction::sdk {

enum class FieldType : unsigned char { string, integer, number, boolean, datetime, date };

inline const char* to_string(FieldType t) noexcept {
    switch (t) {
        case FieldType::string:
            return "string";
        case FieldType::integer:
            return "integer";
        case FieldType::number:
            return "number";
        case FieldType::boolean:
            return "boolean";
        case FieldType::datetime:
            return "datetime";
        case FieldType::date:
            return "date";
    }
    return "unknown";
}

struct SchemaField {
    std::string name;
    FieldType type = FieldType::string;
    bool nullable = false;
    std::string description = {};
    // Where the value comes from in the source record: "$.a.b" (a dotted path), "$.a.length()"
    // (the number of elements of an array), "$.a[*].b" (the b of each element, joined with
    // ", "). Empty: the field of the same name (shown as "$.<name>").
    std::string source = {};
};

struct DatasetSchema {
    std::string dataset;  // letters, digits and _, starting with a letter
    std::int64_t version = 1;
    std::string description = {};
    std::vector<std::string> primary_key;
    std::vector<SchemaField> fields;

    [[nodiscard]] const SchemaField* field(std::string_view name) const noexcept {
        for (const auto& f : fields)
            if (f.name == name) return &f;
        return nullptr;
    }
    [[nodiscard]] bool is_primary_key(std::string_view name) const noexcept {
        return std::find(primary_key.begin(), primary_key.end(), name) != primary_key.end();
    }
    [[nodiscard]] std::vector<std::string> field_names() const {
        std::vector<std::string> out;
        out.reserve(fields.size());
        for (const auto& f : fields)
            out.push_back(f.name);
        return out;
    }
};

// A schema file that cannot be used: what() is one line, "<where>: <problem>", where is
// the JSON path of the problem ("fields[2].type") or the file for load_dataset_schema.
class SchemaError : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

// One reason a row does not fit: the field and why.
struct RowProblem {
    std::string field;
    std::string reason;
};

namespace dataset_schema_detail {

inline std::string json_quoted(std::string_view s) {
    return boost::json::serialize(boost::json::string_view(s.data(), s.size()));
}

inline bool is_name(std::string_view s) noexcept {
    if (s.empty() || s.size() > 128) return false;
    const auto alpha = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'); };
    if (!alpha(s.front())) return false;
    return std::all_of(s.begin(), s.end(), [&](char c) { return alpha(c) || (c >= '0' && c <= '9') || c == '_'; });
}

inline std::optional<FieldType> field_type(std::string_view s) noexcept {
    for (auto t : {FieldType::string, FieldType::integer, FieldType::number, FieldType::boolean, FieldType::datetime,
                   FieldType::date})
        if (s == to_string(t)) return t;
    return std::nullopt;
}

// A source expression, split: the dotted path, and what to do with an array there.
struct Source {
    std::string path;
    enum class Op : unsigned char { value, length, each } op = Op::value;
    std::string each_path = {};  // Op::each: the path inside each element
};

// Nothing when the text is not one of the three forms.
inline std::optional<Source> parse_source(std::string_view s) {
    if (s.size() < 3 || s.substr(0, 2) != "$.") return std::nullopt;
    s.remove_prefix(2);
    Source out;
    constexpr std::string_view length_suffix = ".length()";
    if (const auto each = s.find("[*]."); each != std::string_view::npos) {
        out.op = Source::Op::each;
        out.path = std::string(s.substr(0, each));
        out.each_path = std::string(s.substr(each + 4));
        if (!is_valid_path(out.each_path)) return std::nullopt;
    } else if (s.size() > length_suffix.size() && s.substr(s.size() - length_suffix.size()) == length_suffix) {
        out.op = Source::Op::length;
        out.path = std::string(s.substr(0, s.size() - length_suffix.size()));
    } else {
        out.path = std::string(s);
    }
    if (!is_valid_path(out.path) || out.path.find_first_of("[]()*$") != std::string::npos ||
        out.each_path.find_first_of("[]()*$") != std::string::npos)
        return std::nullopt;
    return out;
}

inline bool is_date(std::string_view s) noexcept {
    using namespace iso8601_detail;
    std::size_t p = 0;
    unsigned y = 0, m = 0, d = 0;
    if (!digits(s, p, 4, y) || !expect(s, p, '-') || !digits(s, p, 2, m) || !expect(s, p, '-') || !digits(s, p, 2, d))
        return false;
    return p == s.size() && m >= 1 && m <= 12 && d >= 1 && d <= days_in_month(y, m);
}

inline std::string require_string(const boost::json::object& o, std::string_view key, const std::string& where,
                                  bool required) {
    const auto* v = o.if_contains(key);
    if (v == nullptr) {
        if (required) throw SchemaError(where + std::string(key) + ": required, missing");
        return {};
    }
    if (!v->is_string()) throw SchemaError(where + std::string(key) + ": expected a string, got " + json_type_name(*v));
    return std::string(v->get_string());
}

inline void only_keys(const boost::json::object& o, std::initializer_list<std::string_view> keys,
                      const std::string& where) {
    for (const auto& kv : o) {
        if (std::find(keys.begin(), keys.end(), kv.key()) != keys.end()) continue;
        std::string valid;
        for (auto k : keys)
            valid += (valid.empty() ? "" : ", ") + std::string(k);
        throw SchemaError(where + std::string(kv.key()) + ": unknown key; valid keys: " + valid);
    }
}

}  // namespace dataset_schema_detail

// Parses a schema's JSON text. Throws SchemaError naming the first problem by its JSON
// path ("fields[2].type: must be one of string, integer, ...").
[[nodiscard]] inline DatasetSchema parse_dataset_schema(std::string_view text) {
    using namespace dataset_schema_detail;
    boost::system::error_code ec;
    const boost::json::value root = boost::json::parse(boost::json::string_view(text.data(), text.size()), ec);
    if (ec) throw SchemaError("invalid JSON: " + ec.message());
    if (!root.is_object()) throw SchemaError(std::string("expected a JSON object, got ") + json_type_name(root));
    const auto& o = root.get_object();
    only_keys(o, {"dataset", "version", "description", "primary_key", "fields"}, "");

    DatasetSchema s;
    s.dataset = require_string(o, "dataset", "", true);
    if (!is_name(s.dataset))
        throw SchemaError("dataset: " + json_quoted(s.dataset) +
                          " is not a dataset name: letters, digits and _, starting with a letter");
    const auto* version = o.if_contains("version");
    if (version == nullptr) throw SchemaError("version: required, missing (1 for a new dataset)");
    if (!version->is_int64() && !version->is_uint64())
        throw SchemaError(std::string("version: expected an integer, got ") + json_type_name(*version));
    s.version = version->is_int64() ? version->get_int64() : -1;
    if (s.version < 1) throw SchemaError("version: must be 1 or more, got " + boost::json::serialize(*version));
    s.description = require_string(o, "description", "", false);

    const auto* fields = o.if_contains("fields");
    if (fields == nullptr) throw SchemaError("fields: required, missing");
    if (!fields->is_array()) throw SchemaError(std::string("fields: expected an array, got ") + json_type_name(*fields));
    if (fields->get_array().empty()) throw SchemaError("fields: must have at least 1 field");
    for (std::size_t i = 0; i < fields->get_array().size(); ++i) {
        const std::string where = "fields[" + std::to_string(i) + "]";
        const auto& fv = fields->get_array()[i];
        if (!fv.is_object()) throw SchemaError(where + ": expected an object, got " + json_type_name(fv));
        const auto& fo = fv.get_object();
        only_keys(fo, {"name", "type", "nullable", "description", "source"}, where + ".");
        SchemaField f;
        f.name = require_string(fo, "name", where + ".", true);
        if (!is_name(f.name))
            throw SchemaError(where + ".name: " + json_quoted(f.name) +
                              " is not a field name: letters, digits and _, starting with a letter");
        if (s.field(f.name) != nullptr) throw SchemaError(where + ".name: " + json_quoted(f.name) + " is given twice");
        const auto type = require_string(fo, "type", where + ".", true);
        const auto t = field_type(type);
        if (!t)
            throw SchemaError(where + ".type: " + json_quoted(type) +
                              " is not a type; one of string, integer, number, boolean, datetime, date");
        f.type = *t;
        if (const auto* n = fo.if_contains("nullable")) {
            if (!n->is_bool()) throw SchemaError(where + ".nullable: expected a boolean, got " + json_type_name(*n));
            f.nullable = n->get_bool();
        }
        f.description = require_string(fo, "description", where + ".", false);
        f.source = require_string(fo, "source", where + ".", false);
        if (!f.source.empty() && !parse_source(f.source))
            throw SchemaError(where + ".source: " + json_quoted(f.source) +
                              " is not a source field; write \"$.a.b\", \"$.a.length()\" or \"$.a[*].b\"");
        s.fields.push_back(std::move(f));
    }

    const auto* pk = o.if_contains("primary_key");
    if (pk == nullptr)
        throw SchemaError("primary_key: required, missing (the fields that identify a row, e.g. [\"id\"])");
    if (!pk->is_array()) throw SchemaError(std::string("primary_key: expected an array, got ") + json_type_name(*pk));
    if (pk->get_array().empty())
        throw SchemaError("primary_key: must name at least 1 field: without one a resent row is counted twice");
    for (std::size_t i = 0; i < pk->get_array().size(); ++i) {
        const std::string where = "primary_key[" + std::to_string(i) + "]";
        const auto& k = pk->get_array()[i];
        if (!k.is_string()) throw SchemaError(where + ": expected a string, got " + json_type_name(k));
        const std::string name(k.get_string());
        const auto* f = s.field(name);
        if (f == nullptr) throw SchemaError(where + ": " + json_quoted(name) + " is not one of the fields");
        if (f->nullable)
            throw SchemaError(where + ": " + json_quoted(name) + " is nullable; a primary key field cannot be");
        if (s.is_primary_key(name)) throw SchemaError(where + ": " + json_quoted(name) + " is given twice");
        s.primary_key.push_back(name);
    }
    return s;
}

// Reads and parses a schema file; SchemaError's message starts with the file.
[[nodiscard]] inline DatasetSchema load_dataset_schema(const std::filesystem::path& file) {
    std::error_code ec;
    if (std::filesystem::is_directory(file, ec)) throw SchemaError(file.string() + ": a folder, not a schema file");
    std::ifstream in(file, std::ios::binary);
    if (!in) throw SchemaError(file.string() + ": cannot read it (missing, or no permission)");
    const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    try {
        return parse_dataset_schema(text);
    } catch (const SchemaError& e) {
        throw SchemaError(file.string() + ": " + e.what());
    }
}

// The row a record becomes: each field's value taken from its source (or the field of the
// same name), nothing else. A source that is absent gives no key (check_row then says so).
[[nodiscard]] inline boost::json::object extract_row(const DatasetSchema& schema, const boost::json::object& record) {
    using namespace dataset_schema_detail;
    boost::json::object row;
    row.reserve(schema.fields.size());
    for (const auto& f : schema.fields) {
        if (f.source.empty()) {
            if (const auto* v = record.if_contains(f.name)) row.emplace(f.name, *v);
            continue;
        }
        const auto src = parse_source(f.source);  // checked by the parser
        if (!src) continue;
        const auto* v = find_path(record, src->path);
        if (v == nullptr) continue;
        if (src->op == Source::Op::value) {
            row.emplace(f.name, *v);
        } else if (!v->is_array()) {
            row.emplace(f.name, *v);  // check_row names the wrong type
        } else if (src->op == Source::Op::length) {
            row.emplace(f.name, static_cast<std::int64_t>(v->get_array().size()));
        } else {
            std::string joined;
            for (const auto& e : v->get_array()) {
                const boost::json::value* item = e.is_object() ? find_path(e.get_object(), src->each_path) : nullptr;
                if (item == nullptr || item->is_null()) continue;
                if (!joined.empty()) joined += ", ";
                joined += item->is_string() ? std::string(item->get_string()) : boost::json::serialize(*item);
            }
            row.emplace(f.name, joined);
        }
    }
    return row;
}

// Every reason `row` (keyed by field name, as extract_row makes it) does not fit: a
// missing non-nullable field, null in a non-nullable one, a value of another type, a
// datetime that is not ISO 8601 with an offset, a date that is not YYYY-MM-DD. Keys that
// are not fields are ignored (they are not sent). Empty: it fits.
[[nodiscard]] inline std::vector<RowProblem> check_row(const DatasetSchema& schema, const boost::json::object& row) {
    using namespace dataset_schema_detail;
    std::vector<RowProblem> out;
    for (const auto& f : schema.fields) {
        const auto* v = row.if_contains(f.name);
        if (v == nullptr || v->is_null()) {
            if (!f.nullable)
                out.push_back({f.name, v == nullptr ? "missing, and the field is not nullable"
                                                    : "null, and the field is not nullable"});
            continue;
        }
        bool fits = false;
        std::string why;
        switch (f.type) {
            case FieldType::string:
                fits = v->is_string();
                break;
            case FieldType::integer:
                fits = v->is_int64() || v->is_uint64();
                break;
            case FieldType::number:
                fits = v->is_number();
                break;
            case FieldType::boolean:
                fits = v->is_bool();
                break;
            case FieldType::datetime:
                fits = v->is_string() && parse_iso8601_ms(v->get_string()).has_value();
                if (v->is_string() && !fits)
                    why = json_quoted(v->get_string()) +
                          " is not an ISO 8601 date-time with an offset (e.g. 2024-03-01T12:00:00Z)";
                break;
            case FieldType::date:
                fits = v->is_string() && is_date(v->get_string());
                if (v->is_string() && !fits) why = json_quoted(v->get_string()) + " is not a date (YYYY-MM-DD)";
                break;
        }
        if (fits) continue;
        if (why.empty()) why = std::string("expected ") + to_string(f.type) + ", got " + json_type_name(*v);
        out.push_back({f.name, std::move(why)});
    }
    return out;
}

// "field: reason; field: reason": the one line a rejected row's dead letter carries.
[[nodiscard]] inline std::string describe(const std::vector<RowProblem>& problems) {
    std::string out;
    for (const auto& p : problems)
        out += (out.empty() ? "" : "; ") + p.field + ": " + p.reason;
    return out;
}

// The row as it is sent: every field present (an absent nullable one as null), datetimes
// in UTC with milliseconds and Z, the rest as they are. For a row check_row accepted.
inline void normalize_row(const DatasetSchema& schema, boost::json::object& row) {
    for (const auto& f : schema.fields) {
        if (!row.contains(f.name)) row.emplace(f.name, nullptr);
        if (f.type != FieldType::datetime) continue;
        auto* v = row.if_contains(f.name);
        if (v == nullptr || !v->is_string()) continue;
        if (auto utc = normalize_iso8601_utc(v->get_string())) *v = boost::json::string(*utc);
    }
}

// Why rows already sent under `before` would not fit `after`, one line a change, each
// ending with what to do; empty when `after` is a compatible evolution (new nullable fields,
// a field made nullable, descriptions and sources changed).
[[nodiscard]] inline std::vector<std::string> check_evolution(const DatasetSchema& before, const DatasetSchema& after) {
    using namespace dataset_schema_detail;
    std::vector<std::string> out;
    const std::string advice = "publish it as a new dataset (\"dataset\": \"" + before.dataset + "_v" +
                               std::to_string(after.version) + "\", version 1) and point the writer at it";
    std::string from = "v";  // appended: GCC 12 warns of a false -Wrestrict on "v" + std::string
    from += std::to_string(before.version);
    from += " -> v";
    from += std::to_string(after.version);
    if (after.dataset != before.dataset)
        out.push_back("dataset: renamed from " + json_quoted(before.dataset) + " to " + json_quoted(after.dataset) +
                      " (" + from +
                      "): a renamed dataset is a new dataset: start it at version 1 in a file of its own");
    if (after.version < before.version)
        out.push_back("version: goes back from " + std::to_string(before.version) + " to " +
                      std::to_string(after.version) + ": a new version has a higher number");
    if (after.primary_key != before.primary_key) {
        std::string a, b;
        for (const auto& k : before.primary_key)
            a += (a.empty() ? "" : ", ") + k;
        for (const auto& k : after.primary_key)
            b += (b.empty() ? "" : ", ") + k;
        out.push_back("primary_key: changes from [" + a + "] to [" + b + "] (" + from +
                      "): rows already sent are keyed the old way; " + advice);
    }
    for (const auto& old : before.fields) {
        const auto* now = after.field(old.name);
        if (now == nullptr) {
            out.push_back("field " + old.name + ": removed or renamed (" + from +
                          "): rows already sent have it; keep it (nullable if it is no longer filled) or " + advice);
            continue;
        }
        if (now->type != old.type)
            out.push_back("field " + old.name + ": type changes from " + to_string(old.type) + " to " +
                          to_string(now->type) + " (" + from + "): rows already sent hold " + to_string(old.type) +
                          " values; " + advice);
        if (old.nullable && !now->nullable)
            out.push_back("field " + old.name + ": becomes non-nullable (" + from +
                          "): rows already sent may hold null; keep it nullable or " + advice);
    }
    for (const auto& f : after.fields) {
        if (before.field(f.name) != nullptr || f.nullable) continue;
        out.push_back("field " + f.name + ": new and not nullable (" + from +
                      "): rows already sent have no value for it; make it \"nullable\": true or " + advice);
    }
    return out;
}

// The mapping table of a schema in Markdown: a heading, the description, then one row a
// field (field, type, nullable, primary key, source field, description).
[[nodiscard]] inline std::string render_markdown(const DatasetSchema& schema) {
    const auto cell = [](std::string_view s) {
        std::string out;
        for (char c : s) {
            if (c == '|')
                out += "\\|";
            else if (c == '\n' || c == '\r')
                out += ' ';
            else
                out += c;
        }
        return out;
    };
    std::string out = "#### Dataset `" + schema.dataset + "`, version " + std::to_string(schema.version) + "\n\n";
    if (!schema.description.empty()) out += cell(schema.description) + "\n\n";
    out += "| field | type | nullable | primary key | source field | description |\n";
    out += "|---|---|---|---|---|---|\n";
    for (const auto& f : schema.fields) {
        out += "| `" + f.name + "` | " + to_string(f.type) + " | " + (f.nullable ? "yes" : "no") + " | " +
               (schema.is_primary_key(f.name) ? "yes" : "") + " | `" +
               cell(f.source.empty() ? "$." + f.name : f.source) + "` | " + cell(f.description) + " |\n";
    }
    return out;
}

}  // namespace junction::sdk
