#include "reader.hpp"

#include <algorithm>
#include <random>

#include <boost/json/parse.hpp>
#include <junction/sdk/iso8601.hpp>

#include "common/queue_options.hpp"

namespace junction::queue {
namespace {

std::string random_token() {
    std::random_device rd;
    std::mt19937_64 gen(rd());
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    for (int i = 0; i < 24; ++i)
        out += digits[gen() & 0xF];
    return out;
}

// The message's seq, from the attributes read() gave its record; 0 when absent.
std::int64_t seq_of(const sdk::RecordMeta& meta) {
    const auto* q = meta.attributes.if_contains("queue");
    if (q == nullptr || !q->is_object()) return 0;
    const auto* s = q->get_object().if_contains("seq");
    return s != nullptr && s->is_int64() ? s->get_int64() : 0;
}

}  // namespace

std::int64_t QueueReader::now_ms() const {
    return std::chrono::duration_cast<std::chrono::milliseconds>(context_->clock().now().time_since_epoch()).count();
}

sdk::Status QueueReader::open(sdk::Context& context) {
    context_ = &context;
    config_ = reader_config(context.options());
    lease_ = random_token();
    in_flight_.clear();
    try {
        store_ = std::make_unique<QueueStore>(config_.path, config_.queue);
        store_->ensure_consumer(config_.consumer, config_.from_start);
    } catch (const QueueError& e) {
        return plugin_sqlite::status_of(e);
    }
    context.log().debug("queue reader: " + config_.path.string() + " queue " + config_.queue + ", consumer " +
                        config_.consumer);
    return sdk::Status::ok();
}

sdk::Status QueueReader::read(sdk::Batch& out, std::size_t max_records, bool& end_of_input) {
    if (!store_) return sdk::Status::fatal("queue: read() before a successful open()");
    std::vector<Delivery> got;
    try {
        got = store_->fetch({.consumer = config_.consumer,
                             .max = std::max<std::size_t>(1, max_records),
                             .ack_wait = config_.ack_wait,
                             .fifo_by_key = config_.fifo_by_key,
                             .lease = lease_},
                            now_ms());
    } catch (const QueueError& e) {
        return plugin_sqlite::status_of(e);
    }
    const auto now = context_->clock().now();
    const std::string source = "queue:" + config_.queue;
    for (auto& d : got) {
        sdk::Record r;
        boost::system::error_code ec;
        auto v = boost::json::parse(d.body, ec);
        if (!ec && v.is_object()) {
            r.payload = std::move(v.get_object());
        } else {  // never written so by the queue writer: dead-lettered as it is
            r.payload = {{"body", d.body}};
            r.meta.error = "queue message " + std::to_string(d.seq) + " is not a JSON object";
        }
        r.meta.key = d.key;
        r.meta.source = source;
        r.meta.attempts = d.attempts;
        r.meta.received_at = now;
        r.meta.attributes["queue"] = boost::json::object{{"name", config_.queue},
                                                         {"consumer", config_.consumer},
                                                         {"seq", d.seq},
                                                         {"msg_id", d.msg_id},
                                                         {"published_at", sdk::format_iso8601_ms(d.published_ms)},
                                                         {"deliveries", std::move(d.history)}};
        in_flight_.insert(d.seq);
        out.push_back(std::move(r));
    }
    end_of_input = got.size() < max_records;
    return sdk::Status::ok();
}

sdk::Status QueueReader::acknowledge(const sdk::Acknowledgements& acks) {
    if (!store_) return sdk::Status::fatal("queue: acknowledge() before a successful open()");
    std::vector<Settlement> settlements;
    for (const auto& a : acks.records()) {
        const auto seq = seq_of(a.meta);
        if (seq == 0) continue;
        Settlement s{.seq = seq, .how = Settle::ack, .delay = {}, .reason = a.reason};
        if (a.outcome == sdk::Outcome::rejected) s.how = Settle::dead;
        if (a.outcome == sdk::Outcome::released) {
            s.how = Settle::release;
            s.delay = queue_options::release_delay(config_.backoff, a.meta.attempts, a.redeliver_after);
        }
        settlements.push_back(std::move(s));
    }
    try {
        store_->settle(config_.consumer, settlements, now_ms());
    } catch (const QueueError& e) {
        return plugin_sqlite::status_of(e);
    }
    for (const auto& s : settlements)
        in_flight_.erase(s.seq);
    return sdk::Status::ok();
}

sdk::Status QueueReader::keep_alive() {
    if (!store_ || in_flight_.empty()) return sdk::Status::ok();
    try {
        store_->extend(config_.consumer, lease_, {in_flight_.begin(), in_flight_.end()}, now_ms(), config_.ack_wait);
    } catch (const QueueError& e) {
        return sdk::Status::retry(e.what());
    }
    return sdk::Status::ok();
}

std::chrono::milliseconds QueueReader::keep_alive_interval() const noexcept {
    return std::max(std::chrono::milliseconds(50), config_.ack_wait / 3);
}

sdk::Status QueueReader::close() {
    if (store_ && !in_flight_.empty()) {
        try {
            store_->give_back(config_.consumer, lease_, {in_flight_.begin(), in_flight_.end()}, now_ms());
        } catch (const QueueError& e) {  // their leases lapse instead
            if (context_ != nullptr) context_->log().warn(std::string("queue: ") + e.what());
        }
    }
    in_flight_.clear();
    store_.reset();
    return sdk::Status::ok();
}

}  // namespace junction::queue
