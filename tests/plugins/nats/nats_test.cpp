// The nats plugin against a real nats-server (JetStream): the queue contract, then what
// is JetStream's own.
#include <doctest/doctest.h>

#include <atomic>
#include <thread>

#include "nats_config.hpp"
#include "nats_server.hpp"
#include "queue_contract.hpp"
#include "reader.hpp"
#include "temp_dir.hpp"
#include "writer.hpp"

namespace json = boost::json;
namespace sdk = junction::sdk;
using junction::test::NatsServer;
using junction::test::TempDir;
using namespace junction::test::queue_contract;
using namespace std::chrono_literals;

namespace {

// One server for the test process; each backend instance has a stream of its own.
NatsServer& server() {
    static NatsServer s;
    return s;
}

std::string fresh_name(const char* prefix) {
    static std::atomic<int> n{0};
    return std::string(prefix) + "_" + std::to_string(::getpid()) + "_" + std::to_string(++n);
}

struct JetStream {
    static constexpr const char* name = "nats (JetStream)";
    static constexpr bool fifo_by_key = false;
    TempDir tmp;
    std::string stream = fresh_name("contract");

    std::unique_ptr<sdk::Writer> make_writer() { return std::make_unique<junction::nats::NatsWriter>(); }
    std::unique_ptr<sdk::Reader> make_reader() { return std::make_unique<junction::nats::NatsReader>(); }
    sdk::OptionSchema writer_schema() { return junction::nats::writer_schema(); }
    sdk::OptionSchema reader_schema() { return junction::nats::reader_schema(); }
    json::object common() const {
        return {{"servers", json::array{server().url()}}, {"stream", stream}, {"storage", "memory"}};
    }
    json::object writer_options() { return common(); }
    json::object reader_options(const std::string& consumer, int ack_wait_ms, json::object extra) {
        auto o = common();
        o["consumer"] = consumer;
        o["ack_wait_ms"] = ack_wait_ms;
        o["fetch_wait_ms"] = 0;
        for (auto& kv : extra)
            o[kv.key()] = kv.value();
        return o;
    }
    std::filesystem::path dir() { return tmp.path(); }
    std::chrono::system_clock::time_point now() { return std::chrono::system_clock::now(); }
    void elapse(std::chrono::milliseconds d) { std::this_thread::sleep_for(d); }
};

}  // namespace

TEST_CASE_TEMPLATE_INVOKE(queue_contract, JetStream);

