// JetStream publish throughput (issue 13): the nats plugin's writer against the floor, a
// bare libnats loop with the writer's acknowledgement settings, over the same messages;
// plus the small JetStream admin the pipeline bench needs (Debian has no `nats` CLI).
//
//   bench_nats_publish --servers URL[,URL...] --stream S --mode floor|writer
//                      [--replicas R] [--count N] [--batch B] [--max-pending P] [--keep | --purge]
//   bench_nats_publish --servers URL --create-stream S [--replicas R]
//       (re)creates S as the plugin would and prints its leader's server name, so the
//       publish runs can connect to that node and reuse the stream (--purge)
//   bench_nats_publish --servers URL --count-stream S            # prints the stream's messages
//   bench_nats_publish --servers URL --wait-stream S --count N [--since-ns T] [--timeout-s T]
//                      (prints seconds and first_seconds since T, `date +%s%N`)
//   bench_nats_publish --servers URL --consumer-info S C         # delivered, redelivered, pending
//   bench_nats_publish --servers URL --delete-stream S           # no error when missing
//   bench_nats_publish --servers URL --delete-consumer S C       # no error when missing
//   bench_nats_publish --servers URL --setup-pipeline IN OUT CONSUMER BUCKET [--replicas R]
//       deletes stream OUT and consumer CONSUMER of IN, then creates them (and the KV
//       bucket, when missing) as the nats plugin would with its defaults, and waits until
//       each has a leader: the pipeline bench then measures moving messages, not the
//       election of R3 groups at start
//
// Both publish modes publish N records (default 200,000) of a ~310-byte JSON work order,
// in batches of B (500), to "<stream>.records" on a stream made as the plugin makes it
// (subjects "<stream>.>", limits, file storage, max age 7 days, duplicate window 120 s,
// R replicas), each with a Nats-Msg-Id (the record's "id"):
//   floor:  natsMsg_Create + natsMsgHeader_Set("Nats-Msg-Id") + js_PublishMsgAsync with
//           PublishAsync.MaxPending P (4000, the writer's default), an ack handler that counts,
//           js_PublishAsyncComplete (MaxWait 5000 ms) after each batch: what the writer does
//           per write() call, with the bodies serialized before the clock starts.
//   writer: junction::nats::NatsWriter opened through the SDK's test harness
//           (dedup_id "id", max_pending P), write() of each batch then flush(); the records
//           are parsed before the clock starts, so the writer serializes each one as it
//           does in a pipeline.
// The stream is deleted first and made again (or, with --purge, it must exist and is
// purged: same placement for every run) and, unless --keep or --purge, deleted afterwards.
// Each run's ids carry a prefix of its own, so no message is a duplicate of an earlier
// run's. Prints one line: mode, replicas, messages, seconds, msgs/s, client CPU, and the
// stream's count after the run (must equal N).
#include <nats/nats.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>
#include <junction/sdk/testing.hpp>

#include "nats_config.hpp"
#include "writer.hpp"

namespace {

namespace json = boost::json;
namespace sdk = junction::sdk;
using Clock = std::chrono::steady_clock;

[[noreturn]] void die(const std::string& what) {
    std::fprintf(stderr, "bench_nats_publish: %s\n", what.c_str());
    std::exit(1);
}

void check(natsStatus s, const char* what) {
    if (s == NATS_OK) return;
    natsStatus last = NATS_OK;
    const char* detail = nats_GetLastError(&last);
    die(std::string(what) + ": " + natsStatus_GetText(s) + (detail != nullptr ? std::string(" (") + detail + ")" : ""));
}

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::size_t start = 0;
    for (;;) {
        const auto end = s.find(sep, start);
        out.push_back(s.substr(start, end - start));
        if (end == std::string::npos) return out;
        start = end + 1;
    }
}

