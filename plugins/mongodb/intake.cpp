#include "intake.hpp"

#include <chrono>

#include "convert.hpp"
#include "guards.hpp"

namespace junction::mongodb {
namespace {

std::int64_t ms_of(std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

// The ObjectId of a submission: its identity's first 24 hex digits (12 of its 32 bytes).
bool identity_oid(const std::string& identity, bson_oid_t& oid) {
    if (identity.size() < 24 || !bson_oid_is_valid(identity.data(), 24)) return false;
    bson_oid_init_from_string(&oid, identity.substr(0, 24).c_str());
    return true;
}

// One document matching `filter`, or nothing; false with `error` on failure.
bool find_one(mongoc_collection_t* c, const bson_t* filter, const bson_t* session_opts, BsonGuard& found, bool& has,
              bson_error_t& error) {
    BsonGuard opts;
    if (session_opts != nullptr) bson_concat(&opts.doc, session_opts);
    BSON_APPEND_INT64(&opts.doc, "limit", 1);
    CursorGuard cursor{mongoc_collection_find_with_opts(c, filter, &opts.doc, nullptr)};
    const bson_t* doc = nullptr;
    has = mongoc_cursor_next(cursor.cursor, &doc);
    if (has) bson_copy_to(doc, &found.doc);
    return !mongoc_cursor_error(cursor.cursor, &error);
}

std::int64_t date_of(const bson_t* doc, const char* key) {
    bson_iter_t it;
    return bson_iter_init_find(&it, doc, key) && BSON_ITER_HOLDS_DATE_TIME(&it) ? bson_iter_date_time(&it) : 0;
}

std::string utf8_of(const bson_t* doc, const char* key) {
    bson_iter_t it;
    if (!bson_iter_init_find(&it, doc, key) || !BSON_ITER_HOLDS_UTF8(&it)) return {};
    std::uint32_t n = 0;
    const char* s = bson_iter_utf8(&it, &n);
    return {s, n};
}

bool bool_of(const bson_t* doc, const char* key) {
    bson_iter_t it;
    return bson_iter_init_find(&it, doc, key) && BSON_ITER_HOLDS_BOOL(&it) && bson_iter_bool(&it);
}

}  // namespace

sdk::Status MongoIntake::open(sdk::Context& context) {
    config_ = collection_config(context.options());
    keys_collection_ = config_.collection + "_idempotency_keys";
    if (auto s = Client::create(config_, context.log(), client_); !s.is_ok()) return s;
    if (auto s = client_->ping(); !s.is_ok()) return s;
    Client::Lease lease(*client_);
    CollectionGuard keys{
        mongoc_client_get_collection(lease.client(), config_.database.c_str(), keys_collection_.c_str())};
    if (auto s = client_->ensure_unique_index(keys.collection, keys_collection_, {"key"}); !s.is_ok()) return s;
    const auto mode = context.options().get_string("transactions");
    if (mode == "auto") {
        // A replica set names itself in hello; a mongos says isdbgrid. A standalone server
        // has no transactions.
        BsonGuard command;
        BSON_APPEND_INT32(&command.doc, "hello", 1);
        BsonGuard reply;
        bson_error_t error;
        if (!mongoc_client_command_simple(lease.client(), "admin", &command.doc, nullptr, &reply.doc, &error))
            return client_->status_of(error, "hello");
        transactions_ = !utf8_of(&reply.doc, "setName").empty() || utf8_of(&reply.doc, "msg") == "isdbgrid";
    } else {
        transactions_ = mode == "always";
    }
    context.log().debug("mongodb intake: " + client_->endpoint() + " " + config_.database + "." + config_.collection +
                        (transactions_ ? ", in transactions" : ", without transactions"));
    return sdk::Status::ok();
}

sdk::Status MongoIntake::steps(mongoc_collection_t* submissions, mongoc_collection_t* keys, const bson_t* opts,
                               const sdk::Submission& s, sdk::Receipt& out) {
    bson_error_t error;
    // 1. The key, unless it expired.
    if (!s.idempotency_key.empty()) {
        BsonGuard filter;
        BSON_APPEND_UTF8(&filter.doc, "key", s.idempotency_key.c_str());
        BsonGuard found;
        bool has = false;
        if (!find_one(keys, &filter.doc, opts, found, has, error)) return client_->status_of(error, "find key");
        if (has && date_of(&found.doc, "created") > ms_of(s.keys_expire_before)) {
            if (utf8_of(&found.doc, "fingerprint") == s.fingerprint) {
                out.admission = sdk::Admission::replayed;
                out.id = utf8_of(&found.doc, "id");
                out.first_was_duplicate = bool_of(&found.doc, "duplicate");
            } else {
                out.admission = sdk::Admission::key_reused;
            }
            return sdk::Status::ok();
        }
        if (has && !mongoc_collection_delete_one(keys, &filter.doc, opts, nullptr, &error))
            return client_->status_of(error, "delete expired key");
    }
    // 2 and 3. The identity, as the _id: found, or stored with its outbox state.
    bson_oid_t oid;
    if (!identity_oid(s.identity, oid)) return sdk::Status::fatal("mongodb intake: the identity is not hex");
    out.id = s.identity.substr(0, 24);
    BsonGuard by_id;
    BSON_APPEND_OID(&by_id.doc, "_id", &oid);
    BsonGuard existing;
    bool exists = false;
    if (!find_one(submissions, &by_id.doc, opts, existing, exists, error))
        return client_->status_of(error, "find submission");
    if (exists) {
        out.admission = sdk::Admission::duplicate;
    } else {
        BsonGuard doc;
        BSON_APPEND_OID(&doc.doc, "_id", &oid);
        BSON_APPEND_UTF8(&doc.doc, "identity", s.identity.c_str());
        BSON_APPEND_DATE_TIME(&doc.doc, "received_at", ms_of(s.received_at));
        BSON_APPEND_UTF8(&doc.doc, "outbox", "pending");
        bson_t payload;
        BSON_APPEND_DOCUMENT_BEGIN(&doc.doc, "payload", &payload);
        const auto problem = json_to_bson(s.payload, config_.date_fields, &payload);
        bson_append_document_end(&doc.doc, &payload);
        if (problem) return sdk::Status::fatal("mongodb intake: " + *problem);
        if (mongoc_collection_insert_one(submissions, &doc.doc, opts, nullptr, &error)) {
            out.admission = sdk::Admission::stored;
        } else if (error.domain == MONGOC_ERROR_SERVER && error.code == 11000) {
            // Stored by another instance meanwhile. Outside a transaction that is the answer;
            // inside one the error aborted it, so it is tried again and finds the document.
            if (opts != nullptr) return sdk::Status::retry("mongodb intake: the identity was stored meanwhile");
            out.admission = sdk::Admission::duplicate;
        } else {
            return client_->status_of(error, "insert submission");
        }
    }
    // 4. The key, with what this request got.
    if (!s.idempotency_key.empty()) {
        BsonGuard key;
        BSON_APPEND_UTF8(&key.doc, "key", s.idempotency_key.c_str());
        BSON_APPEND_UTF8(&key.doc, "fingerprint", s.fingerprint.c_str());
        BSON_APPEND_UTF8(&key.doc, "id", out.id.c_str());
        BSON_APPEND_BOOL(&key.doc, "duplicate", out.admission == sdk::Admission::duplicate);
        BSON_APPEND_DATE_TIME(&key.doc, "created", ms_of(s.received_at));
        if (!mongoc_collection_insert_one(keys, &key.doc, opts, nullptr, &error))
            return client_->status_of(error, "insert key");
    }
    return sdk::Status::ok();
}

sdk::Status MongoIntake::submit(const sdk::Submission& s, sdk::Receipt& out) {
    if (!client_) return sdk::Status::fatal("mongodb intake: submit() before a successful open()");
    Client::Lease lease(*client_);
    CollectionGuard keys{
        mongoc_client_get_collection(lease.client(), config_.database.c_str(), keys_collection_.c_str())};
    if (!transactions_) return steps(lease.collection(), keys.collection, nullptr, s, out);

    // In one transaction, tried again (up to three times) when the server says it may be.
    sdk::Status last;
    for (int attempt = 0; attempt < 3; ++attempt) {
        bson_error_t error;
        SessionGuard session{mongoc_client_start_session(lease.client(), nullptr, &error)};
        if (session.session == nullptr) return client_->status_of(error, "start session");
        BsonGuard opts;
        if (!mongoc_client_session_append(session.session, &opts.doc, &error))
            return client_->status_of(error, "session");
        if (!mongoc_client_session_start_transaction(session.session, nullptr, &error))
            return client_->status_of(error, "start transaction");
        out = {};
        last = steps(lease.collection(), keys.collection, &opts.doc, s, out);
        if (!last.is_ok()) {
            (void)mongoc_client_session_abort_transaction(session.session, &error);
            if (last.code() != sdk::Code::retry) return last;
            continue;
        }
        BsonGuard reply;
        if (mongoc_client_session_commit_transaction(session.session, &reply.doc, &error)) return sdk::Status::ok();
        last = client_->status_of(error, "commit");
        if (!mongoc_error_has_label(&reply.doc, "TransientTransactionError") &&
            !mongoc_error_has_label(&reply.doc, "UnknownTransactionCommitResult"))
            return last;
    }
    return last.is_ok() ? sdk::Status::retry("mongodb intake: the transaction kept conflicting") : last;
}

sdk::Status MongoIntake::find(std::string_view id, std::optional<sdk::StoredSubmission>& out) {
    if (!client_) return sdk::Status::fatal("mongodb intake: find() before a successful open()");
    out.reset();
    if (id.size() != 24 || !bson_oid_is_valid(id.data(), id.size())) return sdk::Status::ok();
    bson_oid_t oid;
    bson_oid_init_from_string(&oid, std::string(id).c_str());
    BsonGuard by_id;
    BSON_APPEND_OID(&by_id.doc, "_id", &oid);
    Client::Lease lease(*client_);
    BsonGuard found;
    bool has = false;
    bson_error_t error;
    if (!find_one(lease.collection(), &by_id.doc, nullptr, found, has, error)) return client_->status_of(error, "find");
    if (!has) return sdk::Status::ok();
    sdk::StoredSubmission s;
    s.id = std::string(id);
    s.identity = utf8_of(&found.doc, "identity");
    s.received_at =
        std::chrono::system_clock::time_point(std::chrono::milliseconds(date_of(&found.doc, "received_at")));
    s.published = utf8_of(&found.doc, "outbox") == "published";
    if (const auto at = date_of(&found.doc, "published_at"); at != 0)
        s.published_at = std::chrono::system_clock::time_point(std::chrono::milliseconds(at));
    bson_iter_t it;
    bson_t payload;
    if (bson_iter_init_find(&it, &found.doc, "payload") && BSON_ITER_HOLDS_DOCUMENT(&it)) {
        std::uint32_t len = 0;
        const std::uint8_t* data = nullptr;
        bson_iter_document(&it, &len, &data);
        if (bson_init_static(&payload, data, len)) s.payload = bson_to_json(&payload);
    }
    out = std::move(s);
    return sdk::Status::ok();
}

sdk::Status MongoIntake::close() {
    client_.reset();
    return sdk::Status::ok();
}

}  // namespace junction::mongodb
