// Many hosts, one config: the `cluster` section makes `junction run` a member of a group
// of hosts that share NATS JetStream (the anchor is Kafka Connect's distributed mode).
//
// Pipelines whose reader spreads its records over every reader (a shared JetStream
// consumer) run on every host. A pipeline whose source cannot be shared (a folder, a
// MongoDB poller, a REST source) runs on one host at a time: the holder of its lease, a
// key in a KV bucket (`<bucket>-leases`, whose TTL is the lease's) made with
// create-if-absent and renewed by revision (compare-and-set) every third of the TTL.
// When the holder dies its key expires on the server's clock and another host creates it
// at its next scheduled run. The holder counts the lease good until the time it sent its
// last renewal plus the TTL less a fifth: a host paused past that (SIGSTOP, a long GC, a
// network partition) sees held() false before writing or committing anything, which is
// before the server lets another host take the lease.
//
// Such a pipeline's positions live beside the lease, in `<bucket>-positions` (no TTL),
// one key a pipeline, written by revision: a commit from a host that another host's
// commit overtook fails instead of moving the positions back.
//
// Each host also renews a heartbeat key (`host.<id>` in the leases bucket): the live
// hosts are its keys, and a host takes a free lease only while it holds fewer than its
// share (ceil(singletons / hosts)); a host over its share hands an idle pipeline over.
#pragma once

#include <chrono>
#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <boost/json/value.hpp>
#include <nats/status.h>
#include <junction/core/config.hpp>
#include <junction/core/engine.hpp>
#include <junction/core/metrics.hpp>

struct __natsConnection;
struct __jsCtx;
struct __kvStore;

namespace junction::host {

struct ClusterConfig {
    std::vector<std::string> servers;
    std::string user;
    std::string password;  // secret
    std::string token;     // secret
    std::filesystem::path credentials_file;
    std::string bucket = "junction";  // the buckets are <bucket>-leases and <bucket>-positions
    std::string host_id;              // default: <hostname>-<pid>
    std::chrono::milliseconds lease_ttl{10000};
    int replicas = 1;
};

// Parses the `cluster` section; problems go to `errors` under "cluster.<key>".
ClusterConfig parse_cluster_config(const boost::json::value& v, const std::filesystem::path& base_dir,
                                   std::vector<core::ConfigError>& errors);

// Where a pipeline runs in a cluster (automatic: every host for readers that redeliver).
bool runs_on_one_host(const core::ResolvedPipeline& p);

// The clock leases are counted on: CLOCK_BOOTTIME, which (unlike steady_clock's
// CLOCK_MONOTONIC) goes on while a suspended machine or VM sleeps: a host that wakes
// from a suspend longer than its TTL knows its leases lapsed.
struct BootClock {
    using duration = std::chrono::nanoseconds;
    using rep = duration::rep;
    using period = duration::period;
    using time_point = std::chrono::time_point<BootClock>;
    static constexpr bool is_steady = true;
    static time_point now() noexcept;
};

// A pipeline's lease as this host last saw it.
struct LeaseStatus {
    std::string owner;  // the holder's host id; "" when free or unknown
    bool mine = false;
};

class Cluster {
public:
    // Connects and opens the buckets (creating them); throws std::runtime_error with one
    // line naming the servers. `singletons`: the pipelines that run on one host at a time.
    // `metrics`: where its series go (junction_cluster_*); nullptr: none.
    Cluster(ClusterConfig config, std::vector<std::string> singletons, core::MetricRegistry* metrics = nullptr);
    // Hands over every lease held (so another host takes them at once) and leaves.
    ~Cluster();
    Cluster(const Cluster&) = delete;
    Cluster& operator=(const Cluster&) = delete;

    [[nodiscard]] const std::string& host_id() const noexcept { return config_.host_id; }
    [[nodiscard]] std::chrono::milliseconds lease_ttl() const noexcept { return config_.lease_ttl; }
    [[nodiscard]] bool singleton(const std::string& pipeline) const;