// A customer work order, deterministic in i and the run's id prefix, about 315 bytes.
std::string work_order(const std::string& prefix, std::size_t i) {
    static const char* statuses[] = {"pending", "in_progress", "on_hold", "done", "canceled"};
    static const char* regions[] = {"eu-west", "us-east", "sa-east", "ap-south"};
    char buf[512];
    const int n = std::snprintf(
        buf, sizeof buf,
        R"({"id":"%s-%08zu","orderNo":%zu,"status":"%s","priority":%zu,)"
        R"("customer":{"id":"c-%05zu","name":"Customer %zu","region":"%s"},)"
        R"("asset":{"tag":"PUMP-%04zu","site":"Plant %zu"},)"
        R"("description":"Replace the worn bearing on pump %zu",)"
        R"("createdAt":"2026-11-29T10:%02zu:%02zu.123Z","updatedAt":"2026-11-29T11:%02zu:%02zu.500Z"})",
        prefix.c_str(), i, i, statuses[i % 5], 1 + i % 5, i % 10000, i % 10000, regions[i % 4], i % 5000, 1 + i % 12, i % 5000,
        i % 60, (i / 60) % 60, (i / 7) % 60, (i / 3) % 60);
    return std::string(buf, static_cast<std::size_t>(n));
}

struct Conn {
    natsOptions* opts = nullptr;
    natsConnection* nc = nullptr;
    jsCtx* js = nullptr;
    Conn(const std::vector<std::string>& servers, jsOptions* jo = nullptr) {
        check(natsOptions_Create(&opts), "natsOptions_Create");
        std::vector<const char*> urls;
        for (const auto& s : servers) urls.push_back(s.c_str());
        check(natsOptions_SetServers(opts, urls.data(), static_cast<int>(urls.size())), "natsOptions_SetServers");
        check(natsConnection_Connect(&nc, opts), "connect");
        jsOptions def;
        jsOptions_Init(&def);
        def.Wait = 5000;
        check(natsConnection_JetStream(&js, nc, jo != nullptr ? jo : &def), "natsConnection_JetStream");
    }
    ~Conn() {
        jsCtx_Destroy(js);
        natsConnection_Destroy(nc);
        natsOptions_Destroy(opts);
    }
    // -1 when the stream does not exist.
    std::int64_t count(const std::string& stream) const {
        jsStreamInfo* si = nullptr;
        jsErrCode e{};
        const auto s = js_GetStreamInfo(&si, js, stream.c_str(), nullptr, &e);
        if (s == NATS_NOT_FOUND || e == JSStreamNotFoundErr) return -1;
        check(s, "js_GetStreamInfo");
        const auto n = static_cast<std::int64_t>(si->State.Msgs);
        jsStreamInfo_Destroy(si);
        return n;
    }
    void purge_stream(const std::string& stream) const {
        jsErrCode e{};
        check(js_PurgeStream(js, stream.c_str(), nullptr, &e), "js_PurgeStream");
    }
    // The stream leader's server name; "-" on a server that is not clustered; "" while
    // there is none.
    std::string leader(const std::string& stream) const {
        jsStreamInfo* si = nullptr;
        std::string out;
        if (js_GetStreamInfo(&si, js, stream.c_str(), nullptr, nullptr) == NATS_OK) {
            if (si->Cluster == nullptr || si->Cluster->Name == nullptr || *si->Cluster->Name == '\0')
                out = "-";
            else if (si->Cluster->Leader != nullptr)
                out = si->Cluster->Leader;
        }
        jsStreamInfo_Destroy(si);
        return out;
    }
    void delete_stream(const std::string& stream) const {
        jsErrCode e{};
        const auto s = js_DeleteStream(js, stream.c_str(), nullptr, &e);
        if (s != NATS_OK && s != NATS_NOT_FOUND && e != JSStreamNotFoundErr) check(s, "js_DeleteStream");
    }
    void delete_consumer(const std::string& stream, const std::string& consumer) const {
        jsErrCode e{};
        const auto s = js_DeleteConsumer(js, stream.c_str(), consumer.c_str(), nullptr, &e);
        if (s != NATS_OK && s != NATS_NOT_FOUND && e != JSConsumerNotFoundErr && e != JSStreamNotFoundErr)
            check(s, "js_DeleteConsumer");
    }
    // The stream as the plugin creates it (plugins/nats/jetstream.cpp, ensure_stream).
    void add_stream(const std::string& stream, int replicas) const {
        const std::string subject = stream + ".>";
        const char* subjects[] = {subject.c_str()};
        jsStreamConfig cfg;
        jsStreamConfig_Init(&cfg);
        cfg.Name = stream.c_str();
        cfg.Subjects = subjects;
        cfg.SubjectsLen = 1;
        cfg.Retention = js_LimitsPolicy;
        cfg.Replicas = replicas;
        cfg.MaxAge = std::int64_t{7} * 86400 * 1000000000;
        cfg.Duplicates = std::int64_t{120} * 1000000000;
        cfg.Storage = js_FileStorage;
        jsStreamInfo* si = nullptr;
        jsErrCode e{};
        check(js_AddStream(&si, js, &cfg, nullptr, &e), "js_AddStream");
        jsStreamInfo_Destroy(si);
    }
};

