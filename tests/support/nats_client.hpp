// A plain JetStream client for tests (libnats): what a test does beside the plugin under
// test, to set up and to check: publish (one, or many asynchronously), count a stream's
// messages, read a whole stream back, make and delete streams. Uses doctest's REQUIRE.
#pragma once

#include <doctest/doctest.h>

#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <nats/nats.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace junction::test {

class NatsClient {
public:
    explicit NatsClient(const std::vector<std::string>& urls) {
        natsOptions* opts = nullptr;
        REQUIRE(natsOptions_Create(&opts) == NATS_OK);
        std::vector<const char*> servers;
        for (const auto& u : urls)
            servers.push_back(u.c_str());
        REQUIRE(natsOptions_SetServers(opts, servers.data(), static_cast<int>(servers.size())) == NATS_OK);
        REQUIRE(natsOptions_SetMaxReconnect(opts, -1) == NATS_OK);
        REQUIRE(natsOptions_SetReconnectWait(opts, 200) == NATS_OK);
        const auto s = natsConnection_Connect(&nc_, opts);
        natsOptions_Destroy(opts);
        REQUIRE_MESSAGE(s == NATS_OK, natsStatus_GetText(s));
        jsOptions jo;
        jsOptions_Init(&jo);
        jo.Wait = 10000;
        jo.PublishAsync.MaxPending = 4000;
        REQUIRE(natsConnection_JetStream(&js_, nc_, &jo) == NATS_OK);
    }
    explicit NatsClient(const std::string& url) : NatsClient(std::vector<std::string>{url}) {}
    ~NatsClient() {
        jsCtx_Destroy(js_);
        natsConnection_Destroy(nc_);
    }
    NatsClient(const NatsClient&) = delete;
    NatsClient& operator=(const NatsClient&) = delete;

    [[nodiscard]] jsCtx* js() const noexcept { return js_; }

    void add_stream(const std::string& name, int replicas = 1, bool memory = false) {
        const std::string subject = name + ".>";
        const char* subjects[] = {subject.c_str()};
        jsStreamConfig cfg;
        jsStreamConfig_Init(&cfg);
        cfg.Name = name.c_str();
        cfg.Subjects = subjects;
        cfg.SubjectsLen = 1;
        cfg.Replicas = replicas;
        cfg.Storage = memory ? js_MemoryStorage : js_FileStorage;
        // A cluster just started may not know all its peers yet (no suitable peers: 10005).
        natsStatus s = NATS_OK;
        jsErrCode e{};
        for (int attempt = 0; attempt < 100; ++attempt) {
            jsStreamInfo* si = nullptr;
            e = jsErrCode{};
            s = js_AddStream(&si, js_, &cfg, nullptr, &e);
            jsStreamInfo_Destroy(si);
            if (s == NATS_OK || e != JSClusterNoPeersErr) break;
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        REQUIRE_MESSAGE(s == NATS_OK, natsStatus_GetText(s), " ", static_cast<int>(e));
    }
    void publish(const std::string& subject, const std::string& body) {
        jsPubAck* ack = nullptr;
        REQUIRE(js_Publish(&ack, js_, subject.c_str(), body.data(), static_cast<int>(body.size()), nullptr, nullptr) ==
                NATS_OK);
        jsPubAck_Destroy(ack);
    }
    // n messages body(i) to subject, asynchronously, each with Nats-Msg-Id i; waits for all.
    void publish_many(const std::string& subject, int n, const std::function<std::string(int)>& body) {
        for (int i = 0; i < n; ++i) {
            const auto text = body(i);
            natsMsg* msg = nullptr;
            REQUIRE(natsMsg_Create(&msg, subject.c_str(), nullptr, text.data(), static_cast<int>(text.size())) == NATS_OK);
            natsMsgHeader_Set(msg, "Nats-Msg-Id", std::to_string(i).c_str());
            REQUIRE(js_PublishMsgAsync(js_, &msg, nullptr) == NATS_OK);
            natsMsg_Destroy(msg);
        }
        jsPubOptions po;
        jsPubOptions_Init(&po);
        po.MaxWait = 60000;
        REQUIRE(js_PublishAsyncComplete(js_, &po) == NATS_OK);
    }
    // The stream's message count (0 when it does not exist or does not answer).
    std::uint64_t count(const std::string& stream) {
        jsStreamInfo* si = nullptr;
        if (js_GetStreamInfo(&si, js_, stream.c_str(), nullptr, nullptr) != NATS_OK) return 0;
        const auto n = si->State.Msgs;
        jsStreamInfo_Destroy(si);
        return n;
    }
    [[nodiscard]] bool has_stream(const std::string& stream) {
        jsStreamInfo* si = nullptr;
        const auto s = js_GetStreamInfo(&si, js_, stream.c_str(), nullptr, nullptr);
        jsStreamInfo_Destroy(si);
        return s == NATS_OK;
    }
    // The stream's settings: fn sees them while the answer lives.
    void with_stream_config(const std::string& stream, const std::function<void(const jsStreamConfig&)>& fn) {
        jsStreamInfo* si = nullptr;
        REQUIRE(js_GetStreamInfo(&si, js_, stream.c_str(), nullptr, nullptr) == NATS_OK);
        fn(*si->Config);
        jsStreamInfo_Destroy(si);
    }
    // Every message of the stream, as JSON, in order (through a consumer of its own).
    std::vector<boost::json::value> read_all(const std::string& stream) {
        const auto total = count(stream);
        const std::string durable = "test_reader_" + std::to_string(++readers_);
        jsSubOptions so;
        jsSubOptions_Init(&so);
        so.Stream = stream.c_str();
        natsSubscription* sub = nullptr;
        // Right after a node died the cluster may be electing a metadata leader: making
        // the consumer can time out for a while (10 s each), then it goes through.
        natsStatus made = NATS_OK;
        for (int attempt = 0; attempt < 6; ++attempt) {
            made = js_PullSubscribe(&sub, js_, (stream + ".>").c_str(), durable.c_str(), nullptr, &so, nullptr);
            if (made != NATS_TIMEOUT) break;
        }
        REQUIRE_MESSAGE(made == NATS_OK, natsStatus_GetText(made));
        std::vector<boost::json::value> out;
        while (out.size() < total) {
            natsMsgList list{};
            const auto s = natsSubscription_Fetch(&list, sub, 1000, 5000, nullptr);
            if (s != NATS_OK) break;
            for (int i = 0; i < list.Count; ++i) {
                out.push_back(boost::json::parse(std::string_view(natsMsg_GetData(list.Msgs[i]),
                                                                  static_cast<std::size_t>(natsMsg_GetDataLength(list.Msgs[i])))));
                natsMsg_Ack(list.Msgs[i], nullptr);
            }
            natsMsgList_Destroy(&list);
        }
        natsSubscription_Unsubscribe(sub);
        natsSubscription_Destroy(sub);
        return out;
    }

private:
    natsConnection* nc_ = nullptr;
    jsCtx* js_ = nullptr;
    int readers_ = 0;
};

}  // namespace junction::test