    // True when this host holds the pipeline's lease: held already, or taken now (it was
    // free, or handed over, and this host is under its share).
    bool acquire(const std::string& pipeline);
    [[nodiscard]] bool holds(const std::string& pipeline) const;
    // Lets go of the lease (by revision: a lease another host took meanwhile is not touched).
    void release(const std::string& pipeline);
    // After a run: hands the pipeline over when this host holds more than its share.
    bool hand_over_if_over_share(const std::string& pipeline);
    [[nodiscard]] LeaseStatus lease(const std::string& pipeline);
    // The hosts whose heartbeat is live, this one included.
    [[nodiscard]] std::vector<std::string> hosts();
    // Called (from the renewal thread) when a held lease is lost: the run must stop.
    void on_lost(std::function<void(const std::string&)> fn);
    // What a run of the pipeline uses: the lease's validity and the positions beside it.
    std::unique_ptr<core::Ownership> ownership(const std::string& pipeline);

    // For the ownership objects.
    [[nodiscard]] bool valid(const std::string& pipeline, std::string* why = nullptr) const;
    // True once after the lease was taken: the run re-stamps the positions key, so that a
    // late commit of the host that held it before fails by revision.
    bool take_fresh(const std::string& pipeline);
    [[nodiscard]] __kvStore* positions_bucket() const noexcept { return positions_; }

private:
    struct Held {
        std::uint64_t revision = 0;
        BootClock::time_point valid_until;
        bool lost = false;
        std::string why;
        bool fresh = true;  // taken, its positions not yet re-stamped by this host
    };
    // A write of a lease key that got no answer: the server may have stored it. Its nonce
    // tells the value apart when it is read back; its send time bounds its validity.
    struct Unanswered {
        std::uint64_t nonce = 0;
        BootClock::time_point sent;
    };
    // Writes the lease key (create when revision is 0, else update by revision); records
    // the attempt as unanswered when the cluster did not answer.
    natsStatus write_lease(const std::string& pipeline, std::uint64_t revision, bool released, std::uint64_t& out,
                           BootClock::time_point& sent);
    // After a write refused by revision: when the key holds this host's unanswered write,
    // its revision and the validity from that write's send time (true), else false.
    bool adopt(const std::string& pipeline, std::uint64_t& revision, BootClock::time_point& sent);
    void renew_loop(std::stop_token stop);
    void renew_all();
    void beat();
    std::string lease_value(bool released, std::uint64_t nonce) const;
    [[nodiscard]] std::size_t share();
    [[nodiscard]] std::size_t held_count() const;  // leases held and not lost
    // Until when a lease written at `sent` counts as held: the TTL less a fifth.
    [[nodiscard]] BootClock::time_point valid_until(BootClock::time_point sent) const;
    void lose(const std::string& pipeline, Held& h, std::string why);
    // The series of a pipeline's lease (junction_cluster_lease_held), when there are metrics.
    void show_held(const std::string& pipeline, bool held);

    ClusterConfig config_;
    std::vector<std::string> singletons_;
    __natsConnection* nc_ = nullptr;
    __jsCtx* js_ = nullptr;
    __kvStore* leases_ = nullptr;
    __kvStore* positions_ = nullptr;
    std::uint64_t beat_revision_ = 0;

    mutable std::mutex mutex_;
    std::map<std::string, Held> held_;
    std::map<std::string, Unanswered> unanswered_;
    std::atomic<std::uint64_t> nonce_{0};
    std::function<void(const std::string&)> on_lost_;
    std::vector<std::string> hosts_cache_;
    BootClock::time_point hosts_read_{};
    std::atomic<bool> warned_{false};
    core::MetricRegistry* metrics_ = nullptr;
    sdk::Gauge* hosts_gauge_ = nullptr;
    std::jthread renewer_;
};

// `junction check`: connects (without joining: no heartbeat, no lease), and describes the
// cluster in lines: the servers reached, the live hosts, each one-host pipeline's holder.
// Throws std::runtime_error with one line when the cluster cannot be reached.
std::vector<std::string> probe_cluster(const ClusterConfig& config, const std::vector<std::string>& singletons);

// The KV key of a pipeline name (letters, digits, '_' and '-' as they are; the rest =XX).
std::string kv_key_of(const std::string& name);

}  // namespace junction::host
