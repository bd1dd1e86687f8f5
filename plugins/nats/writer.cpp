#include "writer.hpp"

#include <algorithm>

#include <junction/sdk/json_path.hpp>
#include <junction/sdk/json_text.hpp>

#include "common/queue_options.hpp"

namespace junction::nats {
namespace {

bool is_token_text(const std::string& s) {
    if (s.empty()) return false;
    for (const char c : s)
        if (c <= ' ' || c > '~' || c == '*' || c == '>') return false;
    return true;
}

void on_ack(jsCtx*, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* closure) {
    auto& p = *static_cast<NatsWriter::Pending*>(closure);
    {
        std::lock_guard lock(p.mutex);
        const auto it = p.index.find(msg);
        if (it != p.index.end()) {
            const auto i = it->second;
            p.index.erase(it);
            if (pa != nullptr) {
                ++p.stored;
                if (pa->Duplicate) ++p.duplicates;
            } else if (pae != nullptr && (pae->ErrCode == JSStreamMessageExceedsMaximumErr || pae->Err == NATS_MAX_PAYLOAD)) {
                p.too_large.push_back(i);
            } else {
                p.failed.emplace_back(i, pae != nullptr ? describe("publish not acknowledged", pae->Err, pae->ErrCode)
                                                        : std::string("nats: publish not acknowledged"));
                if (pae != nullptr && p.refused.empty() && classify(pae->Err, pae->ErrCode) == sdk::Code::fatal)
                    p.refused = p.failed.back().second;
            }
        }
    }
    natsMsg_Destroy(msg);
}

}  // namespace

sdk::Status NatsWriter::open(sdk::Context& context) {
    context_ = &context;
    config_ = writer_config(context.options());
    std::string error;
    subject_ = parse_subject(config_.subject, error);
    if (!error.empty()) return sdk::Status::fatal("nats: " + error);
    pending_ = std::make_unique<Pending>();
    try {
        connection_ = std::make_unique<Connection>(config_.connection, context.log(), [this](jsOptions& jo) {
            jo.PublishAsync.MaxPending = config_.max_pending;
            jo.PublishAsync.AckHandler = &on_ack;
            jo.PublishAsync.AckHandlerClosure = pending_.get();
        });
        stream_subjects_ = connection_->ensure_stream();
    } catch (const NatsError& e) {
        connection_.reset();
        return e.status();
    }
    const sdk::MetricLabels labels{{"stream", config_.connection.stream.name}};
    published_ = &context.metrics().counter("published_total", "messages the stream acknowledged", labels);
    duplicates_ = &context.metrics().counter(
        "duplicates_total", "messages the stream dropped: their Nats-Msg-Id was stored within its window", labels);
    return sdk::Status::ok();
}

std::string NatsWriter::subject_of(const sdk::Record& r, std::string& why) const {
    std::string subject;
    for (const auto& part : subject_) {
        if (!part.field) {
            subject += part.text;
            continue;
        }
        const auto value = queue_options::text_of(r.payload, part.text);
        if (!value) {
            why = "no subject: field '" + part.text + "' is missing";
            return {};
        }
        if (!is_token_text(*value)) {
            why = "no subject: field '" + part.text + "' is \"" + *value +
                  "\", which a subject cannot hold (empty, spaces, '*' or '>')";
            return {};
        }
        subject += *value;
    }
    for (const auto& pattern : stream_subjects_)
        if (subject_matches(pattern, subject)) return subject;
    why = "subject '" + subject + "' is not one of stream '" + config_.connection.stream.name + "''s subjects";
    return {};
}

sdk::Status NatsWriter::write(std::span<const sdk::Record> batch, std::vector<sdk::Rejection>& rejected) {
    if (!connection_) return sdk::Status::fatal("nats: write() before a successful open()");
    auto& p = *pending_;
    {
        std::lock_guard lock(p.mutex);
        p.index.clear();
        p.failed.clear();
        p.refused.clear();
        p.too_large.clear();
        p.stored = p.duplicates = 0;
    }
    std::string failure;
    for (std::size_t i = 0; i < batch.size() && failure.empty(); ++i) {
        const auto& r = batch[i];
        std::string why;
        const auto subject = subject_of(r, why);
        if (subject.empty()) {
            rejected.push_back({.index = i, .reason = why});
            continue;
        }
        const auto msg_id = queue_options::dedup_id_of(r, config_.dedup_id);
        if (!msg_id) {
            rejected.push_back({.index = i, .reason = queue_options::missing_dedup_id(config_.dedup_id)});
            continue;
        }
        const auto key = queue_options::key_of(r, config_.key_field);
        const auto body = sdk::to_json_text(r.payload);
        natsMsg* msg = nullptr;
        auto s = natsMsg_Create(&msg, subject.c_str(), nullptr, body.data(), static_cast<int>(body.size()));
        if (s == NATS_OK && !msg_id->empty()) s = natsMsgHeader_Set(msg, "Nats-Msg-Id", msg_id->c_str());
        if (s == NATS_OK && !key.empty()) s = natsMsgHeader_Set(msg, "Junction-Key", key.c_str());
        if (s != NATS_OK) {
            natsMsg_Destroy(msg);
            rejected.push_back({.index = i, .reason = describe("cannot make the message", s)});
            continue;
        }
        const natsMsg* id = msg;
        {
            std::lock_guard lock(p.mutex);
            p.index.emplace(id, i);
        }
        s = js_PublishMsgAsync(connection_->js(), &msg, nullptr);
        if (s != NATS_OK) {  // not taken: ours to destroy
            {
                std::lock_guard lock(p.mutex);
                p.index.erase(id);
            }
            natsMsg_Destroy(msg);
            if (s == NATS_MAX_PAYLOAD)
                rejected.push_back({.index = i, .reason = describe("message too large", s)});
            else
                failure = describe("cannot publish", s);
        }
    }
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MaxWait = config_.connection.request_timeout.count();
    const auto done = js_PublishAsyncComplete(connection_->js(), &po);
    if (done != NATS_OK) {
        natsMsgList left{};
        if (js_PublishAsyncGetPendingList(&left, connection_->js()) == NATS_OK) natsMsgList_Destroy(&left);
        std::lock_guard lock(p.mutex);
        p.index.clear();
        if (failure.empty()) failure = describe("publish acknowledgements not all received", done);
    }
    std::lock_guard lock(p.mutex);
    published_->add(static_cast<double>(p.stored - p.duplicates));
    duplicates_->add(static_cast<double>(p.duplicates));
    if (!p.refused.empty()) return sdk::Status::fatal(p.refused);
    if (failure.empty() && !p.failed.empty())
        failure = p.failed.front().second + " (" + std::to_string(p.failed.size()) + " of the batch)";
    if (!failure.empty()) return sdk::Status::retry(failure);
    for (const auto i : p.too_large)
        rejected.push_back({.index = i, .reason = "nats: the message is larger than the stream or server takes"});
    std::sort(rejected.begin(), rejected.end(), [](const auto& a, const auto& b) { return a.index < b.index; });
    return sdk::Status::ok();
}

sdk::Status NatsWriter::close() {
    connection_.reset();
    pending_.reset();
    return sdk::Status::ok();
}

}  // namespace junction::nats
