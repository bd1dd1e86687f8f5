// Fuzzes the mongodb plugin's JSON <-> BSON conversion (plugins/mongodb/convert.cpp).
// First byte 'B': the rest is a BSON document as a server could send it; it is read as
// the reader does (bson_to_json, id_to_position) and the position turned back into an
// _id. Otherwise the input is {"record": {...}, "date_fields": [...], "extended": {...}}:
// the record is converted as the writer does, the extended JSON as filters and update
// expressions are, with $now/$reason substituted first.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <bson/bson.h>
#include <boost/json/parse.hpp>

#include "convert.hpp"

namespace {

namespace json = boost::json;
namespace mongodb = junction::mongodb;

void check(bool ok) {
    if (!ok) __builtin_trap();
}

void from_server(const std::uint8_t* data, std::size_t size) {
    bson_t document;
    if (!bson_init_static(&document, data, size)) return;
    std::size_t offset = 0;
    if (!bson_validate(&document, BSON_VALIDATE_NONE, &offset)) return;
    (void)mongodb::bson_to_json(&document);
    bson_iter_t id;
    if (bson_iter_init_find(&id, &document, "_id")) {
        const auto position = mongodb::id_to_position(&id);
        bson_t back = BSON_INITIALIZER;
        (void)mongodb::append_id_from_position(position, "_id", &back);
        bson_destroy(&back);
    }
}

void from_records(const std::uint8_t* data, std::size_t size) {
    boost::system::error_code ec;
    auto value = json::parse(std::string_view(reinterpret_cast<const char*>(data), size), ec);
    if (ec || !value.is_object()) return;
    const auto& in = value.get_object();

    if (const auto* record = in.if_contains("record"); record != nullptr && record->is_object()) {
        std::vector<std::string> date_fields;
        if (const auto* d = in.if_contains("date_fields"); d != nullptr && d->is_array())
            for (const auto& f : d->get_array())
                if (f.is_string()) date_fields.emplace_back(f.get_string());
        bson_t document = BSON_INITIALIZER;
        if (!mongodb::json_to_bson(record->get_object(), date_fields, &document)) {
            // What was written reads back, and converts again.
            const auto read = mongodb::bson_to_json(&document);
            bson_t again = BSON_INITIALIZER;
            check(!mongodb::json_to_bson(read, {}, &again));
            bson_destroy(&again);
        }
        bson_destroy(&document);
    }
    if (const auto* extended = in.if_contains("extended"); extended != nullptr && extended->is_object()) {
        const auto substituted = mongodb::substitute_placeholders(extended->get_object(), 1709294400000, "reason");
        bson_t query;
        (void)mongodb::extended_json_to_bson(substituted, &query);
        bson_destroy(&query);
    }
    if (const auto* position = in.if_contains("position"); position != nullptr && position->is_string()) {
        bson_t out = BSON_INITIALIZER;
        (void)mongodb::append_id_from_position(std::string(position->get_string()), "_id", &out);
        bson_destroy(&out);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size > 0 && data[0] == 'B')
        from_server(data + 1, size - 1);
    else
        from_records(data, size);
    return 0;
}
