#include "reader.hpp"

#include <chrono>

#include <junction/sdk/iso8601.hpp>
#include <junction/sdk/json_path.hpp>
#include <junction/sdk/json_text.hpp>

namespace junction::docstore {
namespace {

// "$now" and "$reason", as a whole string at any depth of a value, stand for the time
// of the acknowledgement and the rejection's reason (as in the mongodb reader).
boost::json::value substitute(const boost::json::value& v, const std::string& now, const std::string& reason) {
    if (v.is_string()) {
        if (v.get_string() == "$now") return boost::json::value(now);
        if (v.get_string() == "$reason") return boost::json::value(reason);
    } else if (v.is_object()) {
        boost::json::object out;
        for (const auto& [name, child] : v.get_object())
            out[name] = substitute(child, now, reason);
        return out;
    } else if (v.is_array()) {
        boost::json::array out;
        for (const auto& child : v.get_array())
            out.push_back(substitute(child, now, reason));
        return out;
    }
    return v;
}

boost::json::object substitute(const boost::json::object& set, const std::string& now, const std::string& reason) {
    boost::json::object out;
    for (const auto& [name, value] : set)
        out[name] = substitute(value, now, reason);
    return out;
}

// The key field's value as text: a string as it is, anything else as compact JSON.
std::string key_of(const boost::json::object& doc, const std::string& field) {
    const auto* v = sdk::find_path(doc, field);
    if (v == nullptr || v->is_null()) return {};
    return v->is_string() ? std::string(v->get_string()) : sdk::to_json_text(*v);
}

}  // namespace

sdk::Status DocstoreReader::open(sdk::Context& context) {
    context_ = &context;
    config_ = reader_config(context.options());
    try {  // check_reader_config() refused a filter it cannot compile before open()
        filter_ = compile_filter(config_.filter);
    } catch (const FilterError& e) {
        return sdk::Status::fatal(std::string("docstore: ") + e.what());
    }
    try {
        store_ = std::make_unique<DocStore>(config_.store.path, config_.store.collection);
    } catch (const StoreError& e) {
        return status_of(e);
    }
    if (config_.outbox) {
        try {
            store_->ensure_intake();
        } catch (const StoreError& e) {
            return status_of(e);
        }
    }
    cursor_ = {};
    outbox_seq_ = 0;
    // An outbox is read from its start each run (published submissions leave it).
    // With ack_set the filter is the queue (acknowledged documents leave it), so every
    // run starts at the beginning and a document marked unsynced again is read again.
    // Without it, a run resumes after the committed _id (as the mongodb reader does).
    if (const auto committed = context.committed_position();
        committed && config_.ack_set.empty() && !config_.outbox && config_.sort == "_id") {
        cursor_.started = true;
        cursor_.id = *committed;
    }
    context.log().debug("docstore reader: " + config_.store.path.string() + " collection " + config_.store.collection +
                        ", filter " + sdk::to_json_text(config_.filter));
    return sdk::Status::ok();
}

sdk::Status DocstoreReader::read(sdk::Batch& out, std::size_t max_records, bool& end_of_input) {
    if (!store_) return sdk::Status::fatal("docstore: read() before a successful open()");
    if (max_records == 0) max_records = 1;
    std::vector<Document> docs;
    Cursor next = cursor_;  // advanced only when the page arrived whole
    auto next_seq = outbox_seq_;
    try {
        docs = config_.outbox ? store_->outbox_page(next_seq, max_records)
                              : store_->page(filter_, config_.sort, next, max_records);
    } catch (const StoreError& e) {
        return status_of(e);
    }
    cursor_ = next;
    outbox_seq_ = next_seq;
    const auto now = context_->clock().now();
    const std::string source = (config_.outbox ? "docstore-outbox:" : "docstore:") + config_.store.collection;
    for (auto& d : docs) {
        sdk::Record r;
        r.meta.key = key_of(d.body, config_.key_field);
        r.meta.source = source;
        r.meta.position = d.id;
        r.meta.received_at = now;
        r.payload = std::move(d.body);
        out.push_back(std::move(r));
    }
    end_of_input = docs.size() < max_records;
    return sdk::Status::ok();
}

sdk::Status DocstoreReader::acknowledge(const sdk::Acknowledgements& acks) {
    if (!store_) return sdk::Status::fatal("docstore: acknowledge() before a successful open()");
    if (config_.ack_set.empty() && config_.reject_set.empty() && !config_.outbox) return sdk::Status::ok();
    const auto now = sdk::format_iso8601_ms(
        std::chrono::duration_cast<std::chrono::milliseconds>(context_->clock().now().time_since_epoch()).count());
    std::vector<std::pair<std::string, boost::json::object>> updates;
    for (const auto& a : acks.records()) {
        if (a.outcome == sdk::Outcome::released) continue;  // not a redelivering reader: never happens
        const auto& set = a.outcome == sdk::Outcome::written ? config_.ack_set : config_.reject_set;
        if (!set.empty() || config_.outbox) updates.emplace_back(a.meta.position, substitute(set, now, a.reason));
    }
    try {
        if (config_.outbox)
            store_->outbox_done(updates);
        else
            store_->set_fields(updates);
    } catch (const StoreError& e) {
        return status_of(e);
    }
    return sdk::Status::ok();
}

sdk::Status DocstoreReader::close() {
    store_.reset();
    return sdk::Status::ok();
}

}  // namespace junction::docstore
