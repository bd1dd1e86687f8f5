#include "reader.hpp"

#include <chrono>

#include "convert.hpp"
#include "guards.hpp"

namespace junction::mongodb {
namespace {

// The key field's value as text: a string as it is, anything else as compact JSON
// (as the docstore reader does).
std::string key_text(const boost::json::value* v) {
    if (v == nullptr || v->is_null()) return {};
    if (v->is_string()) return std::string(v->get_string());
    return sdk::to_json_text(*v);
}

// The $set document for one acknowledgement, or an error for an invalid expression.
std::optional<std::string> set_document(const boost::json::object& set, std::int64_t now, const std::string& reason,
                                        bson_t* update) {
    bson_t fields;
    if (auto err = extended_json_to_bson(substitute_placeholders(set, now, reason), &fields)) return err;
    BSON_APPEND_DOCUMENT(update, "$set", &fields);
    bson_destroy(&fields);
    return std::nullopt;
}

}  // namespace

MongoReader::MongoReader() {
    bson_init(&filter_);
    bson_init(&last_);
}

MongoReader::~MongoReader() {
    bson_destroy(&filter_);
    bson_destroy(&last_);
}

sdk::Status MongoReader::open(sdk::Context& context) {
    context_ = &context;
    config_ = reader_config(context.options());
    bson_destroy(&filter_);
    // check_reader_config() refused a filter that does not convert before open().
    if (auto err = extended_json_to_bson(config_.filter, &filter_))
        return sdk::Status::fatal("mongodb: filter: not a valid MongoDB query: " + *err);
    if (auto s = Client::create(config_, context.log(), client_); !s.is_ok()) return s;
    if (auto s = client_->ping(); !s.is_ok()) return s;
    source_ = "mongodb:" + config_.database + "." + config_.collection;
    bson_reinit(&last_);
    // With ack_set the filter is the queue (acknowledged documents leave it), so every run
    // starts at the beginning: a document marked unsynced again is read again. Without it,
    // a run resumes after the committed _id.
    const auto committed = context.committed_position();
    if (config_.ack_set.empty() && config_.sort == "_id" && committed &&
        !append_id_from_position(*committed, "_id", &last_))
        context.log().warn("mongodb reader: ignoring a committed position that is not an _id: " + *committed);
    context.log().debug("mongodb reader: " + client_->endpoint() + " " + config_.database + "." + config_.collection +
                        ", filter " + sdk::to_json_text(config_.filter));
    return sdk::Status::ok();
}

void MongoReader::build_query(bson_t* query) const {
    bson_iter_t sort_value;
    bson_iter_t id_value;
    const bool has_last = bson_iter_init_find(&id_value, &last_, "_id");
    if (!has_last) {
        bson_copy_to(&filter_, query);
        return;
    }
    bson_init(query);
    bson_t all;
    bson_t keyset;
    BSON_APPEND_ARRAY_BEGIN(query, "$and", &all);
    BSON_APPEND_DOCUMENT(&all, "0", &filter_);
    BSON_APPEND_DOCUMENT_BEGIN(&all, "1", &keyset);
    if (config_.sort == "_id" || !bson_iter_init_find(&sort_value, &last_, "sort")) {
        bson_t gt;
        BSON_APPEND_DOCUMENT_BEGIN(&keyset, "_id", &gt);
        bson_append_value(&gt, "$gt", 3, bson_iter_value(&id_value));
        bson_append_document_end(&keyset, &gt);
    } else {  // (sort > last.sort) or (sort == last.sort and _id > last._id)
        bson_t either;
        bson_t first;
        bson_t second;
        bson_t gt;
        const char* field = config_.sort.c_str();
        BSON_APPEND_ARRAY_BEGIN(&keyset, "$or", &either);
        BSON_APPEND_DOCUMENT_BEGIN(&either, "0", &first);
        BSON_APPEND_DOCUMENT_BEGIN(&first, field, &gt);
        bson_append_value(&gt, "$gt", 3, bson_iter_value(&sort_value));
        bson_append_document_end(&first, &gt);
        bson_append_document_end(&either, &first);
        BSON_APPEND_DOCUMENT_BEGIN(&either, "1", &second);
        bson_append_value(&second, field, -1, bson_iter_value(&sort_value));
        BSON_APPEND_DOCUMENT_BEGIN(&second, "_id", &gt);
        bson_append_value(&gt, "$gt", 3, bson_iter_value(&id_value));
        bson_append_document_end(&second, &gt);
        bson_append_document_end(&either, &second);
        bson_append_array_end(&keyset, &either);
    }
    bson_append_document_end(&all, &keyset);
    bson_append_array_end(query, &all);
}

sdk::Status MongoReader::read(sdk::Batch& out, std::size_t max_records, bool& end_of_input) {
    end_of_input = false;
    if (!client_) return sdk::Status::fatal("mongodb reader: read() before a successful open()");
    if (context_->stop_requested() || max_records == 0) return sdk::Status::ok();
    const auto limit = static_cast<std::int64_t>(std::min<std::size_t>(max_records, 100000));

    bson_t query;
    build_query(&query);
    bson_t opts = BSON_INITIALIZER;
    bson_t sort;
    BSON_APPEND_DOCUMENT_BEGIN(&opts, "sort", &sort);
    if (config_.sort != "_id") BSON_APPEND_INT32(&sort, config_.sort.c_str(), 1);
    BSON_APPEND_INT32(&sort, "_id", 1);
    bson_append_document_end(&opts, &sort);
    BSON_APPEND_INT64(&opts, "limit", limit);
    BSON_APPEND_INT64(&opts, "batchSize", limit);
    BSON_APPEND_INT64(&opts, "maxTimeMS", client_->config().timeout.count());

    Client::Lease lease(*client_);
    CursorGuard cursor{mongoc_collection_find_with_opts(lease.collection(), &query, &opts, nullptr)};
    bson_destroy(&query);
    bson_destroy(&opts);

    const std::size_t first = out.size();
    bson_t last = BSON_INITIALIZER;
    const bson_t* doc = nullptr;
    const auto received = context_->clock().now();
    while (mongoc_cursor_next(cursor.cursor, &doc)) {
        sdk::Record record;
        record.payload = bson_to_json(doc);
        bson_iter_t id;
        if (bson_iter_init_find(&id, doc, "_id")) {
            record.meta.position = id_to_position(&id);
            bson_reinit(&last);
            bson_iter_t sort_value;
            if (config_.sort != "_id" && bson_iter_init(&sort_value, doc) &&
                bson_iter_find_descendant(&sort_value, config_.sort.c_str(), &sort_value))
                bson_append_value(&last, "sort", 4, bson_iter_value(&sort_value));
            bson_append_value(&last, "_id", 3, bson_iter_value(&id));
        }
        record.meta.key = key_text(sdk::find_path(record.payload, config_.key_field));
        record.meta.source = source_;
        record.meta.received_at = received;
        out.push_back(std::move(record));
    }
    bson_error_t error;
    if (mongoc_cursor_error(cursor.cursor, &error)) {
        out.resize(first);  // all of a page or nothing: the next read starts at the same place
        bson_destroy(&last);
        return client_->status_of(error, "find");
    }
    const std::size_t count = out.size() - first;
    if (count > 0) {
        bson_destroy(&last_);
        bson_copy_to(&last, &last_);
    }
    bson_destroy(&last);
    end_of_input = count < static_cast<std::size_t>(limit);
    return sdk::Status::ok();
}

sdk::Status MongoReader::acknowledge(const sdk::Acknowledgements& acks) {
    if (config_.ack_set.empty() && config_.reject_set.empty()) return sdk::Status::ok();
    if (!client_) return sdk::Status::fatal("mongodb reader: acknowledge() before a successful open()");
    const std::int64_t now =
        std::chrono::duration_cast<std::chrono::milliseconds>(context_->clock().now().time_since_epoch()).count();
    Client::Lease lease(*client_);
    bson_t bulk_opts = BSON_INITIALIZER;
    BSON_APPEND_BOOL(&bulk_opts, "ordered", false);
    BulkGuard bulk{mongoc_collection_create_bulk_operation_with_opts(lease.collection(), &bulk_opts)};
    bson_destroy(&bulk_opts);
    std::size_t queued = 0;
    for (const auto& ack : acks.records()) {
        if (ack.outcome == sdk::Outcome::released) continue;  // not a redelivering reader: never happens
        const auto& set = ack.outcome == sdk::Outcome::written ? config_.ack_set : config_.reject_set;
        if (set.empty() || ack.meta.position.empty()) continue;
        bson_t selector = BSON_INITIALIZER;
        if (!append_id_from_position(ack.meta.position, "_id", &selector)) {
            bson_destroy(&selector);
            client_->log().warn("mongodb reader: cannot acknowledge position " + ack.meta.position + ": not an _id");
            continue;
        }
        bson_t update = BSON_INITIALIZER;
        auto err = set_document(set, now, ack.reason, &update);
        bson_error_t error;
        const bool added =
            !err && mongoc_bulk_operation_update_one_with_opts(bulk.bulk, &selector, &update, nullptr, &error);
        bson_destroy(&update);
        bson_destroy(&selector);
        if (!added)
            return sdk::Status::fatal(client_->prefix() + ": cannot build the acknowledgement update: " +
                                      (err ? *err : std::string(error.message)));
        ++queued;
    }
    if (queued == 0) return sdk::Status::ok();
    bson_t reply;
    bson_error_t error;
    const bool ok = mongoc_bulk_operation_execute(bulk.bulk, &reply, &error) != 0;
    bson_destroy(&reply);
    return ok ? sdk::Status::ok() : client_->status_of(error, "acknowledge");
}

sdk::Status MongoReader::close() {
    client_.reset();
    return sdk::Status::ok();
}

}  // namespace junction::mongodb
