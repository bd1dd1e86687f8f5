// JSON records <-> BSON documents, pure (no I/O), so they are tested without a server.
// Records carry dates as ISO 8601 strings and ObjectIds as 24-hex strings; MongoDB
// holds BSON dates and ObjectIds.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include <bson/bson.h>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

namespace junction::mongodb {

// Appends every field of `object` to `out`. Fields whose dotted path is in date_fields
// must be ISO 8601 strings (any UTC offset) or null; they become BSON dates. Integers
// become int32 when they fit, else int64. Returns an error naming the field, or nothing.
std::optional<std::string> json_to_bson(const boost::json::object& object, std::span<const std::string> date_fields,
                                        bson_t* out);

// A document as JSON: ObjectIds as 24-hex strings, dates as "2024-03-01T12:00:00.000Z",
// int32/int64 as integers, doubles as doubles, other BSON types as relaxed Extended JSON.
boost::json::object bson_to_json(const bson_t* document);

// One value (at the iterator) as JSON, with the same rules.
boost::json::value bson_value_to_json(const bson_iter_t* iter);

// Extended JSON (a query, an update expression) to BSON: type wrappers such as {"$oid": ...}
// and {"$date": ...} are honoured, query operators ({"$type": "date"}) kept as they are.
// `out` is initialized here. Returns an error, or nothing with `out` filled.
std::optional<std::string> extended_json_to_bson(const boost::json::object& object, bson_t* out);

// Replaces string values "$now" (by {"$date": now}) and "$reason" (by reason) at any depth,
// in nested objects and arrays.
boost::json::object substitute_placeholders(const boost::json::object& object, std::int64_t now_ms,
                                            const std::string& reason);

// The resume token for a document's _id: its 24-hex form for an ObjectId, else the
// canonical Extended JSON of {"_id": value}. And back, appended as "_id" to `out`.
std::string id_to_position(const bson_iter_t* id);
bool append_id_from_position(const std::string& position, const char* key, bson_t* out);

}  // namespace junction::mongodb
