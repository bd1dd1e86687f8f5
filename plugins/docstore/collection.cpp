#include "collection.hpp"

#include <junction/sdk/json_text.hpp>

namespace junction::docstore {

sdk::Status DocstoreCollection::open(sdk::Context& context) {
    config_ = collection_config(context.options());
    scope_ = "docstore:" + config_.collection;
    try {
        store_ = std::make_unique<DocStore>(config_.path, config_.collection);
    } catch (const StoreError& e) {
        return status_of(e);
    }
    context.log().debug("docstore collection: " + config_.path.string() + " collection " + config_.collection);
    return sdk::Status::ok();
}

sdk::Status DocstoreCollection::list(const sdk::CollectionQuery& q, sdk::CollectionPage& out) {
    if (!store_) return sdk::Status::fatal("docstore: list() before a successful open()");
    out = {};
    Filter filter;
    std::string sql;
    for (const auto& [field, value] : q.equals) {
        if (value.is_object() || value.is_array())
            return sdk::Status::reject("filter " + field + ": expected a string, number, boolean or null, got " +
                                       sdk::to_json_text(value));
        Filter one;
        try {  // one field at a time: a field named twice must match both values
            one = compile_filter(boost::json::object{{field, value}});
        } catch (const FilterError& e) {
            return sdk::Status::reject(e.what());
        }
        sql += (sql.empty() ? "" : " AND ") + one.sql;
        for (auto& p : one.params)
            filter.params.push_back(std::move(p));
    }
    if (!sql.empty()) filter.sql = sql;
    Cursor cursor;
    if (!q.after.empty()) {
        auto id = sdk::decode_cursor(scope_, q.after);
        if (!id)
            return sdk::Status::reject("after: \"" + q.after + "\" is not a cursor of collection " +
                                       config_.collection + " (pass the next_after of its previous page)");
        cursor.started = true;
        cursor.id = std::move(*id);
    }
    const std::size_t limit = q.limit == 0 ? 1 : q.limit;
    std::vector<Document> docs;
    try {
        docs = store_->page(filter, "_id", cursor, limit + 1);  // the one more says whether a next page exists
    } catch (const StoreError& e) {
        return status_of(e);
    }
    const bool more = docs.size() > limit;
    if (more) docs.resize(limit);
    out.items.reserve(docs.size());
    for (auto& d : docs)
        out.items.push_back(std::move(d.body));
    if (more) out.next_after = sdk::encode_cursor(scope_, docs.back().id);
    return sdk::Status::ok();
}

sdk::Status DocstoreCollection::get(std::string_view id, std::optional<boost::json::object>& out) {
    if (!store_) return sdk::Status::fatal("docstore: get() before a successful open()");
    out.reset();
    try {
        if (auto d = store_->find(id)) out = std::move(d->body);
    } catch (const StoreError& e) {
        return status_of(e);
    }
    return sdk::Status::ok();
}

sdk::Status DocstoreCollection::close() {
    store_.reset();
    return sdk::Status::ok();
}

}  // namespace junction::docstore
