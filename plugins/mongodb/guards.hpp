// RAII for the C driver's handles, shared by the mongodb plugin's components.
#pragma once

#include <mongoc/mongoc.h>

namespace junction::mongodb {

struct BsonGuard {
    bson_t doc = BSON_INITIALIZER;
    BsonGuard() = default;
    BsonGuard(const BsonGuard&) = delete;
    BsonGuard& operator=(const BsonGuard&) = delete;
    ~BsonGuard() { bson_destroy(&doc); }
};

struct CursorGuard {
    mongoc_cursor_t* cursor;
    ~CursorGuard() { mongoc_cursor_destroy(cursor); }
};

struct BulkGuard {
    mongoc_bulk_operation_t* bulk;
    ~BulkGuard() { mongoc_bulk_operation_destroy(bulk); }
};

struct CollectionGuard {
    mongoc_collection_t* collection;
    ~CollectionGuard() { mongoc_collection_destroy(collection); }
};

struct SessionGuard {
    mongoc_client_session_t* session = nullptr;
    ~SessionGuard() {
        if (session != nullptr) mongoc_client_session_destroy(session);
    }
};

}  // namespace junction::mongodb
