// The cluster membership's leases and positions (host/cluster) against a real
// nats-server: one holder at a time, handing over by revision, a lease that lapses when
// the cluster stops answering (the holder knows before the server lets another take it),
// positions committed by revision, and the fair share between hosts.
#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include "cluster/cluster.hpp"
#include "nats_server.hpp"
#include "subprocess.hpp"

using junction::host::Cluster;
using junction::host::ClusterConfig;
using junction::test::eventually;
using junction::test::NatsServer;
using namespace std::chrono_literals;

namespace {

NatsServer& server() {
    static NatsServer s;
    return s;
}

std::string fresh_bucket() {
    static std::atomic<int> n{0};
    return "lease_test_" + std::to_string(::getpid()) + "_" + std::to_string(++n);
}

ClusterConfig config_for(const std::string& bucket, const std::string& host, int ttl_ms = 2000,
                         const NatsServer& s = server()) {
    ClusterConfig c;
    c.servers = s.urls();
    c.bucket = bucket;
    c.host_id = host;
    c.lease_ttl = std::chrono::milliseconds(ttl_ms);
    return c;
}

}  // namespace

TEST_CASE("one holder at a time; a handed-over lease is taken at once") {
    const auto bucket = fresh_bucket();
    Cluster a(config_for(bucket, "a"), {"p"});
    Cluster b(config_for(bucket, "b"), {"p"});
    CHECK(a.acquire("p"));
    CHECK(a.holds("p"));
    CHECK_FALSE(b.acquire("p"));
    CHECK(b.lease("p").owner == "a");
    CHECK_FALSE(b.lease("p").mine);
    std::this_thread::sleep_for(3s);  // renewed past its TTL: still a's
    CHECK(a.holds("p"));
    CHECK_FALSE(b.acquire("p"));
    a.release("p");
    CHECK_FALSE(a.holds("p"));
    CHECK(b.acquire("p"));
    CHECK(a.lease("p").owner == "b");
}

TEST_CASE("a holder that leaves hands its leases over; one that dies lets them lapse after the TTL") {
    const auto bucket = fresh_bucket();
    Cluster b(config_for(bucket, "b"), {"p"});
    {
        Cluster a(config_for(bucket, "a"), {"p"});
        REQUIRE(a.acquire("p"));
    }  // left: handed over
    CHECK(b.acquire("p"));
}

TEST_CASE("a lease the cluster stops renewing lapses for its holder before the server frees it") {
    NatsServer own;
    const auto bucket = fresh_bucket();
    std::atomic<int> lost{0};
    Cluster a(config_for(bucket, "a", 1500, own), {"p"});
    a.on_lost([&](const std::string& p) {
        if (p == "p") ++lost;
    });
    REQUIRE(a.acquire("p"));
    auto ownership = a.ownership("p");
    CHECK(ownership->held());
    own.pause(0);  // the cluster stops answering
    const auto paused = std::chrono::steady_clock::now();
    REQUIRE(eventually([&] { return !ownership->held(); }, 5s));
    const auto lapsed = std::chrono::steady_clock::now() - paused;
    CHECK(lapsed < 1500ms);  // within the TTL less its margin, from the last renewal
    CHECK(eventually([&] { return lost.load() == 1; }, 2s));
    CHECK(ownership->lost_reason().find("no longer holds the lease of pipeline p") != std::string::npos);
    own.resume(0);
    // The server still holds a's key until its TTL: nobody else takes it before.
    Cluster b(config_for(bucket, "b", 1500, own), {"p"});
    REQUIRE(eventually([&] { return b.acquire("p"); }, 5s));
}

TEST_CASE("positions are committed by revision: a commit overtaken by another host's fails") {
    const auto bucket = fresh_bucket();
    Cluster a(config_for(bucket, "a"), {"p"});
    REQUIRE(a.acquire("p"));
    auto first = a.ownership("p");
    CHECK(first->positions().empty());
    const std::vector<junction::sdk::Committed> one{{"f1", "10"}, {"f2", "3"}};
    first->commit(one, {});
    auto second = a.ownership("p");
    auto read = second->positions();
    CHECK(read.at("f1") == "10");
    CHECK(read.at("f2") == "3");
    const std::vector<junction::sdk::Committed> two{{"f1", "20"}};
    const std::vector<std::string> drop{"f2"};
    second->commit(two, drop);
    CHECK_THROWS_WITH_AS(first->commit(one, {}), doctest::Contains("another host committed positions of pipeline p"),
                         std::runtime_error);
    read = a.ownership("p")->positions();
    CHECK(read.at("f1") == "20");
    CHECK(read.count("f2") == 0);
}

