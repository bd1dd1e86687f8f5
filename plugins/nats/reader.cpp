#include "reader.hpp"

#include <algorithm>

#include <boost/json/parse.hpp>
#include <junction/sdk/iso8601.hpp>
#include <junction/sdk/json_text.hpp>

namespace junction::nats {
namespace {

// The message's stream sequence, from the attributes read() gave its record; 0 when absent.
std::uint64_t seq_of(const sdk::RecordMeta& meta) {
    const auto* q = meta.attributes.if_contains("queue");
    if (q == nullptr || !q->is_object()) return 0;
    const auto* s = q->get_object().if_contains("seq");
    if (s == nullptr) return 0;
    if (s->is_uint64()) return s->get_uint64();
    return s->is_int64() && s->get_int64() > 0 ? static_cast<std::uint64_t>(s->get_int64()) : 0;
}

std::string header(natsMsg* msg, const char* name) {
    const char* value = nullptr;
    return natsMsgHeader_Get(msg, name, &value) == NATS_OK && value != nullptr ? std::string(value) : std::string();
}

bool contains(const boost::json::array& a, std::uint64_t n) {
    return std::any_of(a.begin(), a.end(),
                       [n](const boost::json::value& v) { return v.is_number() && v.to_number<std::uint64_t>() == n; });
}

}  // namespace

NatsReader::~NatsReader() {
    release_all();
}

void NatsReader::release_all() noexcept {
    for (auto& [seq, f] : in_flight_)
        natsMsg_Destroy(f.msg);
    in_flight_.clear();
    natsSubscription_Destroy(sub_);
    sub_ = nullptr;
    kvStore_Destroy(history_);
    history_ = nullptr;
    connection_.reset();
}

std::string NatsReader::history_key(std::uint64_t seq) const {
    return config_.connection.stream.name + "." + config_.consumer + "." + std::to_string(seq);
}

sdk::Status NatsReader::open(sdk::Context& context) {
    context_ = &context;
    config_ = reader_config(context.options());
    release_all();
    try {
        connection_ = std::make_unique<Connection>(config_.connection, context.log());
        (void)connection_->ensure_stream();
        // The plugin enforces max_deliver itself (the server's MaxDeliver would leave the
        // message in the stream, unseen, rather than hand it over for the dead letters).
        connection_->ensure_consumer({.durable = config_.consumer,
                                      .filter_subject = config_.filter_subject,
                                      .ack_wait = config_.ack_wait,
                                      .max_deliver = -1,
                                      .max_ack_pending = config_.max_ack_pending,
                                      .from_start = config_.from_start});
        const auto ttl = std::max<std::chrono::milliseconds>(config_.connection.stream.max_age, std::chrono::hours(24 * 7));
        history_ = connection_->open_bucket(config_.history_bucket, ttl);
        jsSubOptions so;
        jsSubOptions_Init(&so);
        so.Stream = config_.connection.stream.name.c_str();
        so.Consumer = config_.consumer.c_str();
        jsErrCode jerr = static_cast<jsErrCode>(0);
        const char* subject = config_.filter_subject.empty() ? nullptr : config_.filter_subject.c_str();
        if (const auto s = js_PullSubscribe(&sub_, connection_->js(), subject, config_.consumer.c_str(), nullptr, &so, &jerr);
            s != NATS_OK)
            fail("cannot subscribe to consumer '" + config_.consumer + "'", s, jerr);
    } catch (const NatsError& e) {
        release_all();
        return e.status();
    }
    context.log().debug("nats reader: stream " + config_.connection.stream.name + ", consumer " + config_.consumer);
    return sdk::Status::ok();
}

boost::json::object NatsReader::notes_of(std::uint64_t seq, bool& found) {
    found = false;
    kvEntry* e = nullptr;
    const auto s = kvStore_Get(&e, history_, history_key(seq).c_str());
    if (s != NATS_OK) {
        if (s != NATS_NOT_FOUND)
            context_->log().warn(describe("cannot read the delivery history of message " + std::to_string(seq), s));
        return {};
    }
    boost::system::error_code ec;
    auto v = boost::json::parse(std::string_view(static_cast<const char*>(kvEntry_Value(e)),
                                                 static_cast<std::size_t>(kvEntry_ValueLen(e))),
                                ec);
    kvEntry_Destroy(e);
    if (ec || !v.is_object()) return {};
    found = true;
    return std::move(v.get_object());
}

void NatsReader::save_notes(std::uint64_t seq, InFlight& f) {
    const auto text = sdk::to_json_text(f.notes);
    const auto s = kvStore_Put(nullptr, history_, history_key(seq).c_str(), text.data(), static_cast<int>(text.size()));
    if (s == NATS_OK)
        f.noted = true;
    else  // the message still comes back; its history will say "lease expired" for this delivery
        context_->log().warn(describe("cannot keep the delivery history of message " + std::to_string(seq), s));
}

void NatsReader::forget_notes(std::uint64_t seq, InFlight& f) {
    if (!f.noted) return;
    if (const auto s = kvStore_Delete(history_, history_key(seq).c_str()); s != NATS_OK)  // the bucket's TTL takes it
        context_->log().debug(describe("cannot remove the delivery history of message " + std::to_string(seq), s));
    f.noted = false;
}

sdk::Record NatsReader::record_of(natsMsg* msg, InFlight& f, std::uint64_t seq) {
    sdk::Record r;
    const auto now = context_->clock().now();
    const auto* data = natsMsg_GetData(msg);
    boost::system::error_code ec;
    auto v = boost::json::parse(std::string_view(data != nullptr ? data : "", static_cast<std::size_t>(natsMsg_GetDataLength(msg))), ec);
    if (!ec && v.is_object()) {
        r.payload = std::move(v.get_object());
    } else {  // not written by the nats writer: dead-lettered as it is
        r.payload = {{"body", std::string(data != nullptr ? data : "", static_cast<std::size_t>(natsMsg_GetDataLength(msg)))}};
        r.meta.error = "nats message " + std::to_string(seq) + " is not a JSON object";
    }
    // The history: each earlier delivery's outcome (released, with its reason, or its lease
    // expired), the given-back ones left out, then this delivery.
    const auto* releases = f.notes.if_contains("releases");
    const auto* given_back = f.notes.if_contains("given_back");
    boost::json::array history;
    std::uint32_t attempt = 0;
    for (std::uint64_t d = 1; d < f.delivered; ++d) {
        if (given_back != nullptr && given_back->is_array() && contains(given_back->get_array(), d)) continue;
        boost::json::object entry{{"attempt", ++attempt}, {"outcome", "lease expired"}};
        if (releases != nullptr && releases->is_array())
            for (const auto& rel : releases->get_array())
                if (rel.is_object() && rel.get_object().contains("delivery") &&
                    rel.get_object().at("delivery").to_number<std::uint64_t>() == d) {
                    entry["outcome"] = "released";
                    if (const auto* why = rel.get_object().if_contains("reason")) entry["reason"] = *why;
                    if (const auto* at = rel.get_object().if_contains("at")) entry["released_at"] = *at;
                }
        history.push_back(std::move(entry));
    }
    history.push_back(boost::json::object{{"attempt", ++attempt}, {"delivered_at", sdk::format_iso8601_ms(
                                                                                       std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count())}});
    r.meta.attempts = attempt;
    if (r.meta.error.empty() && attempt > static_cast<std::uint32_t>(config_.max_deliver))
        r.meta.error = "nats message " + std::to_string(seq) + " delivered " + std::to_string(attempt) +
                       " times, more than max_deliver (" + std::to_string(config_.max_deliver) + ")";
    r.meta.key = header(msg, "Junction-Key");
    r.meta.source = "nats:" + config_.connection.stream.name;
    r.meta.received_at = now;
    jsMsgMetaData* meta = nullptr;
    std::string published_at;
    if (natsMsg_GetMetaData(&meta, msg) == NATS_OK) {
        published_at = sdk::format_iso8601_ms(meta->Timestamp / 1000000);
        jsMsgMetaData_Destroy(meta);
    }
    r.meta.attributes["queue"] = boost::json::object{{"name", config_.connection.stream.name},
                                                     {"consumer", config_.consumer},
                                                     {"seq", seq},
                                                     {"msg_id", header(msg, "Nats-Msg-Id")},
                                                     {"subject", natsMsg_GetSubject(msg)},
                                                     {"published_at", published_at},
                                                     {"deliveries", std::move(history)}};
    return r;
}

natsStatus NatsReader::fetch(natsMsgList& list, std::size_t max, bool no_wait, std::chrono::milliseconds wait) {
    natsMsgList_Destroy(&list);
    list = {};
    jsFetchRequest req;
    jsFetchRequest_Init(&req);
    req.Batch = static_cast<int>(std::clamp<std::size_t>(max, 1, 100000));
    req.NoWait = no_wait;
    req.Expires = std::chrono::duration_cast<std::chrono::nanoseconds>(wait).count();
    return natsSubscription_FetchRequest(&list, sub_, &req);
}

sdk::Status NatsReader::read(sdk::Batch& out, std::size_t max_records, bool& end_of_input) {
    if (sub_ == nullptr) return sdk::Status::fatal("nats: read() before a successful open()");
    // What is there now (no_wait: the server holds the request 50 ms at most, for a
    // redelivery due); then, when nothing was, a long poll of fetch_wait_ms for the batch.
    natsMsgList list{};
    auto s = fetch(list, max_records, true, std::chrono::milliseconds(50));
    if (list.Count == 0 && config_.fetch_wait.count() > 0 && (s == NATS_OK || s == NATS_TIMEOUT || s == NATS_NOT_FOUND))
        s = fetch(list, max_records, false, config_.fetch_wait);
    if (s != NATS_OK && s != NATS_TIMEOUT && s != NATS_NOT_FOUND) {
        natsMsgList_Destroy(&list);
        return classify(s) == sdk::Code::retry ? sdk::Status::retry(describe("fetch failed", s))
                                               : sdk::Status::fatal(describe("fetch failed", s));
    }
    for (int i = 0; i < list.Count; ++i) {
        natsMsg* msg = list.Msgs[i];
        list.Msgs[i] = nullptr;
        jsMsgMetaData* meta = nullptr;
        if (natsMsg_GetMetaData(&meta, msg) != NATS_OK) {  // not a JetStream message: nothing to ack
            natsMsg_Destroy(msg);
            continue;
        }
        const auto seq = meta->Sequence.Stream;
        InFlight f{.msg = msg, .delivered = meta->NumDelivered, .notes = {}, .noted = false};
        jsMsgMetaData_Destroy(meta);
        if (f.delivered > 1) f.notes = notes_of(seq, f.noted);
        auto record = record_of(msg, f, seq);
        if (auto old = in_flight_.find(seq); old != in_flight_.end()) {  // its lease lapsed while here
            natsMsg_Destroy(old->second.msg);
            in_flight_.erase(old);
        }
        in_flight_.emplace(seq, std::move(f));
        out.push_back(std::move(record));
    }
    natsMsgList_Destroy(&list);
    // A run goes on while messages come; it ends after a read that found none.
    end_of_input = out.empty();
    return sdk::Status::ok();
}

sdk::Status NatsReader::acknowledge(const sdk::Acknowledgements& acks) {
    if (sub_ == nullptr) return sdk::Status::fatal("nats: acknowledge() before a successful open()");
    const auto now = std::chrono::duration_cast<std::chrono::milliseconds>(context_->clock().now().time_since_epoch()).count();
    std::string trouble;
    for (const auto& a : acks.records()) {
        const auto seq = seq_of(a.meta);
        const auto it = in_flight_.find(seq);
        if (it == in_flight_.end()) continue;
        auto& f = it->second;
        natsStatus s = NATS_OK;
        if (a.outcome == sdk::Outcome::released) {
            const auto n = std::max<std::uint32_t>(a.meta.attempts, 1);
            const auto& b = config_.backoff;
            const auto delay = std::max(a.redeliver_after, b[std::min<std::size_t>(n - 1, b.size() - 1)]);
            auto& releases = f.notes["releases"];
            if (!releases.is_array()) releases = boost::json::array{};
            releases.get_array().push_back(
                boost::json::object{{"delivery", f.delivered}, {"reason", a.reason}, {"at", sdk::format_iso8601_ms(now)}});
            save_notes(seq, f);
            s = natsMsg_NakWithDelay(f.msg, delay.count(), nullptr);
        } else {
            s = a.outcome == sdk::Outcome::rejected ? natsMsg_Term(f.msg, nullptr) : natsMsg_Ack(f.msg, nullptr);
            forget_notes(seq, f);
        }
        if (s != NATS_OK && trouble.empty()) trouble = describe("cannot acknowledge message " + std::to_string(seq), s);
        natsMsg_Destroy(f.msg);
        in_flight_.erase(it);
    }
    // Settled here whatever happens next: an ack the server did not get means a delivery
    // again after AckWait (at least once), not a retry of these acknowledgements.
    if (const auto s = connection_->flush(); s != NATS_OK && trouble.empty()) trouble = describe("cannot send acknowledgements", s);
    if (!trouble.empty()) context_->log().warn(trouble + " (it will be delivered again)");
    return sdk::Status::ok();
}

sdk::Status NatsReader::keep_alive() {
    if (sub_ == nullptr || in_flight_.empty()) return sdk::Status::ok();
    for (auto& [seq, f] : in_flight_)
        if (const auto s = natsMsg_InProgress(f.msg, nullptr); s != NATS_OK)
            return sdk::Status::retry(describe("cannot extend the lease of message " + std::to_string(seq), s));
    if (const auto s = connection_->flush(); s != NATS_OK)
        return sdk::Status::retry(describe("cannot extend leases", s));
    return sdk::Status::ok();
}

std::chrono::milliseconds NatsReader::keep_alive_interval() const noexcept {
    return std::max(std::chrono::milliseconds(50), config_.ack_wait / 3);
}

sdk::Status NatsReader::close() {
    if (sub_ != nullptr && !in_flight_.empty()) {
        for (auto& [seq, f] : in_flight_) {
            auto& given_back = f.notes["given_back"];
            if (!given_back.is_array()) given_back = boost::json::array{};
            given_back.get_array().push_back(f.delivered);
            save_notes(seq, f);
            (void)natsMsg_Nak(f.msg, nullptr);
        }
        if (const auto s = connection_->flush(); s != NATS_OK)  // their leases lapse instead
            context_->log().warn(describe("cannot give back unsettled messages", s));
    }
    release_all();
    return sdk::Status::ok();
}

}  // namespace junction::nats
