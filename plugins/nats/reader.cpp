#include "reader.hpp"

#include <algorithm>

#include <boost/json/parse.hpp>
#include <junction/sdk/iso8601.hpp>
#include <junction/sdk/json_text.hpp>

#include "common/queue_options.hpp"

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
    open_request_.clear();
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
        natsInbox* inbox = nullptr;
        if (const auto s = natsInbox_Create(&inbox); s != NATS_OK) fail("cannot make an inbox", s);
        inbox_ = inbox;
        natsInbox_Destroy(inbox);
        if (const auto s = natsConnection_SubscribeSync(&sub_, connection_->nc(), (inbox_ + ".*").c_str()); s != NATS_OK)
            fail("cannot subscribe to the consumer's answers", s);
        // A pull request never brings more than a batch: no limit to drop them by.
        (void)natsSubscription_SetPendingLimits(sub_, -1, -1);
        next_subject_ = "$JS.API.CONSUMER.MSG.NEXT." + config_.connection.stream.name + "." + config_.consumer;
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
    const std::string_view body(data != nullptr ? data : "", static_cast<std::size_t>(natsMsg_GetDataLength(msg)));
    boost::system::error_code ec;
    auto v = boost::json::parse(body, ec);
    if (!ec && v.is_object()) {
        r.payload = std::move(v.get_object());
    } else {  // not written by the nats writer: dead-lettered as it is
        r.payload = {{"body", body}};
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
    r.meta.attributes["queue"] = boost::json::object{{"name", config_.connection.stream.name},
                                                     {"consumer", config_.consumer},
                                                     {"seq", seq},
                                                     {"msg_id", header(msg, "Nats-Msg-Id")},
                                                     {"subject", natsMsg_GetSubject(msg)},
                                                     {"published_at", sdk::format_iso8601_ms(f.published_ms)},
                                                     {"deliveries", std::move(history)}};
    return r;
}

natsStatus NatsReader::reply(natsMsg* msg, const std::string& body) {
    const char* to = natsMsg_GetReply(msg);
    if (to == nullptr || *to == '\0') return NATS_ILLEGAL_STATE;
    return natsConnection_Publish(connection_->nc(), to, body.data(), static_cast<int>(body.size()));
}

namespace {

// A status the server answers a pull request with (404 no messages, 408 request timeout,
// 409 ...: the request is over; 100: a heartbeat), or "" for a message of the stream.
std::string status_of(natsMsg* msg) {
    const char* value = nullptr;
    if (natsMsgHeader_Get(msg, "Status", &value) == NATS_OK && value != nullptr) return value;
    return {};
}

bool is_stream_message(natsMsg* msg) {
    const char* to = natsMsg_GetReply(msg);
    return to != nullptr && std::string_view(to).rfind("$JS.ACK.", 0) == 0 && status_of(msg).empty();
}

}  // namespace

natsStatus NatsReader::fetch(std::vector<natsMsg*>& out, std::size_t max, bool no_wait,
                             std::chrono::milliseconds wait, std::string& refused) {
    // What earlier requests brought after their read had returned.
    while (out.size() < max) {
        natsMsg* msg = nullptr;
        if (natsSubscription_NextMsg(&msg, sub_, 0) != NATS_OK) break;
        if (is_stream_message(msg))
            out.push_back(msg);
        else
            natsMsg_Destroy(msg);
    }
    if (out.size() >= max) return NATS_OK;
    const auto want = max - out.size();
    std::string request = "{\"batch\":" + std::to_string(want);
    if (no_wait)
        request += ",\"no_wait\":true}";
    else
        request += ",\"expires\":" +
                   std::to_string(std::chrono::duration_cast<std::chrono::nanoseconds>(wait).count()) + "}";
    const auto reply_to = inbox_ + "." + std::to_string(++requests_);
    auto s = natsConnection_PublishRequest(connection_->nc(), next_subject_.c_str(), reply_to.c_str(), request.data(),
                                           static_cast<int>(request.size()));
    if (s != NATS_OK) return s;
    // Until the batch is full or the server ends this request (a status on its own reply
    // subject; one of an earlier request is ignored). Past the wait and the time the
    // answer takes, what is still on its way waits on the inbox for the next read.
    const auto until = std::chrono::steady_clock::now() + (no_wait ? config_.connection.request_timeout : wait) +
                       std::chrono::milliseconds(no_wait ? 0 : 200);
    const auto first = out.size();
    bool ended = false;
    while (out.size() - first < want) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
        if (left.count() <= 0) break;
        natsMsg* msg = nullptr;
        s = natsSubscription_NextMsg(&msg, sub_, left.count());
        if (s == NATS_TIMEOUT) break;
        if (s != NATS_OK) return s;
        if (is_stream_message(msg)) {
            out.push_back(msg);
            continue;
        }
        const auto status = status_of(msg);
        ended = status != "100" && reply_to == natsMsg_GetSubject(msg);
        if (ended && status == "409") {
            const char* why = nullptr;
            const std::string text =
                natsMsgHeader_Get(msg, "Description", &why) == NATS_OK && why != nullptr ? why : "";
            if (text.rfind("Exceeded MaxRequest", 0) == 0 || text.find("push based") != std::string::npos)
                refused = text;
        }
        natsMsg_Destroy(msg);
        if (ended) break;
    }
    if (!no_wait && !ended && out.size() - first < want) {
        open_request_ = reply_to;
        open_until_ = until;
    } else if (!no_wait) {
        open_request_.clear();
    }
    return NATS_OK;
}

