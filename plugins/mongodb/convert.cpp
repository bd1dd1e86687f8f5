#include "convert.hpp"

#include <algorithm>
#include <limits>
#include <memory>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <junction/sdk/iso8601.hpp>
#include <junction/sdk/json_text.hpp>

namespace junction::mongodb {
namespace {

namespace json = boost::json;

struct BsonFree {
    void operator()(char* p) const noexcept { bson_free(p); }
};

bool is_date_field(std::span<const std::string> date_fields, const std::string& path) {
    return std::find(date_fields.begin(), date_fields.end(), path) != date_fields.end();
}

std::optional<std::string> append_value(bson_t* out, const char* key, int key_len, const json::value& v,
                                        std::span<const std::string> date_fields, const std::string& path,
                                        bool extended);

// An Extended JSON type wrapper such as {"$oid": ...} or {"$date": ...}; query operators
// such as {"$type": "date"} are not (libbson's parser mistakes those for legacy binary).
bool is_type_wrapper(const json::object& o) {
    static constexpr std::string_view wrappers[] = {
        "$oid",    "$date", "$numberLong", "$numberInt", "$numberDouble", "$numberDecimal",
        "$binary", "$uuid", "$timestamp",  "$minKey",    "$maxKey",       "$regularExpression",
        "$symbol", "$code", "$dbPointer",  "$undefined"};
    if (o.empty() || o.size() > 2) return false;
    const auto first = o.begin()->key();
    return std::find(std::begin(wrappers), std::end(wrappers), first) != std::end(wrappers);
}

std::optional<std::string> append_wrapper(bson_t* out, const char* key, int key_len, const json::object& o) {
    const std::string text = "{\"v\": " + json::serialize(o) + "}";
    bson_t parsed;
    bson_error_t error;
    if (!bson_init_from_json(&parsed, text.c_str(), static_cast<ssize_t>(text.size()), &error))
        return std::string(error.message) + " in " + sdk::to_json_text(o);
    bson_iter_t iter;
    if (bson_iter_init_find(&iter, &parsed, "v")) bson_append_value(out, key, key_len, bson_iter_value(&iter));
    bson_destroy(&parsed);
    return std::nullopt;
}

std::optional<std::string> append_object(bson_t* out, const json::object& object,
                                         std::span<const std::string> date_fields, const std::string& prefix,
                                         bool extended = false) {
    for (const auto& field : object) {
        const std::string path = prefix.empty() ? std::string(field.key()) : prefix + "." + std::string(field.key());
        // BSON keys are C strings: libbson refuses to open a document under such a key,
        // and filling the unopened one crashed the host (found by fuzzing: {"a\u0000": {}}).
        if (field.key().find('\0') != json::string_view::npos)
            return "field " + sdk::to_json_text(json::value(path)) + ": a key holding a NUL character (\\u0000) "
                   "cannot be stored in BSON";
        if (auto err = append_value(out, field.key().data(), static_cast<int>(field.key().size()), field.value(),
                                    date_fields, path, extended))
            return err;
    }
    return std::nullopt;
}

std::optional<std::string> append_value(bson_t* out, const char* key, int key_len, const json::value& v,
                                        std::span<const std::string> date_fields, const std::string& path,
                                        bool extended) {
    if (extended && v.is_object() && is_type_wrapper(v.get_object()))
        return append_wrapper(out, key, key_len, v.get_object());
    if (!date_fields.empty() && is_date_field(date_fields, path)) {
        if (v.is_null()) {
            bson_append_null(out, key, key_len);
            return std::nullopt;
        }
        const auto ms = v.is_string() ? sdk::parse_iso8601_ms(v.get_string()) : std::nullopt;
        if (!ms) return "field '" + path + "': not an ISO 8601 date-time with a UTC offset: " + sdk::to_json_text(v);
        bson_append_date_time(out, key, key_len, *ms);
        return std::nullopt;
    }
    switch (v.kind()) {
        case json::kind::null:
            bson_append_null(out, key, key_len);
            break;
        case json::kind::bool_:
            bson_append_bool(out, key, key_len, v.get_bool());
            break;
        case json::kind::int64: {
            const auto i = v.get_int64();
            if (i >= std::numeric_limits<std::int32_t>::min() && i <= std::numeric_limits<std::int32_t>::max())
                bson_append_int32(out, key, key_len, static_cast<std::int32_t>(i));
            else
                bson_append_int64(out, key, key_len, i);
            break;
        }
        case json::kind::uint64: {
            const auto u = v.get_uint64();
            if (u <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
                bson_append_int64(out, key, key_len, static_cast<std::int64_t>(u));
            else
                bson_append_double(out, key, key_len, static_cast<double>(u));
            break;
        }
        case json::kind::double_:
            bson_append_double(out, key, key_len, v.get_double());
            break;
        case json::kind::string: {
            const auto& s = v.get_string();
            bson_append_utf8(out, key, key_len, s.data(), static_cast<int>(s.size()));
            break;
        }
        case json::kind::array: {
            bson_t child;
            if (!bson_append_array_begin(out, key, key_len, &child))
                return "field '" + path + "': cannot be stored in BSON (too large)";
            std::size_t i = 0;
            for (const auto& e : v.get_array()) {
                const char* index_key = nullptr;
                char buf[16];
                const auto n = bson_uint32_to_string(static_cast<std::uint32_t>(i), &index_key, buf, sizeof buf);
                if (auto err = append_value(&child, index_key, static_cast<int>(n), e, date_fields,
                                            path + "." + std::to_string(i), extended)) {
                    bson_append_array_end(out, &child);
                    return err;
                }
                ++i;
            }
            bson_append_array_end(out, &child);
            break;
        }
        case json::kind::object: {
            bson_t child;
            if (!bson_append_document_begin(out, key, key_len, &child))
                return "field '" + path + "': cannot be stored in BSON (too large)";
            auto err = append_object(&child, v.get_object(), date_fields, path, extended);
            bson_append_document_end(out, &child);
            if (err) return err;
            break;
        }
    }
    return std::nullopt;
}

// Types with no natural JSON form keep their relaxed Extended JSON form.
json::value relaxed_extended_json(const bson_iter_t* iter) {
    bson_t wrapper = BSON_INITIALIZER;
    bson_append_iter(&wrapper, "v", 1, iter);
    std::unique_ptr<char, BsonFree> text(bson_as_relaxed_extended_json(&wrapper, nullptr));
    bson_destroy(&wrapper);
    if (!text) return nullptr;
    boost::system::error_code ec;
    auto parsed = json::parse(text.get(), ec);
    if (ec || !parsed.is_object()) return nullptr;
    return parsed.get_object()["v"];
}

json::array bson_array_to_json(const bson_iter_t* iter) {
    json::array out;
    bson_iter_t child;
    if (bson_iter_recurse(iter, &child))
        while (bson_iter_next(&child))
            out.push_back(bson_value_to_json(&child));
    return out;
}

}  // namespace

boost::json::value bson_value_to_json(const bson_iter_t* iter) {
    switch (bson_iter_type(iter)) {
        case BSON_TYPE_DOUBLE:
            return bson_iter_double(iter);
        case BSON_TYPE_INT32:
        case BSON_TYPE_INT64:
            return bson_iter_as_int64(iter);
        case BSON_TYPE_BOOL:
            return bson_iter_bool(iter);
        case BSON_TYPE_NULL:
        case BSON_TYPE_UNDEFINED:
            return nullptr;
        case BSON_TYPE_UTF8: {
            std::uint32_t len = 0;
            const char* s = bson_iter_utf8(iter, &len);
            return json::string(std::string_view(s, len));
        }
        case BSON_TYPE_OID: {
            char hex[25];
            bson_oid_to_string(bson_iter_oid(iter), hex);
            return json::string(hex);
        }
        case BSON_TYPE_DATE_TIME:
            return json::string(sdk::format_iso8601_ms(bson_iter_date_time(iter)));
        case BSON_TYPE_DOCUMENT: {
            json::object out;
            bson_iter_t child;
            if (bson_iter_recurse(iter, &child))
                while (bson_iter_next(&child))
                    out[bson_iter_key(&child)] = bson_value_to_json(&child);
            return out;
        }
        case BSON_TYPE_ARRAY:
            return bson_array_to_json(iter);
        default:
            return relaxed_extended_json(iter);
    }
}

std::optional<std::string> json_to_bson(const boost::json::object& object, std::span<const std::string> date_fields,
                                        bson_t* out) {
    return append_object(out, object, date_fields, {});
}

boost::json::object bson_to_json(const bson_t* document) {
    json::object out;
    bson_iter_t iter;
    if (bson_iter_init(&iter, document))
        while (bson_iter_next(&iter))
            out[bson_iter_key(&iter)] = bson_value_to_json(&iter);
    return out;
}

std::optional<std::string> extended_json_to_bson(const boost::json::object& object, bson_t* out) {
    bson_init(out);
    auto err = append_object(out, object, {}, {}, true);
    if (err) bson_reinit(out);
    return err;
}

namespace {

json::value substitute(const json::value& v, std::int64_t now_ms, const std::string& reason) {
    if (v.is_string()) {
        if (v.get_string() == "$now")
            return json::object{{"$date", json::object{{"$numberLong", std::to_string(now_ms)}}}};
        if (v.get_string() == "$reason") return json::value(reason);
    } else if (v.is_object()) {
        return substitute_placeholders(v.get_object(), now_ms, reason);
    } else if (v.is_array()) {
        json::array out;
        for (const auto& e : v.get_array())
            out.push_back(substitute(e, now_ms, reason));
        return out;
    }
    return v;
}

}  // namespace

boost::json::object substitute_placeholders(const boost::json::object& object, std::int64_t now_ms,
                                            const std::string& reason) {
    json::object out;
    for (const auto& field : object)
        out[field.key()] = substitute(field.value(), now_ms, reason);
    return out;
}

std::string id_to_position(const bson_iter_t* id) {
    if (bson_iter_type(id) == BSON_TYPE_OID) {
        char hex[25];
        bson_oid_to_string(bson_iter_oid(id), hex);
        return hex;
    }
    bson_t wrapper = BSON_INITIALIZER;
    bson_append_iter(&wrapper, "_id", 3, id);
    std::unique_ptr<char, BsonFree> text(bson_as_canonical_extended_json(&wrapper, nullptr));
    bson_destroy(&wrapper);
    return text ? std::string(text.get()) : std::string();
}

bool append_id_from_position(const std::string& position, const char* key, bson_t* out) {
    if (position.size() == 24 && bson_oid_is_valid(position.c_str(), position.size())) {
        bson_oid_t oid;
        bson_oid_init_from_string(&oid, position.c_str());
        return bson_append_oid(out, key, -1, &oid);
    }
    if (position.empty() || position.front() != '{') return false;
    bson_t wrapper;
    bson_error_t error;
    if (!bson_init_from_json(&wrapper, position.c_str(), static_cast<ssize_t>(position.size()), &error)) return false;
    bson_iter_t iter;
    const bool found = bson_iter_init_find(&iter, &wrapper, "_id");
    const bool ok = found && bson_append_value(out, key, -1, bson_iter_value(&iter));
    bson_destroy(&wrapper);
    return ok;
}

}  // namespace junction::mongodb
