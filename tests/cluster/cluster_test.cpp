// Many hosts, one config, through the `junction` binary on a three-node NATS cluster on
// loopback (JetStream, R3 streams): a shared consumer's messages spread over three hosts
// (none lost, none doubled without a kill, each host a share); a host SIGKILLed mid-run
// (its unacknowledged messages go to the others after AckWait); a NATS node killed (the
// R3 streams go on); a one-host pipeline that fails over when its owner is killed, and
// one whose owner is paused (SIGSTOP) past its lease, which stops before another host
// starts it.
#include <doctest/doctest.h>

#include <signal.h>

#include <atomic>
#include <map>
#include <set>
#include <thread>

#include <boost/json.hpp>

#include "http_client.hpp"
#include "junction_daemon.hpp"
#include "nats_client.hpp"
#include "nats_server.hpp"
#include "subprocess.hpp"
#include "temp_dir.hpp"

namespace json = boost::json;
using namespace junction::test;
using namespace std::chrono_literals;

namespace {

constexpr const char* api_key = "cluster-test-key";

NatsServer& nats() {
    static NatsServer s(3);
    return s;
}

std::string fresh(const char* prefix) {
    static std::atomic<int> n{0};
    return std::string(prefix) + "_" + std::to_string(::getpid()) + "_" + std::to_string(++n);
}

std::string servers_json(const NatsServer& s) {
    std::string out = "[";
    for (const auto& u : s.urls())
        out += (out.size() > 1 ? ", \"" : "\"") + u + "\"";
    return out + "]";
}

// One host: its own folder (state store, logs, API port) with the shared config.
struct Host {
    std::string id;
    TempDir dir;
    std::unique_ptr<JunctionDaemon> daemon;
    Host(std::string host_id, const std::string& config) : id(std::move(host_id)) {
        write_file(dir / "config.json", config);
        daemon = std::make_unique<JunctionDaemon>(dir / "config.json",
                                                  "JUNCTION_HOST=" + id + " T_CLUSTER_KEY=" + api_key);
    }
    void kill() {
        daemon->signal(SIGKILL);
        (void)daemon->stop();
    }
    [[nodiscard]] json::value get(const std::string& path) const {
        const auto r = http_call("GET", daemon->url(path), {std::string("Authorization: Bearer ") + api_key});
        if (r.status != 200) return nullptr;
        return json::parse(r.body);
    }
    // The pipeline's entry in GET /api/v1/pipelines (null when the host does not answer).
    [[nodiscard]] json::value pipeline(const std::string& name) const {
        const auto all = get("/api/v1/pipelines");
        if (!all.is_object()) return nullptr;
        for (const auto& p : all.at("pipelines").as_array())
            if (p.at("name").as_string() == name) return p;
        return nullptr;
    }
    [[nodiscard]] std::string metrics() const {
        return http_call("GET", daemon->url("/metrics"), {std::string("Authorization: Bearer ") + api_key}).body;
    }
    // A plugin counter of /metrics, summed over its series (e.g. "duplicates_total").
    [[nodiscard]] double plugin_metric(const std::string& name) const {
        const auto r = http_call("GET", daemon->url("/metrics"), {std::string("Authorization: Bearer ") + api_key});
        double sum = 0;
        for (const auto& line : lines_of(r.body))
            if (line.rfind("junction_plugin_" + name + "{", 0) == 0) sum += std::stod(line.substr(line.rfind(' ') + 1));
        return sum;
    }
    [[nodiscard]] std::string log() const { return daemon->log(); }
};

std::string config_of(const NatsServer& s, const std::string& bucket, const std::string& pipelines) {
    return R"({
  "state": "state.db",
  "plugin_dirs": [")" +
           std::string(JUNCTION_TEST_PLUGIN_DIR) + R"(/testkit"],
  "cluster": {"servers": )" +
           servers_json(s) + R"(, "bucket": ")" + bucket + R"(", "host_id": "${JUNCTION_HOST}", "lease_ttl_ms": 3000},
  "http": {"listen": "127.0.0.1:0", "port_file": "port",
           "api_keys": [{"id": "ops", "key_env": "T_CLUSTER_KEY", "scopes": ["read", "operate"]}]},
  "pipelines": [)" +
           pipelines + "]}";
}

// in -> mapping (adds the host's id) -> out: a shared consumer, on every host.
std::string spread_pipeline(const NatsServer& s, const std::string& in, const std::string& out) {
    const auto common = R"("servers": )" + servers_json(s) + R"(, "replicas": 3)";
    return R"({"name": "spread", "schedule": {"poll_ms": 100}, "batch_size": 500,
      "reader": {"plugin": "nats", "options": {)" +
           common + R"(, "stream": ")" + in + R"(", "consumer": "work", "ack_wait_ms": 4000, "fetch_wait_ms": 200}},
      "translators": [{"plugin": "mapping", "options": {"set": {"host": "${JUNCTION_HOST}"}}}],
      "writer": {"plugin": "nats", "options": {)" +
           common + R"(, "stream": ")" + out + R"(", "dedup_id": "n"}}})";
}

void publish_jobs(NatsClient& c, const std::string& stream, int n) {
    c.publish_many(stream + ".jobs", n, [](int i) { return R"({"n": )" + std::to_string(i) + R"(, "text": "job"})"; });
    REQUIRE(c.count(stream) == static_cast<std::uint64_t>(n));
}

// Each host's pipeline has run once (its reader and writer opened): the hosts start one
// after the other, and a share is only fair if all of them are there from the first message.
void wait_until_ready(const std::vector<Host*>& hosts, const std::string& pipeline) {
    for (const auto* h : hosts)
        REQUIRE_MESSAGE(eventually(
                            [&] {
                                const auto p = h->pipeline(pipeline);
                                return p.is_object() && p.at("state") == "scheduled";
                            },
                            30s),
                        h->log());
}

// Every n of the stream once; the count by host.
std::map<std::string, int> shares_of(NatsClient& c, const std::string& stream, int n) {
    const auto all = c.read_all(stream);
    std::set<std::int64_t> seen;
    std::map<std::string, int> by_host;
    for (const auto& v : all) {
        seen.insert(v.at("n").as_int64());
        ++by_host[std::string(v.at("host").as_string())];
    }
    CHECK(all.size() == static_cast<std::size_t>(n));
    CHECK(seen.size() == static_cast<std::size_t>(n));
    return by_host;
}

bool wait_for_count(NatsClient& c, const std::string& stream, std::uint64_t n, std::chrono::seconds timeout) {
    return eventually([&] { return c.count(stream) >= n; }, timeout);
}

}  // namespace

TEST_CASE("100,000 messages of a shared consumer, three hosts: none lost, none doubled, each host a share") {
    constexpr int n = 100000;
    NatsClient client(nats().urls());
    const auto in = fresh("in"), out = fresh("out");
    client.add_stream(in, 3);
    const auto config = config_of(nats(), fresh("c"), spread_pipeline(nats(), in, out));
    Host a("a", config), b("b", config), c("c", config);
    wait_until_ready({&a, &b, &c}, "spread");
    publish_jobs(client, in, n);
    REQUIRE_MESSAGE(wait_for_count(client, out, n, 180s), a.log(), b.log(), c.log());
    std::this_thread::sleep_for(500ms);  // anything more would be a duplicate
    const auto by_host = shares_of(client, out, n);
    CHECK(by_host.size() == 3);
    for (const auto& [host, count] : by_host) {
        CAPTURE(host);
        CHECK(count > n / 10);
    }
    MESSAGE("shares: a " << by_host.at("a") << ", b " << by_host.at("b") << ", c " << by_host.at("c"));
    // Without a kill, no message was written twice (the stream would have dropped it).
    CHECK(a.plugin_metric("duplicates_total") + b.plugin_metric("duplicates_total") +
              c.plugin_metric("duplicates_total") ==
          0);
    CHECK(a.pipeline("spread").at("placement") == "every_host");
}

TEST_CASE("a host SIGKILLed mid-run: the others get its unacknowledged messages after AckWait; none lost") {
    constexpr int n = 30000;
    NatsClient client(nats().urls());
    const auto in = fresh("in"), out = fresh("out");
    client.add_stream(in, 3);
    const auto config = config_of(nats(), fresh("c"), spread_pipeline(nats(), in, out));
    Host a("a", config), b("b", config), c("c", config);
    wait_until_ready({&a, &b, &c}, "spread");
    publish_jobs(client, in, n);
    REQUIRE(wait_for_count(client, out, n / 4, 60s));
    c.kill();
    const auto killed_at = std::chrono::steady_clock::now();
    REQUIRE_MESSAGE(wait_for_count(client, out, n, 120s), a.log(), b.log());
    const auto took = std::chrono::steady_clock::now() - killed_at;
    std::this_thread::sleep_for(500ms);
    const auto by_host = shares_of(client, out, n);
    CHECK(by_host.count("a") == 1);
    CHECK(by_host.count("b") == 1);
    // What c had fetched and not acknowledged came back to a and b after AckWait (4 s):
    // those it had published already are the duplicates the stream dropped, at most what
    // it had in flight (batch_size 500 x queue_depth 4, and one batch being written).
    const double duplicates = a.plugin_metric("duplicates_total") + b.plugin_metric("duplicates_total");
    MESSAGE("after the kill: " << duplicates << " duplicates dropped by the stream; done in "
                               << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms");
    CHECK(duplicates <= 2500);
}

TEST_CASE("a NATS node killed mid-run: publishing and consuming go on (R3 streams)") {
    NatsServer own(3);
    constexpr int n = 20000;
    NatsClient client(own.urls());
    const auto in = fresh("in"), out = fresh("out");
    client.add_stream(in, 3);
    const auto config = config_of(own, fresh("c"), spread_pipeline(own, in, out));
    Host a("a", config), b("b", config);
    wait_until_ready({&a, &b}, "spread");
    publish_jobs(client, in, n);
    REQUIRE(wait_for_count(client, out, n / 4, 60s));
    own.kill(2);
    REQUIRE_MESSAGE(wait_for_count(client, out, n, 120s), a.log(), b.log());
    std::this_thread::sleep_for(500ms);
    (void)shares_of(client, out, n);
    client.publish(in + ".jobs", R"({"n": 20000, "text": "after the node died"})");
    CHECK(wait_for_count(client, out, n + 1, 30s));
}

namespace {

// testkit's numbers (a source that cannot be shared) -> out: on one host at a time.
std::string numbers_pipeline(const NatsServer& s, const std::string& out, int count, const std::string& writer = "") {
    return R"({"name": "numbers", "schedule": {"poll_ms": 200}, "batch_size": 50,
      "reader": {"plugin": "testkit", "options": {"count": )" +
           std::to_string(count) + R"(, "delay_ms": 100}},
      "translators": [{"plugin": "mapping", "options": {"set": {"host": "${JUNCTION_HOST}"}}}],
      "writer": )" +
           (writer.empty() ? R"({"plugin": "nats", "options": {"servers": )" + servers_json(s) +
                                 R"(, "replicas": 3, "stream": ")" + out + R"(", "dedup_id": "n"}})"
                           : writer) +
           "}";
}

// The host that owns the pipeline, as the hosts' APIs say ("" when none yet).
std::string owner_of(const std::vector<Host*>& hosts, const std::string& pipeline) {
    for (const auto* h : hosts) {
        const auto p = h->pipeline(pipeline);
        if (p.is_object() && p.at("owner").is_string() && p.at("owner").as_string() == h->id) return h->id;
    }
    return "";
}

}  // namespace

TEST_CASE("a one-host pipeline fails over within the lease TTL and a schedule interval, and resumes without loss") {
    constexpr int n = 1500;  // 500 records a second: 3 s of work
    NatsClient client(nats().urls());
    const auto out = fresh("nums");
    const auto config = config_of(nats(), fresh("c"), numbers_pipeline(nats(), out, n));
    Host a("a", config), b("b", config);
    std::vector<Host*> hosts{&a, &b};
    std::string first;
    REQUIRE(eventually([&] { return !(first = owner_of(hosts, "numbers")).empty(); }, 20s));
    auto& owner = first == "a" ? a : b;
    auto& other = first == "a" ? b : a;
    const auto p = other.pipeline("numbers");
    CHECK(p.at("placement") == "one_host");
    CHECK(p.at("owner").as_string() == first);
    CHECK(p.at("state") == "standby");
    // `junction check` reaches the cluster without joining it, and says who holds what.
    const auto check = run("env JUNCTION_HOST=x T_CLUSTER_KEY=k " + std::string(JUNCTION_BIN) + " check " +
                           sh_quote((other.dir / "config.json").string()));
    CHECK_MESSAGE(check.exit_code == 0, check.out, check.err);
    CHECK(check.out.find("cluster: JetStream reached at nats://127.0.0.1:") != std::string::npos);
    CHECK(check.out.find("cluster: 2 live hosts") != std::string::npos);
    CHECK(check.out.find("cluster: pipeline numbers (one host at a time) held by " + first) != std::string::npos);
    // The metrics say who holds it, and how many hosts each sees.
    CHECK(owner.metrics().find("junction_cluster_lease_held{pipeline=\"numbers\"} 1") != std::string::npos);
    CHECK(other.metrics().find("junction_cluster_lease_held{pipeline=\"numbers\"} 0") != std::string::npos);
    CHECK(eventually([&] { return other.metrics().find("junction_cluster_hosts 2") != std::string::npos; }, 5s));
    // A run on demand goes to the holder, not here.
    const auto refused = http_call("POST", other.daemon->url("/api/v1/pipelines/numbers/runs"),
                                   {std::string("Authorization: Bearer ") + api_key});
    CHECK(refused.status == 409);
    CHECK(refused.body.find("is running in host " + first + " of the cluster") != std::string::npos);
    REQUIRE(wait_for_count(client, out, n / 3, 30s));
    owner.kill();
    const auto killed_at = std::chrono::steady_clock::now();
    REQUIRE(eventually([&] { return owner_of({&other}, "numbers") == other.id; }, 15s));
    const auto failover = std::chrono::steady_clock::now() - killed_at;
    MESSAGE("failover in " << std::chrono::duration_cast<std::chrono::milliseconds>(failover).count() << " ms");
    CHECK(failover < 3000ms + 200ms + 1500ms);  // TTL + poll_ms + the API's and the test's own polling
    REQUIRE_MESSAGE(wait_for_count(client, out, n, 30s), other.log());
    const auto all = client.read_all(out);
    std::set<std::int64_t> seen;
    for (const auto& v : all)
        seen.insert(v.at("n").as_int64());
    CHECK(seen.size() == static_cast<std::size_t>(n));
    // It resumed from the positions in the cluster, not from the start: at most what the
    // dead owner had written and not committed came again.
    CHECK(other.plugin_metric("duplicates_total") <= 4 * 50 + 50);
    CHECK(other.log().find("holds the lease of pipeline numbers") != std::string::npos);
}

TEST_CASE("junction check names a cluster it cannot reach, in one line") {
    TempDir dir;
    const int dead = free_loopback_port();
    write_file(dir / "config.json",
               R"({"state": "state.db", "cluster": {"servers": ["nats://127.0.0.1:)" + std::to_string(dead) + R"("]},
                   "plugin_dirs": [")" + std::string(JUNCTION_TEST_PLUGIN_DIR) + R"(/testkit"],
                   "pipelines": [{"name": "p", "reader": {"plugin": "testkit", "options": {}},
                                  "writer": {"plugin": "testkit", "options": {"file": "o.ndjson"}}}]})");
    const auto check = run(std::string(JUNCTION_BIN) + " check " + sh_quote((dir / "config.json").string()));
    CHECK(check.exit_code == 1);
    CHECK(check.out.find("cluster: cannot connect (nats://127.0.0.1:" + std::to_string(dead) + "): ") !=
          std::string::npos);
}

TEST_CASE("junction check names the streams and consumers that must exist and do not (create: false)") {
    TempDir dir;
    const auto missing = fresh("missing");
    const auto nats_options = R"("servers": )" + servers_json(nats()) + R"(, "stream": ")" + missing + R"(", "create": false)";
    write_file(dir / "config.json",
               R"({"state": "state.db", "pipelines": [{"name": "relay",
                   "reader": {"plugin": "nats", "options": {)" + nats_options + R"(, "consumer": "relay"}},
                   "writer": {"plugin": "nats", "options": {)" + nats_options + R"(}}}]})");
    const auto check = run(std::string(JUNCTION_BIN) + " check " + sh_quote((dir / "config.json").string()));
    CHECK(check.exit_code == 1);
    const auto line = "nats: stream '" + missing + "' does not exist (create: false): create it, or set create: true";
    CHECK_MESSAGE(check.out.find("relay reader nats: FAILED (fatal): " + line) != std::string::npos, check.out);
    CHECK(check.out.find("relay writer nats: FAILED (fatal): " + line) != std::string::npos);
    NatsClient client(nats().urls());
    CHECK_FALSE(client.has_stream(missing));  // check made nothing
    client.add_stream(missing);
    const auto again = run(std::string(JUNCTION_BIN) + " check " + sh_quote((dir / "config.json").string()));
    CHECK(again.out.find("relay writer nats: ok") != std::string::npos);
    CHECK(again.out.find("relay reader nats: FAILED (fatal): nats: consumer 'relay' of stream '" + missing +
                         "' does not exist (create: false)") != std::string::npos);
}

