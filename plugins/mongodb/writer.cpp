#include "writer.hpp"

#include "convert.hpp"
#include "guards.hpp"

namespace junction::mongodb {
sdk::Status MongoWriter::open(sdk::Context& context) {
    config_ = writer_config(context.options());
    if (auto s = Client::create(config_, context.log(), client_); !s.is_ok()) return s;
    if (auto s = client_->ping(); !s.is_ok()) return s;
    {
        Client::Lease lease(*client_);
        if (auto s = client_->ensure_unique_index(lease.collection(), config_.collection, config_.upsert_key); !s.is_ok())
            return s;
    }
    context.log().debug("mongodb writer: " + client_->endpoint() + " " + config_.database + "." + config_.collection +
                        ", upsert by " + index_name(config_.upsert_key));
    return sdk::Status::ok();
}

sdk::Status MongoWriter::write(std::span<const sdk::Record> batch, std::vector<sdk::Rejection>& rejected) {
    if (!client_) return sdk::Status::fatal("mongodb writer: write() before a successful open()");
    Client::Lease lease(*client_);
    bson_t bulk_opts = BSON_INITIALIZER;
    BSON_APPEND_BOOL(&bulk_opts, "ordered", false);
    BulkGuard guard{mongoc_collection_create_bulk_operation_with_opts(lease.collection(), &bulk_opts)};
    bson_destroy(&bulk_opts);
    bson_t upsert_opts = BSON_INITIALIZER;
    BSON_APPEND_BOOL(&upsert_opts, "upsert", true);

    std::vector<std::size_t> batch_index;  // bulk operation index -> batch index
    for (std::size_t i = 0; i < batch.size(); ++i) {
        const auto& payload = batch[i].payload;
        std::string missing;
        for (const auto& k : config_.upsert_key) {
            const auto* v = sdk::find_path(payload, k);
            if (v == nullptr || v->is_null()) {
                missing = k;
                break;
            }
        }
        if (!missing.empty()) {
            rejected.push_back({i, "missing upsert key field '" + missing + "'"});
            continue;
        }
        boost::json::object fields = payload;
        fields.erase("_id");  // never $set: the stored document keeps its own _id
        bson_t doc = BSON_INITIALIZER;
        if (auto err = json_to_bson(fields, config_.date_fields, &doc)) {
            bson_destroy(&doc);
            rejected.push_back({i, *err});
            continue;
        }
        bson_t selector = BSON_INITIALIZER;
        for (const auto& k : config_.upsert_key) {
            bson_iter_t iter;
            bson_iter_t found;
            if (bson_iter_init(&iter, &doc) && bson_iter_find_descendant(&iter, k.c_str(), &found))
                bson_append_value(&selector, k.c_str(), -1, bson_iter_value(&found));
        }
        bson_t update = BSON_INITIALIZER;
        BSON_APPEND_DOCUMENT(&update, "$set", &doc);
        bson_error_t error;
        const bool added =
            mongoc_bulk_operation_update_one_with_opts(guard.bulk, &selector, &update, &upsert_opts, &error);
        bson_destroy(&update);
        bson_destroy(&selector);
        bson_destroy(&doc);
        if (!added) {
            rejected.push_back({i, error.message});
            continue;
        }
        batch_index.push_back(i);
    }
    bson_destroy(&upsert_opts);
    if (batch_index.empty()) return sdk::Status::ok();

    bson_t reply;
    bson_error_t error;
    const bool ok = mongoc_bulk_operation_execute(guard.bulk, &reply, &error) != 0;
    sdk::Status status = sdk::Status::ok();
    if (!ok) {
        if (error.domain == MONGOC_ERROR_STREAM || error.domain == MONGOC_ERROR_SERVER_SELECTION) {
            status = client_->status_of(error, "bulk upsert");
        } else {
            bson_iter_t iter;
            bson_iter_t errors;
            bool any_write_error = false;
            std::vector<sdk::Rejection> found;
            if (bson_iter_init_find(&iter, &reply, "writeErrors") && bson_iter_recurse(&iter, &errors)) {
                while (bson_iter_next(&errors) && status.is_ok()) {
                    bson_iter_t e;
                    std::int64_t index = -1;
                    std::uint32_t code = 0;
                    std::string message;
                    if (!bson_iter_recurse(&errors, &e)) continue;
                    while (bson_iter_next(&e)) {
                        const std::string_view key = bson_iter_key(&e);
                        if (key == "index")
                            index = bson_iter_as_int64(&e);
                        else if (key == "code")
                            code = static_cast<std::uint32_t>(bson_iter_as_int64(&e));
                        else if (key == "errmsg" && BSON_ITER_HOLDS_UTF8(&e))
                            message = bson_iter_utf8(&e, nullptr);
                    }
                    any_write_error = true;
                    if (is_transient_server_code(code)) {
                        status = sdk::Status::retry(client_->prefix() + ": " + client_->redact(message));
                    } else if (index >= 0 && static_cast<std::size_t>(index) < batch_index.size()) {
                        found.push_back({batch_index[static_cast<std::size_t>(index)], client_->redact(message)});
                    }
                }
            }
            bson_iter_t wce;
            if (status.is_ok() && bson_iter_init_find(&wce, &reply, "writeConcernErrors") &&
                BSON_ITER_HOLDS_ARRAY(&wce)) {
                std::uint32_t len = 0;
                const std::uint8_t* data = nullptr;
                bson_iter_array(&wce, &len, &data);
                if (len > 5) status = sdk::Status::retry(client_->prefix() + ": write concern error");
            }
            if (status.is_ok() && !any_write_error) status = client_->status_of(error, "bulk upsert");
            if (status.is_ok()) rejected.insert(rejected.end(), found.begin(), found.end());
        }
    }
    bson_destroy(&reply);
    return status;
}

sdk::Status MongoWriter::close() {
    client_.reset();
    return sdk::Status::ok();
}

}  // namespace junction::mongodb