std::uint64_t NatsReader::take(natsMsg* msg) {
    jsMsgMetaData* meta = nullptr;
    if (natsMsg_GetMetaData(&meta, msg) != NATS_OK) {  // not a JetStream message: nothing to ack
        natsMsg_Destroy(msg);
        return 0;
    }
    const auto seq = meta->Sequence.Stream;
    InFlight f{.msg = msg,
               .delivered = meta->NumDelivered,
               .published_ms = meta->Timestamp / 1000000,
               .notes = {},
               .noted = false};
    jsMsgMetaData_Destroy(meta);
    if (f.delivered > 1) f.notes = notes_of(seq, f.noted);
    if (auto old = in_flight_.find(seq); old != in_flight_.end()) {  // its lease lapsed while here
        natsMsg_Destroy(old->second.msg);
        in_flight_.erase(old);
    }
    in_flight_.emplace(seq, std::move(f));
    return seq;
}

sdk::Status NatsReader::read(sdk::Batch& out, std::size_t max_records, bool& end_of_input) {
    if (sub_ == nullptr) return sdk::Status::fatal("nats: read() before a successful open()");
    // What is there now; then, when nothing was, a long poll of fetch_wait_ms for the batch.
    std::vector<natsMsg*> got;
    std::string refused;
    auto s = fetch(got, max_records, true, {}, refused);
    if (s == NATS_OK && got.empty() && refused.empty() && config_.fetch_wait.count() > 0)
        s = fetch(got, max_records, false, config_.fetch_wait, refused);
    if (!refused.empty() && got.empty())
        return sdk::Status::fatal("nats: consumer '" + config_.consumer + "' refuses the pull requests: " + refused);
    if (s != NATS_OK && got.empty()) {
        return classify(s) == sdk::Code::retry ? sdk::Status::retry(describe("fetch failed", s))
                                               : sdk::Status::fatal(describe("fetch failed", s));
    }
    for (natsMsg* msg : got)
        if (const auto seq = take(msg); seq != 0) out.push_back(record_of(msg, in_flight_.at(seq), seq));
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
            const auto delay = queue_options::release_delay(config_.backoff, a.meta.attempts, a.redeliver_after);
            auto& releases = f.notes["releases"];
            if (!releases.is_array()) releases = boost::json::array{};
            releases.get_array().push_back(
                boost::json::object{{"delivery", f.delivered}, {"reason", a.reason}, {"at", sdk::format_iso8601_ms(now)}});
            save_notes(seq, f);
            s = reply(f.msg, "-NAK {\"delay\":" +
                                 std::to_string(std::chrono::duration_cast<std::chrono::nanoseconds>(delay).count()) +
                                 "}");
        } else {
            s = reply(f.msg, a.outcome == sdk::Outcome::rejected ? "+TERM" : "+ACK");
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
        if (const auto s = reply(f.msg, "+WPI"); s != NATS_OK)
            return sdk::Status::retry(describe("cannot extend the lease of message " + std::to_string(seq), s));
    if (const auto s = connection_->flush(); s != NATS_OK)
        return sdk::Status::retry(describe("cannot extend leases", s));
    return sdk::Status::ok();
}

std::chrono::milliseconds NatsReader::keep_alive_interval() const noexcept {
    return std::max(std::chrono::milliseconds(50), config_.ack_wait / 3);
}

sdk::Status NatsReader::close() {
    // Messages a request brought after the last read (and, until it ends, those the last
    // long poll still brings): never handed over, given back too.
    while (sub_ != nullptr) {
        natsMsg* msg = nullptr;
        const auto left = open_request_.empty() ? std::chrono::milliseconds(0)
                                                : std::chrono::duration_cast<std::chrono::milliseconds>(
                                                      open_until_ - std::chrono::steady_clock::now());
        if (natsSubscription_NextMsg(&msg, sub_, std::max<std::int64_t>(0, left.count())) != NATS_OK) break;
        if (!is_stream_message(msg)) {
            if (open_request_ == natsMsg_GetSubject(msg) && status_of(msg) != "100") open_request_.clear();
            natsMsg_Destroy(msg);
            continue;
        }
        (void)take(msg);
    }
    if (sub_ != nullptr && !in_flight_.empty()) {
        for (auto& [seq, f] : in_flight_) {
            auto& given_back = f.notes["given_back"];
            if (!given_back.is_array()) given_back = boost::json::array{};
            given_back.get_array().push_back(f.delivered);
            save_notes(seq, f);
            (void)reply(f.msg, "-NAK");
        }
        if (const auto s = connection_->flush(); s != NATS_OK)  // their leases lapse instead
            context_->log().warn(describe("cannot give back unsettled messages", s));
    }
    release_all();
    return sdk::Status::ok();
}

}  // namespace junction::nats
