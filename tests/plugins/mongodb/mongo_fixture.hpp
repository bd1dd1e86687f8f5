// Shared by the mongodb plugin's tests: one test server for the process, unique database
// names, contexts for the reader and writer, and direct libmongoc access to check what
// the plugin stored.
#pragma once

#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <mongoc/mongoc.h>
#include <boost/json.hpp>

#include "client.hpp"
#include "convert.hpp"
#include "mongo_server.hpp"
#include "mongodb_config.hpp"
#include "test_context.hpp"

namespace junction::test {

// One server for the whole test executable (started on first use).
inline MongoServer& mongo_server() {
    static MongoServer server;
    return server;
}

inline std::string unique_db(const std::string& prefix) {
    static std::atomic<int> n{0};
    return "jt_" + prefix + "_" + std::to_string(::getpid()) + "_" + std::to_string(n++);
}

inline boost::json::object common_options(const std::string& uri, const std::string& db,
                                          const std::string& collection = "workorders") {
    return {{"uri", uri}, {"database", db}, {"collection", collection}, {"timeout_ms", 3000}};
}

inline std::unique_ptr<TestContext> writer_context(boost::json::object options) {
    return std::make_unique<TestContext>(mongodb::writer_options(), std::move(options));
}
inline std::unique_ptr<TestContext> reader_context(boost::json::object options) {
    return std::make_unique<TestContext>(mongodb::reader_options(), std::move(options));
}

// Extended JSON text to a new bson_t (the test fails on a parse error).
inline bson_t* ext(const std::string& text) {
    bson_t parsed;
    const auto err = mongodb::extended_json_to_bson(boost::json::parse(text).as_object(), &parsed);
    if (err) throw std::runtime_error("bad test JSON " + text + ": " + *err);
    bson_t* out = bson_copy(&parsed);
    bson_destroy(&parsed);
    return out;
}

// Direct access to a collection, bypassing the plugin.
class Direct {
public:
    Direct(const std::string& uri, const std::string& db, const std::string& collection = "workorders") {
        mongodb::ensure_driver_initialized();
        client_ = mongoc_client_new(uri.c_str());
        mongoc_client_set_error_api(client_, MONGOC_ERROR_API_VERSION_2);
        collection_ = mongoc_client_get_collection(client_, db.c_str(), collection.c_str());
    }
    ~Direct() {
        mongoc_collection_destroy(collection_);
        mongoc_client_destroy(client_);
    }
    Direct(const Direct&) = delete;
    Direct& operator=(const Direct&) = delete;

    mongoc_collection_t* collection() const { return collection_; }

    // Inserts an Extended JSON document; returns the error code (0 on success) and message.
    std::pair<std::uint32_t, std::string> insert(const std::string& ext_json) {
        bson_error_t error;
        bson_t* doc = ext(ext_json);
        const bool ok = mongoc_collection_insert_one(collection_, doc, nullptr, nullptr, &error);
        bson_destroy(doc);
        return ok ? std::pair<std::uint32_t, std::string>{0, {}} : std::pair{error.code, std::string(error.message)};
    }
    std::int64_t count(const std::string& ext_json_filter = "{}") {
        bson_error_t error;
        bson_t* filter = ext(ext_json_filter);
        const auto n = mongoc_collection_count_documents(collection_, filter, nullptr, nullptr, nullptr, &error);
        bson_destroy(filter);
        return n;
    }
    // All documents matching the filter, in _id order, as canonical Extended JSON objects.
    std::vector<boost::json::object> find(const std::string& ext_json_filter = "{}") {
        bson_t* filter = ext(ext_json_filter);
        bson_t* opts = BCON_NEW("sort", "{", "_id", BCON_INT32(1), "}");
        mongoc_cursor_t* cursor = mongoc_collection_find_with_opts(collection_, filter, opts, nullptr);
        std::vector<boost::json::object> out;
        const bson_t* doc = nullptr;
        while (mongoc_cursor_next(cursor, &doc)) {
            char* text = bson_as_canonical_extended_json(doc, nullptr);
            out.push_back(boost::json::parse(text).as_object());
            bson_free(text);
        }
        mongoc_cursor_destroy(cursor);
        bson_destroy(opts);
        bson_destroy(filter);
        return out;
    }
    bool command(const std::string& ext_json, std::string* message = nullptr) {
        bson_error_t error;
        bson_t* cmd = ext(ext_json);
        const bool ok = mongoc_collection_write_command_with_opts(collection_, cmd, nullptr, nullptr, &error);
        if (!ok && message) *message = error.message;
        bson_destroy(cmd);
        return ok;
    }

private:
    mongoc_client_t* client_;
    mongoc_collection_t* collection_;
};

inline sdk::Record record(boost::json::object payload) {
    sdk::Record r;
    r.payload = std::move(payload);
    return r;
}

}  // namespace junction::test
