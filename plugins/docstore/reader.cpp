#include "reader.hpp"

#include <boost/json/serialize.hpp>

namespace junction::docstore {
namespace {

// "$now" and "$reason" stand for the time of the acknowledgement and the rejection's reason.
boost::json::object substitute(const boost::json::object& set, const std::string& now, const std::string& reason) {
    boost::json::object out;
    for (const auto& [name, value] : set) {
        if (value.is_string() && value.get_string() == "$now")
            out[name] = now;
        else if (value.is_string() && value.get_string() == "$reason")
            out[name] = reason;
        else
            out[name] = value;
    }
    return out;
}

std::string key_of(const boost::json::object& doc, const std::string& field) {
    const auto* v = find_field(doc, field);
    if (v == nullptr || v->is_null()) return {};
    return v->is_string() ? std::string(v->get_string()) : boost::json::serialize(*v);
}

}  // namespace

sdk::Status DocstoreReader::open(sdk::Context& context) {
    log_ = &context.log();
    if (auto s = make_reader_config(context, config_); !s.is_ok()) return s;
    try {
        filter_ = compile_filter(config_.filter);
    } catch (const FilterError& e) {
        return sdk::Status::fatal(std::string("docstore: ") + e.what());
    }
    try {
        store_ = std::make_unique<DocStore>(config_.store.path, config_.store.collection);
    } catch (const StoreError& e) {
        return status_of(e);
    }
    cursor_ = {};
    // With ack_set the filter is the queue (acknowledged documents leave it), so every
    // run starts at the beginning and a document marked unsynced again is read again.
    // Without it, a run resumes after the committed _id (as the mongodb reader does).
    if (const auto committed = context.committed_position();
        committed && config_.ack_set.empty() && config_.sort == "_id") {
        cursor_.started = true;
        cursor_.id = *committed;
    }
    context.log().debug("docstore reader: " + config_.store.path.string() + " collection " + config_.store.collection +
                        ", filter " + boost::json::serialize(config_.filter));
    return sdk::Status::ok();
}

sdk::Status DocstoreReader::read(sdk::Batch& out, std::size_t max_records, bool& end_of_input) {
    if (!store_) return sdk::Status::fatal("docstore: read() before a successful open()");
    if (max_records == 0) max_records = 1;
    std::vector<Document> docs;
    Cursor next = cursor_;  // advanced only when the page arrived whole
    try {
        docs = store_->page(filter_, config_.sort, next, max_records);
    } catch (const StoreError& e) {
        return status_of(e);
    }
    cursor_ = next;
    const auto now = std::chrono::system_clock::now();
    const std::string source = "docstore:" + config_.store.collection;
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
    if (config_.ack_set.empty() && config_.reject_set.empty()) return sdk::Status::ok();
    const auto now = now_iso8601();
    std::vector<std::pair<std::string, boost::json::object>> updates;
    for (const auto& a : acks.records()) {
        if (a.outcome == sdk::Outcome::released) continue;  // not a redelivering reader: never happens
        const auto& set = a.outcome == sdk::Outcome::written ? config_.ack_set : config_.reject_set;
        if (!set.empty()) updates.emplace_back(a.meta.position, substitute(set, now, a.reason));
    }
    try {
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