TEST_CASE("an owner paused past its lease stops the pipeline before another host starts it") {
    constexpr int n = 2000;
    TempDir shared;
    const auto file_writer = [&](const std::string& name) {
        return R"({"plugin": "testkit", "options": {"file": ")" + (shared / name).string() + R"("}})";
    };
    // Each host writes to a file of its own, named by its id: who wrote what, and when.
    const auto config = config_of(nats(), fresh("c"), numbers_pipeline(nats(), "", n, file_writer("${JUNCTION_HOST}.ndjson")));
    Host a("a", config), b("b", config);
    std::vector<Host*> hosts{&a, &b};
    std::string first;
    REQUIRE(eventually([&] { return !(first = owner_of(hosts, "numbers")).empty(); }, 20s));
    auto& owner = first == "a" ? a : b;
    auto& other = first == "a" ? b : a;
    const auto owner_file = shared / (owner.id + ".ndjson"), other_file = shared / (other.id + ".ndjson");
    REQUIRE(eventually([&] { return lines_of(read_file(owner_file)).size() >= 300; }, 30s));
    owner.daemon->signal(SIGSTOP);
    const auto written_before = lines_of(read_file(owner_file)).size();
    // The other host takes over once the paused owner's lease expired on the server.
    REQUIRE(eventually([&] { return lines_of(read_file(other_file)).size() > 0; }, 15s));
    CHECK(lines_of(read_file(owner_file)).size() == written_before);
    owner.daemon->signal(SIGCONT);
    REQUIRE(eventually([&] { return owner.log().find("lost the lease of pipeline numbers") != std::string::npos; }, 10s));
    CHECK(eventually(
        [&] {
            return owner.metrics().find("junction_cluster_leases_lost_total{pipeline=\"numbers\"} 1") != std::string::npos;
        },
        5s));
    std::this_thread::sleep_for(1s);
    // Woken, it may finish the one batch it was writing when paused, and writes nothing more.
    CHECK(lines_of(read_file(owner_file)).size() <= written_before + 50);
    REQUIRE(eventually([&] { return lines_of(read_file(other_file)).size() + written_before >= n; }, 30s));
    std::set<std::int64_t> seen;
    for (const auto& f : {owner_file, other_file})
        for (const auto& line : lines_of(read_file(f)))
            seen.insert(json::parse(line).at("n").as_int64());
    CHECK(seen.size() == static_cast<std::size_t>(n));
    CHECK(owner_of(hosts, "numbers") == other.id);
}