TEST_CASE("a host takes no more than its share of the one-host pipelines, and hands over the excess") {
    const auto bucket = fresh_bucket();
    const std::vector<std::string> four{"p1", "p2", "p3", "p4"};
    Cluster a(config_for(bucket, "a"), four);
    for (const auto& p : four)
        CHECK(a.acquire(p));  // alone: all of them
    Cluster b(config_for(bucket, "b"), four);
    for (const auto& p : four)
        CHECK_FALSE(b.acquire(p));
    std::this_thread::sleep_for(800ms);  // a sees b's heartbeat once its host list is stale
    int handed = 0;
    for (const auto& p : four)
        handed += a.hand_over_if_over_share(p) ? 1 : 0;
    CHECK(handed == 2);
    int taken = 0;
    for (const auto& p : four)
        taken += b.acquire(p) ? 1 : 0;
    CHECK(taken == 2);
    CHECK(b.hosts().size() == 2);
}

TEST_CASE("a cluster that cannot be reached is one error line naming it") {
    ClusterConfig c;
    c.servers = {"nats://127.0.0.1:1"};
    c.bucket = fresh_bucket();
    try {
        Cluster dead(c, {"p"});
        FAIL("connected to a dead server");
    } catch (const std::runtime_error& e) {
        const std::string what = e.what();
        CHECK(what.rfind("cluster: cannot connect (nats://127.0.0.1:1): ", 0) == 0);
        CHECK(what.find('\n') == std::string::npos);
    }
}

TEST_CASE("the new holder's first run stamps the positions: a commit the old holder still had on its way fails") {
    const auto bucket = fresh_bucket();
    Cluster a(config_for(bucket, "a"), {"p"});
    REQUIRE(a.acquire("p"));
    auto old_run = a.ownership("p");
    (void)old_run->positions();
    old_run->commit(std::vector<junction::sdk::Committed>{{"", "5"}}, {});
    a.release("p");  // (or its lease lapsed while it was paused before its next commit)
    Cluster b(config_for(bucket, "b"), {"p"});
    REQUIRE(b.acquire("p"));
    auto new_run = b.ownership("p");
    CHECK(new_run->positions().at("") == "5");  // resumes where a committed
    CHECK_THROWS_WITH_AS(old_run->commit(std::vector<junction::sdk::Committed>{{"", "9"}}, {}),
                         doctest::Contains("another host committed positions"), std::runtime_error);
    new_run->commit(std::vector<junction::sdk::Committed>{{"", "6"}}, {});  // the new holder's commits go on
    CHECK(b.ownership("p")->positions().at("") == "6");
}

TEST_CASE("a bad cluster section: every problem at its path, for junction validate") {
    std::vector<junction::core::ConfigError> errors;
    const auto v = boost::json::parse(
        R"({"servers": [], "lease_ttl_ms": 10, "replicas": 9, "bucket": "a b", "token": 5, "leader": true})");
    (void)junction::host::parse_cluster_config(v, "/etc", errors);
    std::vector<std::string> lines;
    for (const auto& e : errors)
        lines.push_back(e.line());
    const auto has = [&](const std::string& line) {
        return std::find(lines.begin(), lines.end(), line) != lines.end();
    };
    CHECK(lines.size() == 6);
    CHECK(has("cluster.servers: expected a list of nats://host:port URLs"));
    CHECK(has("cluster.lease_ttl_ms: expected a whole number from 1000 to 600000"));
    CHECK(has("cluster.replicas: expected a whole number from 1 to 5"));
    CHECK(has("cluster.bucket: expected a name of letters, digits, '_' and '-'"));
    CHECK(has("cluster.token: expected a string"));
    CHECK(std::any_of(lines.begin(), lines.end(),
                      [](const std::string& l) { return l.rfind("cluster.leader: unknown key; valid keys: servers", 0) == 0; }));

    errors.clear();
    const auto ok = junction::host::parse_cluster_config(
        boost::json::parse(R"({"servers": "nats://a:4222,nats://b:4222", "credentials_file": "x.creds"})"), "/etc",
        errors);
    CHECK(errors.empty());
    CHECK(ok.servers == std::vector<std::string>{"nats://a:4222", "nats://b:4222"});
    CHECK(ok.credentials_file == "/etc/x.creds");
    CHECK(ok.lease_ttl == std::chrono::milliseconds(10000));
}
