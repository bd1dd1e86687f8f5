#include "collection.hpp"

#include <cstring>

#include "convert.hpp"
#include "guards.hpp"

namespace junction::mongodb {
namespace {

bool is_oid_hex(std::string_view s) {
    return s.size() == 24 && bson_oid_is_valid(s.data(), s.size());
}

// The lowest ObjectId: {_id: {$gte: it}} is every ObjectId id (MongoDB compares within a type).
void append_min_oid(bson_t* doc, const char* key) {
    bson_oid_t zero;
    std::memset(&zero, 0, sizeof zero);
    BSON_APPEND_OID(doc, key, &zero);
}

// {_id: {<op>: value}} appended to `doc` under `key` (an array index).
template <class Append>
void append_id_term(bson_t* doc, const char* key, const char* op, Append value) {
    bson_t term;
    bson_t cmp;
    BSON_APPEND_DOCUMENT_BEGIN(doc, key, &term);
    BSON_APPEND_DOCUMENT_BEGIN(&term, "_id", &cmp);
    value(&cmp, op);
    bson_append_document_end(&term, &cmp);
    bson_append_document_end(doc, &term);
}

// Where a page starts: the cursor's key is "o<24 hex>" after an ObjectId, "s<text>"
// after a string id, empty for the first page. Appended as one element of an $and.
bool append_keyset(bson_t* all, const char* key, const std::string& after) {
    const auto oid_from = [](std::string_view hex) {
        bson_oid_t oid;
        bson_oid_init_from_string(&oid, std::string(hex).c_str());
        return oid;
    };
    if (!after.empty() && after[0] == 'o') {
        if (!is_oid_hex(std::string_view(after).substr(1))) return false;
        const auto oid = oid_from(std::string_view(after).substr(1));
        append_id_term(all, key, "$gt", [&](bson_t* d, const char* op) { BSON_APPEND_OID(d, op, &oid); });
        return true;
    }
    if (!after.empty() && after[0] != 's') return false;
    // strings after the last one (or all of them), then every ObjectId
    bson_t either;
    bson_t branches;
    BSON_APPEND_DOCUMENT_BEGIN(all, key, &either);
    BSON_APPEND_ARRAY_BEGIN(&either, "$or", &branches);
    const std::string text = after.empty() ? std::string() : after.substr(1);
    append_id_term(&branches, "0", after.empty() ? "$gte" : "$gt", [&](bson_t* d, const char* op) {
        bson_append_utf8(d, op, -1, text.data(), static_cast<int>(text.size()));
    });
    append_id_term(&branches, "1", "$gte", [](bson_t* d, const char* op) { append_min_oid(d, op); });
    bson_append_array_end(&either, &branches);
    bson_append_document_end(all, &either);
    return true;
}

// {_id: {$in: [ObjectId(id), id]}} for 24 hex digits (either may be stored), else {_id: id}.
void append_id_match(bson_t* doc, std::string_view id) {
    if (is_oid_hex(id)) {
        bson_t in;
        bson_t values;
        bson_oid_t oid;
        bson_oid_init_from_string(&oid, std::string(id).c_str());
        BSON_APPEND_DOCUMENT_BEGIN(doc, "_id", &in);
        BSON_APPEND_ARRAY_BEGIN(&in, "$in", &values);
        BSON_APPEND_OID(&values, "0", &oid);
        bson_append_utf8(&values, "1", 1, id.data(), static_cast<int>(id.size()));
        bson_append_array_end(&in, &values);
        bson_append_document_end(doc, &in);
    } else {
        bson_append_utf8(doc, "_id", 3, id.data(), static_cast<int>(id.size()));
    }
}

}  // namespace

sdk::Status MongoCollection::open(sdk::Context& context) {
    config_ = collection_config(context.options());
    scope_ = "mongodb:" + config_.database + "." + config_.collection;
    if (auto s = Client::create(config_, context.log(), client_); !s.is_ok()) return s;
    if (auto s = client_->ping(); !s.is_ok()) return s;
    context.log().debug("mongodb collection: " + client_->endpoint() + " " + config_.database + "." +
                        config_.collection);
    return sdk::Status::ok();
}

sdk::Status MongoCollection::list(const sdk::CollectionQuery& q, sdk::CollectionPage& out) {
    if (!client_) return sdk::Status::fatal("mongodb collection: list() before a successful open()");
    out = {};
    std::string after;
    if (!q.after.empty()) {
        auto key = sdk::decode_cursor(scope_, q.after);
        if (!key || key->empty())
            return sdk::Status::reject("after: \"" + q.after + "\" is not a cursor of collection " +
                                       config_.collection + " (pass the next_after of its previous page)");
        after = std::move(*key);
    }
    BsonGuard query;
    bson_t all;
    BSON_APPEND_ARRAY_BEGIN(&query.doc, "$and", &all);
    int n = 0;
    for (const auto& [field, value] : q.equals) {
        if (!sdk::is_valid_path(field) || field.starts_with('$') || field.find(".$") != std::string::npos) {
            bson_append_array_end(&query.doc, &all);
            return sdk::Status::reject("filter " + field + ": not a field path");
        }
        if (value.is_object() || value.is_array()) {
            bson_append_array_end(&query.doc, &all);
            return sdk::Status::reject("filter " + field + ": expected a string, number, boolean or null, got " +
                                       sdk::to_json_text(value));
        }
        const std::string index = std::to_string(n++);
        bson_t term = BSON_INITIALIZER;
        if (field == "_id" && value.is_string()) {
            append_id_match(&term, value.get_string());
        } else if (auto err = json_to_bson(boost::json::object{{field, value}}, config_.date_fields, &term)) {
            bson_destroy(&term);
            bson_append_array_end(&query.doc, &all);
            return sdk::Status::reject("filter " + field + ": " + *err);
        }
        BSON_APPEND_DOCUMENT(&all, index.c_str(), &term);
        bson_destroy(&term);
    }
    const bool cursor_ok = append_keyset(&all, std::to_string(n).c_str(), after);
    bson_append_array_end(&query.doc, &all);
    if (!cursor_ok)
        return sdk::Status::reject("after: \"" + q.after + "\" is not a cursor of collection " + config_.collection +
                                   " (pass the next_after of its previous page)");

    const std::size_t limit = q.limit == 0 ? 1 : q.limit;
    BsonGuard opts;
    bson_t sort;
    BSON_APPEND_DOCUMENT_BEGIN(&opts.doc, "sort", &sort);
    BSON_APPEND_INT32(&sort, "_id", 1);
    bson_append_document_end(&opts.doc, &sort);
    BSON_APPEND_INT64(&opts.doc, "limit", static_cast<std::int64_t>(limit + 1));  // one more: is there a next page?
    BSON_APPEND_INT64(&opts.doc, "batchSize", static_cast<std::int64_t>(limit + 1));
    BSON_APPEND_INT64(&opts.doc, "maxTimeMS", client_->config().timeout.count());

    Client::Lease lease(*client_);
    CursorGuard cursor{mongoc_collection_find_with_opts(lease.collection(), &query.doc, &opts.doc, nullptr)};
    const bson_t* doc = nullptr;
    std::string last_key;
    bool more = false;
    while (mongoc_cursor_next(cursor.cursor, &doc)) {
        if (out.items.size() == limit) {
            more = true;
            break;
        }
        bson_iter_t id;
        if (bson_iter_init_find(&id, doc, "_id")) {
            if (BSON_ITER_HOLDS_OID(&id)) {
                char hex[25];
                bson_oid_to_string(bson_iter_oid(&id), hex);
                last_key = std::string("o") + hex;
            } else if (BSON_ITER_HOLDS_UTF8(&id)) {
                std::uint32_t len = 0;
                const char* s = bson_iter_utf8(&id, &len);
                last_key = "s";  // not "s" + string: GCC 12 warns of a false -Wrestrict there
                last_key.append(s, len);
            }
        }
        out.items.push_back(bson_to_json(doc));
    }
    bson_error_t error;
    if (!more && mongoc_cursor_error(cursor.cursor, &error)) {
        out = {};
        return client_->status_of(error, "find");
    }
    if (more) out.next_after = sdk::encode_cursor(scope_, last_key);
    return sdk::Status::ok();
}

sdk::Status MongoCollection::get(std::string_view id, std::optional<boost::json::object>& out) {
    if (!client_) return sdk::Status::fatal("mongodb collection: get() before a successful open()");
    out.reset();
    BsonGuard query;
    append_id_match(&query.doc, id);
    BsonGuard opts;
    BSON_APPEND_INT64(&opts.doc, "limit", 1);
    BSON_APPEND_INT64(&opts.doc, "maxTimeMS", client_->config().timeout.count());
    Client::Lease lease(*client_);
    CursorGuard cursor{mongoc_collection_find_with_opts(lease.collection(), &query.doc, &opts.doc, nullptr)};
    const bson_t* doc = nullptr;
    if (mongoc_cursor_next(cursor.cursor, &doc)) {
        out = bson_to_json(doc);
        return sdk::Status::ok();
    }
    bson_error_t error;
    if (mongoc_cursor_error(cursor.cursor, &error)) return client_->status_of(error, "find");
    return sdk::Status::ok();
}

sdk::Status MongoCollection::close() {
    client_.reset();
    return sdk::Status::ok();
}

}  // namespace junction::mongodb