// Waits until a clustered asset has a leader (a single server's have no cluster info).
template <class Info>
bool has_leader(const Info* info) {
    return info->Cluster == nullptr || (info->Cluster->Leader != nullptr && *info->Cluster->Leader != '\0');
}

void setup_pipeline(const Conn& c, const std::vector<std::string>& v, int replicas) {
    const auto& in = v[0];
    const auto& out = v[1];
    const auto& consumer = v[2];
    const auto& bucket = v[3];
    c.delete_consumer(in, consumer);
    c.delete_stream(out);
    c.add_stream(out, replicas);
    // plugins/nats/reader.cpp, open(): explicit acks, ack_wait_ms 30000, MaxDeliver -1 (the
    // plugin counts deliveries itself), max_ack_pending 10000, deliver all, no filter.
    jsConsumerConfig cc;
    jsConsumerConfig_Init(&cc);
    cc.Durable = consumer.c_str();
    cc.AckPolicy = js_AckExplicit;
    cc.AckWait = std::int64_t{30} * 1000000000;
    cc.MaxDeliver = -1;
    cc.MaxAckPending = 10000;
    cc.DeliverPolicy = js_DeliverAll;
    jsConsumerInfo* ci = nullptr;
    jsErrCode e{};
    check(js_AddConsumer(&ci, c.js, in.c_str(), &cc, nullptr, &e), "js_AddConsumer");
    jsConsumerInfo_Destroy(ci);
    kvStore* kv = nullptr;
    if (js_KeyValue(&kv, c.js, bucket.c_str()) != NATS_OK) {  // as Connection::open_bucket makes it
        kvConfig kc;
        kvConfig_Init(&kc);
        kc.Bucket = bucket.c_str();
        kc.History = 1;
        kc.TTL = std::int64_t{7} * 86400 * 1000000000;
        kc.Replicas = replicas;
        check(js_CreateKeyValue(&kv, c.js, &kc), "js_CreateKeyValue");
    }
    kvStore_Destroy(kv);
    const auto deadline = Clock::now() + std::chrono::seconds(30);
    for (;;) {
        jsStreamInfo* si = nullptr;
        jsStreamInfo* bi = nullptr;
        jsConsumerInfo* info = nullptr;
        const std::string kv_stream = "KV_" + bucket;
        const bool ready = js_GetStreamInfo(&si, c.js, out.c_str(), nullptr, nullptr) == NATS_OK && has_leader(si) &&
                           js_GetStreamInfo(&bi, c.js, kv_stream.c_str(), nullptr, nullptr) == NATS_OK &&
                           has_leader(bi) &&
                           js_GetConsumerInfo(&info, c.js, in.c_str(), consumer.c_str(), nullptr, nullptr) == NATS_OK &&
                           has_leader(info);
        jsStreamInfo_Destroy(si);
        jsStreamInfo_Destroy(bi);
        jsConsumerInfo_Destroy(info);
        if (ready) return;
        if (Clock::now() > deadline) die("setup-pipeline: no leader for " + out + ", " + consumer + " or " + bucket);
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
}

struct Args {
    std::vector<std::string> servers{"nats://127.0.0.1:4222"};
    std::string stream = "bench";
    std::string mode;
    int replicas = 1;
    std::size_t count = 200000;
    std::size_t batch = 500;
    int max_pending = 4000;
    bool keep = false;
    bool purge = false;
    std::string create_stream;
    std::string count_stream, wait_stream, delete_stream;
    std::vector<std::string> consumer_info, delete_consumer, setup;
    std::int64_t since_ns = 0;
    double timeout_s = 600;
};

Args parse(int argc, char** argv) {
    Args a;
    auto next = [&](int& i) -> std::string {
        if (i + 1 >= argc) die(std::string(argv[i]) + " needs a value");
        return argv[++i];
    };
    for (int i = 1; i < argc; ++i) {
        const std::string k = argv[i];
        if (k == "--servers") a.servers = split(next(i), ',');
        else if (k == "--stream") a.stream = next(i);
        else if (k == "--mode") a.mode = next(i);
        else if (k == "--replicas") a.replicas = std::stoi(next(i));
        else if (k == "--count") a.count = std::stoul(next(i));
        else if (k == "--batch") a.batch = std::stoul(next(i));
        else if (k == "--max-pending") a.max_pending = std::stoi(next(i));
        else if (k == "--keep") a.keep = true;
        else if (k == "--purge") a.purge = true;
        else if (k == "--create-stream") a.create_stream = next(i);
        else if (k == "--count-stream") a.count_stream = next(i);
        else if (k == "--wait-stream") a.wait_stream = next(i);
        else if (k == "--since-ns") a.since_ns = std::stoll(next(i));
        else if (k == "--timeout-s") a.timeout_s = std::stod(next(i));
        else if (k == "--delete-stream") a.delete_stream = next(i);
        else if (k == "--setup-pipeline") for (int n = 0; n < 4; ++n) a.setup.push_back(next(i));
        else if (k == "--consumer-info" || k == "--delete-consumer") {
            auto& v = k == "--consumer-info" ? a.consumer_info : a.delete_consumer;
            v.push_back(next(i));
            v.push_back(next(i));
        } else die("unknown argument " + k + " (see the comment at the top of bench/nats_publish.cpp)");
    }
    if (a.batch == 0 || a.count == 0) die("--count and --batch must be > 0");
    return a;
}

double cpu_seconds() {
    rusage ru{};
    ::getrusage(RUSAGE_SELF, &ru);
    return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

struct FloorAcks {
    std::atomic<std::size_t> ok{0}, failed{0};
};

void floor_ack(jsCtx*, natsMsg* msg, jsPubAck* pa, jsPubAckErr*, void* closure) {
    auto& acks = *static_cast<FloorAcks*>(closure);
    if (pa != nullptr) acks.ok.fetch_add(1, std::memory_order_relaxed);
    else acks.failed.fetch_add(1, std::memory_order_relaxed);
    natsMsg_Destroy(msg);
}

struct Timing {
    double seconds = 0;
    double cpu = 0;  // user+sys of this process (libnats's threads included) over the same span
};

// Dies when a publish was not acknowledged.
Timing run_floor(const Args& a, const std::vector<std::string>& bodies, const std::vector<std::string>& ids) {
    FloorAcks acks;
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.Wait = 5000;
    jo.PublishAsync.MaxPending = a.max_pending;
    jo.PublishAsync.AckHandler = &floor_ack;
    jo.PublishAsync.AckHandlerClosure = &acks;
    Conn c(a.servers, &jo);
    if (!a.purge) c.add_stream(a.stream, a.replicas);
    const std::string subject = a.stream + ".records";
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MaxWait = 5000;
    const double cpu0 = cpu_seconds();
    const auto t0 = Clock::now();
    for (std::size_t start = 0; start < bodies.size(); start += a.batch) {
        const auto end = std::min(bodies.size(), start + a.batch);
        for (std::size_t i = start; i < end; ++i) {
            natsMsg* msg = nullptr;
            check(natsMsg_Create(&msg, subject.c_str(), nullptr, bodies[i].data(), static_cast<int>(bodies[i].size())),
                  "natsMsg_Create");
            check(natsMsgHeader_Set(msg, "Nats-Msg-Id", ids[i].c_str()), "natsMsgHeader_Set");
            const auto s = js_PublishMsgAsync(c.js, &msg, nullptr);
            natsMsg_Destroy(msg);  // no effect when the library took it
            check(s, "js_PublishMsgAsync");
        }
        check(js_PublishAsyncComplete(c.js, &po), "js_PublishAsyncComplete");
    }
    const std::chrono::duration<double> d = Clock::now() - t0;
    const double cpu = cpu_seconds() - cpu0;
    if (acks.failed.load() != 0 || acks.ok.load() != bodies.size())
        die("floor: " + std::to_string(acks.ok.load()) + " acknowledged, " + std::to_string(acks.failed.load()) +
            " failed, of " + std::to_string(bodies.size()));
    return {d.count(), cpu};
}

Timing run_writer(const Args& a, const std::vector<std::string>& bodies) {
    std::vector<sdk::Record> records;
    records.reserve(bodies.size());
    for (const auto& b : bodies) {
        sdk::Record r;
        r.payload = json::parse(b).as_object();
        records.push_back(std::move(r));
    }
    char tmpl[] = "/tmp/bench_nats_publish.XXXXXX";
    if (::mkdtemp(tmpl) == nullptr) die("mkdtemp failed");
    json::array servers;
    for (const auto& s : a.servers) servers.emplace_back(s);
    const json::object options{{"servers", servers},   {"stream", a.stream},         {"replicas", a.replicas},
                               {"dedup_id", "id"},     {"max_pending", a.max_pending}};
    sdk::testing::TestContext ctx(junction::nats::writer_schema(), options, tmpl);
    junction::nats::NatsWriter writer;
    if (const auto s = writer.open(ctx); !s.is_ok()) die("writer open: " + s.message());
    std::vector<sdk::Rejection> rejected;
    const double cpu0 = cpu_seconds();
    const auto t0 = Clock::now();
    for (std::size_t start = 0; start < records.size(); start += a.batch) {
        const auto n = std::min(a.batch, records.size() - start);
        rejected.clear();
        if (const auto s = writer.write(std::span<const sdk::Record>(records.data() + start, n), rejected); !s.is_ok())
            die("writer write: " + s.message());
        if (!rejected.empty()) die("writer rejected " + std::to_string(rejected.size()) + ": " + rejected.front().reason);
        if (const auto s = writer.flush(); !s.is_ok()) die("writer flush: " + s.message());
    }
    const std::chrono::duration<double> d = Clock::now() - t0;
    const double cpu = cpu_seconds() - cpu0;
    (void)writer.close();
    std::error_code ec;
    std::filesystem::remove_all(tmpl, ec);
    return {d.count(), cpu};
}

int publish(const Args& a) {
    if (a.mode != "floor" && a.mode != "writer") die("--mode must be floor or writer");
    // "w" and four letters from the clock: the run's own ids.
    std::string prefix = "w";
    for (auto t = static_cast<std::uint64_t>(std::chrono::system_clock::now().time_since_epoch().count()) / 1000;
         prefix.size() < 5; t /= 26)
        prefix += static_cast<char>('a' + t % 26);
    std::vector<std::string> bodies, ids;
    bodies.reserve(a.count);
    ids.reserve(a.count);
    std::size_t bytes = 0;
    for (std::size_t i = 0; i < a.count; ++i) {
        bodies.push_back(work_order(prefix, i + 1));
        bytes += bodies.back().size();
        char id[48];
        std::snprintf(id, sizeof id, "%s-%08zu", prefix.c_str(), i + 1);
        ids.emplace_back(id);
    }
    {
        Conn admin(a.servers);
        if (a.purge) admin.purge_stream(a.stream);
        else admin.delete_stream(a.stream);
    }
    const auto [secs, cpu] = a.mode == "floor" ? run_floor(a, bodies, ids) : run_writer(a, bodies);
    Conn admin(a.servers);
    const auto stored = admin.count(a.stream);
    if (!a.keep && !a.purge) admin.delete_stream(a.stream);
    std::printf("mode=%s replicas=%d messages=%zu avg_bytes=%zu seconds=%.3f msgs_per_s=%.0f cpu_s=%.2f stored=%lld\n",
                a.mode.c_str(), a.replicas, a.count, bytes / a.count, secs, static_cast<double>(a.count) / secs, cpu,
                static_cast<long long>(stored));
    return stored == static_cast<std::int64_t>(a.count) ? 0 : 1;
}

// Polls every 25 ms until the stream holds at least `count` messages; prints the seconds
// since --since-ns (CLOCK_REALTIME, e.g. `date +%s%N` before the hosts started) or since
// its own start until then (seconds) and until the stream first held a message
// (first_seconds), and its own CPU (the polls cost the servers a little too).
int wait_stream(const Args& a) {
    using std::chrono::system_clock;
    const auto since = a.since_ns > 0 ? system_clock::time_point(std::chrono::nanoseconds(a.since_ns)) : system_clock::now();
    const auto deadline = Clock::now() + std::chrono::duration<double>(a.timeout_s);
    Conn c(a.servers);
    std::int64_t n = -1;
    std::optional<system_clock::time_point> first;
    for (;;) {
        n = c.count(a.wait_stream);
        if (n > 0 && !first) first = system_clock::now();
        if (n >= static_cast<std::int64_t>(a.count)) break;
        if (Clock::now() > deadline) {
            std::printf("timeout stream=%s messages=%lld\n", a.wait_stream.c_str(), static_cast<long long>(n));
            return 1;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    const std::chrono::duration<double> d = system_clock::now() - since;
    const std::chrono::duration<double> f = *first - since;
    std::printf("reached stream=%s messages=%lld seconds=%.3f first_seconds=%.3f poll_cpu_s=%.2f\n",
                a.wait_stream.c_str(), static_cast<long long>(n), d.count(), f.count(), cpu_seconds());
    return 0;
}

int consumer_info(const Args& a) {
    Conn c(a.servers);
    jsConsumerInfo* ci = nullptr;
    jsErrCode e{};
    check(js_GetConsumerInfo(&ci, c.js, a.consumer_info[0].c_str(), a.consumer_info[1].c_str(), nullptr, &e),
          "js_GetConsumerInfo");
    std::printf("consumer=%s delivered_consumer_seq=%llu delivered_stream_seq=%llu ack_floor_stream_seq=%llu "
                "num_ack_pending=%lld num_redelivered=%lld num_pending=%llu\n",
                a.consumer_info[1].c_str(), static_cast<unsigned long long>(ci->Delivered.Consumer),
                static_cast<unsigned long long>(ci->Delivered.Stream),
                static_cast<unsigned long long>(ci->AckFloor.Stream), static_cast<long long>(ci->NumAckPending),
                static_cast<long long>(ci->NumRedelivered), static_cast<unsigned long long>(ci->NumPending));
    jsConsumerInfo_Destroy(ci);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    const auto a = parse(argc, argv);
    int rc = 0;
    if (!a.count_stream.empty()) {
        Conn c(a.servers);
        std::printf("%lld\n", static_cast<long long>(c.count(a.count_stream)));
    } else if (!a.wait_stream.empty()) {
        rc = wait_stream(a);
    } else if (!a.create_stream.empty()) {
        Conn c(a.servers);
        c.delete_stream(a.create_stream);
        c.add_stream(a.create_stream, a.replicas);
        const auto deadline = Clock::now() + std::chrono::seconds(30);
        std::string leader;
        while ((leader = c.leader(a.create_stream)).empty()) {
            if (Clock::now() > deadline) die("create-stream: no leader for " + a.create_stream);
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        std::printf("leader=%s\n", leader.c_str());
    } else if (!a.setup.empty()) {
        Conn c(a.servers);
        setup_pipeline(c, a.setup, a.replicas);
    } else if (!a.consumer_info.empty()) {
        rc = consumer_info(a);
    } else if (!a.delete_stream.empty() || !a.delete_consumer.empty()) {
        Conn c(a.servers);
        if (!a.delete_consumer.empty()) c.delete_consumer(a.delete_consumer[0], a.delete_consumer[1]);
        if (!a.delete_stream.empty()) c.delete_stream(a.delete_stream);
    } else {
        rc = publish(a);
    }
    nats_Close();
    return rc;
}
