#include "cluster.hpp"

#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <stdexcept>

#include <nats/nats.h>

#include <boost/json.hpp>
#include <junction/core/logging.hpp>
#include <junction/core/time_text.hpp>
#include <junction/sdk/json_text.hpp>

#include "section_readers.hpp"

namespace junction::host {
namespace json = boost::json;

namespace {

// The client's last error, without the "(conn.c:2088): " of where in the library it was set.
std::string last_error_detail(natsStatus s) {
    natsStatus last = NATS_OK;
    const char* detail = nats_GetLastError(&last);
    if (detail == nullptr || last != s) return {};
    std::string d(detail);
    if (d.size() > 1 && d[0] == '(')
        if (const auto end = d.find("): "); end != std::string::npos) d.erase(0, end + 3);
    return d;
}

std::string nats_text(natsStatus s) {
    std::string out = natsStatus_GetText(s);
    if (const auto d = last_error_detail(s); !d.empty() && d != out) out += " (" + d + ")";
    return out;
}

// Transient: the cluster did not answer (it may still hold our lease); the rest is an answer.
bool no_answer(natsStatus s) {
    return s == NATS_TIMEOUT || s == NATS_NO_RESPONDERS || s == NATS_CONNECTION_CLOSED ||
           s == NATS_CONNECTION_DISCONNECTED || s == NATS_IO_ERROR || s == NATS_NO_SERVER || s == NATS_STALE_CONNECTION;
}

std::string now_text() {
    return core::format_utc_ms(std::chrono::system_clock::now());
}

std::string default_host_id() {
    char name[256] = {};
    if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') std::snprintf(name, sizeof name, "host");
    return std::string(name) + "-" + std::to_string(::getpid());
}

std::optional<json::object> object_of(kvEntry* e) {
    boost::system::error_code ec;
    auto v = json::parse(std::string_view(static_cast<const char*>(kvEntry_Value(e)),
                                          static_cast<std::size_t>(kvEntry_ValueLen(e))),
                         ec);
    if (ec || !v.is_object()) return std::nullopt;
    return std::move(v.get_object());
}

// The lease value names this host.
bool is_host(const json::object& o, const std::string& host) {
    const auto* h = o.if_contains("host");
    return h != nullptr && h->is_string() && h->get_string() == host;
}

// The lease value says its holder handed it over.
bool is_released(const json::object& o) {
    const auto* r = o.if_contains("released");
    return r != nullptr && *r == true;
}

std::string lease_key(const std::string& pipeline) {
    return "lease." + kv_key_of(pipeline);
}

// A lease key as stored: its value and revision; nothing when absent or unreadable.
struct StoredLease {
    json::object value;
    std::uint64_t revision = 0;
};
std::optional<StoredLease> read_lease(kvStore* leases, const std::string& pipeline) {
    kvEntry* e = nullptr;
    if (kvStore_Get(&e, leases, lease_key(pipeline).c_str()) != NATS_OK) return std::nullopt;
    auto o = object_of(e);
    const auto rev = kvEntry_Revision(e);
    kvEntry_Destroy(e);
    if (!o) return std::nullopt;
    return StoredLease{std::move(*o), rev};
}

// The host a stored lease names, unless it was handed over ("" then).
std::string holder_of(const json::object& o) {
    const auto* h = o.if_contains("host");
    return !is_released(o) && h != nullptr && h->is_string() ? std::string(h->get_string()) : std::string();
}

kvStore* open_bucket(jsCtx* js, const std::string& name, std::chrono::milliseconds ttl, int replicas) {
    kvStore* kv = nullptr;
    auto s = js_KeyValue(&kv, js, name.c_str());
    if (s == NATS_OK) return kv;
    if (s != NATS_NOT_FOUND) throw std::runtime_error("cannot open KV bucket '" + name + "': " + nats_text(s));
    kvConfig kc;
    kvConfig_Init(&kc);
    kc.Bucket = name.c_str();
    kc.History = 1;
    kc.TTL = std::chrono::duration_cast<std::chrono::nanoseconds>(ttl).count();
    kc.Replicas = replicas;
    s = js_CreateKeyValue(&kv, js, &kc);
    if (s == NATS_OK) return kv;
    if (js_KeyValue(&kv, js, name.c_str()) == NATS_OK) return kv;  // another host made it meanwhile
    throw std::runtime_error("cannot create KV bucket '" + name + "': " + nats_text(s));
}

class KvOwnership final : public core::Ownership {
public:
    KvOwnership(Cluster& cluster, std::string pipeline)
        : cluster_(cluster), pipeline_(std::move(pipeline)), key_("positions." + kv_key_of(pipeline_)) {}

    [[nodiscard]] bool held() const noexcept override { return cluster_.valid(pipeline_); }
    [[nodiscard]] std::string lost_reason() const override {
        std::string why;
        (void)cluster_.valid(pipeline_, &why);
        return "cluster: this host (" + cluster_.host_id() + ") no longer holds the lease of pipeline " + pipeline_ +
               " (" + why + "); another host may run it now, so this run writes and commits nothing more";
    }
    sdk::Positions positions() override {
        // The first run after the lease was taken stamps the key with this host, by
        // revision: a commit the previous holder still had on its way fails from then on,
        // rather than the first commit of this host.
        const bool stamp = cluster_.take_fresh(pipeline_);
        for (int attempt = 0;; ++attempt) {
            auto out = read();
            if (!stamp) return out;
            try {
                commit_doc(doc_);
                return out;
            } catch (const std::runtime_error&) {
                if (attempt == 2) throw;  // overtaken three times in a row: let the run fail
            }
        }
    }
    void commit(std::span<const sdk::Committed> positions, std::span<const std::string> dropped) override {
        if (positions.empty() && dropped.empty()) return;
        auto next = doc_;
        for (const auto& d : dropped)
            next.erase(d);
        for (const auto& c : positions)
            next[c.partition] = c.offset;
        commit_doc(next);
    }

private:
    sdk::Positions read() {
        kvEntry* e = nullptr;
        const auto s = kvStore_Get(&e, cluster_.positions_bucket(), key_.c_str());
        revision_ = 0;
        doc_ = {};
        if (s == NATS_NOT_FOUND) return {};
        if (s != NATS_OK) throw std::runtime_error("cannot read the positions of pipeline " + pipeline_ + ": " + nats_text(s));
        revision_ = kvEntry_Revision(e);
        auto o = object_of(e);
        kvEntry_Destroy(e);
        if (!o) throw std::runtime_error("the positions of pipeline " + pipeline_ + " in the cluster are not JSON");
        sdk::Positions out;
        if (const auto* p = o->if_contains("positions"); p != nullptr && p->is_object()) {
            doc_ = p->get_object();
            for (const auto& kv : doc_)
                if (kv.value().is_string()) out.emplace(std::string(kv.key()), std::string(kv.value().get_string()));
        }
        return out;
    }
    void commit_doc(json::object next) {
        const auto text = sdk::to_json_text(
            json::object{{"positions", next}, {"host", cluster_.host_id()}, {"committed_at", now_text()}});
        std::uint64_t rev = 0;
        const auto s = revision_ == 0
                           ? kvStore_Create(&rev, cluster_.positions_bucket(), key_.c_str(), text.data(),
                                            static_cast<int>(text.size()))
                           : kvStore_Update(&rev, cluster_.positions_bucket(), key_.c_str(), text.data(),
                                            static_cast<int>(text.size()), revision_);
        if (s != NATS_OK) {
            if (no_answer(s)) throw std::runtime_error("the cluster did not take the positions: " + nats_text(s));
            throw std::runtime_error("another host committed positions of pipeline " + pipeline_ +
                                     " since this one read them (" + nats_text(s) + ")");
        }
        revision_ = rev;
        doc_ = std::move(next);
    }

    Cluster& cluster_;
    std::string pipeline_;
    std::string key_;
    std::uint64_t revision_ = 0;
    json::object doc_;
};

}  // namespace

std::string kv_key_of(const std::string& name) {
    static constexpr char hex[] = "0123456789ABCDEF";
    std::string out;
    for (const unsigned char c : name) {
        if (std::isalnum(c) != 0 || c == '_' || c == '-') {
            out += static_cast<char>(c);
        } else {
            out += '=';
            out += hex[c >> 4];
            out += hex[c & 0xF];
        }
    }
    return out;
}

bool runs_on_one_host(const core::ResolvedPipeline& p) {
    switch (p.config->placement) {
        case core::Placement::one_host:
            return true;
        case core::Placement::every_host:
            return false;
        case core::Placement::automatic:
            break;
    }
    return p.reader.component == nullptr || !p.reader.component->redelivers;
}

namespace {

std::string servers_text(const ClusterConfig& c) {
    std::string where;
    for (const auto& s : c.servers)
        where += (where.empty() ? "" : ", ") + s;
    return where;
}

// Connects to the cluster with its JetStream context; throws one line on failure.
void connect(const ClusterConfig& config, const std::string& name, natsConnection*& nc, jsCtx*& js) {
    const auto where = servers_text(config);
    natsOptions* opts = nullptr;
    auto fail = [&](const std::string& what, natsStatus s) {
        natsOptions_Destroy(opts);
        jsCtx_Destroy(js);
        natsConnection_Destroy(nc);
        js = nullptr;
        nc = nullptr;
        throw std::runtime_error("cluster: " + what + " (" + where + "): " + nats_text(s));
    };
    auto check = [&](natsStatus s, const char* what) {
        if (s != NATS_OK) fail(what, s);
    };
    check(natsOptions_Create(&opts), "cannot make connection options");
    std::vector<const char*> servers;
    for (const auto& s : config.servers)
        servers.push_back(s.c_str());
    check(natsOptions_SetServers(opts, servers.data(), static_cast<int>(servers.size())), "bad servers");
    check(natsOptions_SetName(opts, name.c_str()), "bad name");
    check(natsOptions_SetTimeout(opts, 2000), "bad timeout");
    check(natsOptions_SetMaxReconnect(opts, -1), "bad reconnect setting");
    check(natsOptions_SetReconnectWait(opts, 250), "bad reconnect setting");
    if (!config.user.empty())
        check(natsOptions_SetUserInfo(opts, config.user.c_str(), config.password.c_str()), "bad user");
    if (!config.token.empty()) check(natsOptions_SetToken(opts, config.token.c_str()), "bad token");
    if (!config.credentials_file.empty())
        check(natsOptions_SetUserCredentialsFromFiles(opts, config.credentials_file.c_str(), nullptr),
              "cannot read credentials_file");
    check(natsConnection_Connect(&nc, opts), "cannot connect");
    natsOptions_Destroy(opts);
    opts = nullptr;
    jsOptions jo;
    jsOptions_Init(&jo);
    // A renewal that hangs must not outlast the third of the TTL it has.
    jo.Wait = std::max<std::int64_t>(200, config.lease_ttl.count() / 5);
    check(natsConnection_JetStream(&js, nc, &jo), "cannot open a JetStream context");
}

}  // namespace

std::vector<std::string> probe_cluster(const ClusterConfig& config, const std::vector<std::string>& singletons) {
    natsConnection* nc = nullptr;
    jsCtx* js = nullptr;
    connect(config, "junction check", nc, js);
    std::vector<std::string> out;
    jsAccountInfo* ai = nullptr;
    const auto s = js_GetAccountInfo(&ai, js, nullptr, nullptr);
    if (s != NATS_OK) {
        jsCtx_Destroy(js);
        natsConnection_Destroy(nc);
        throw std::runtime_error("cluster: JetStream does not answer (" + servers_text(config) + "): " + nats_text(s) +
                                 " (is it enabled: nats-server -js?)");
    }
    out.push_back("cluster: JetStream reached at " + servers_text(config) + " (" + std::to_string(ai->Streams) +
                  " streams)");
    jsAccountInfo_Destroy(ai);
    kvStore* leases = nullptr;
    if (js_KeyValue(&leases, js, (config.bucket + "-leases").c_str()) != NATS_OK) {
        out.push_back("cluster: bucket " + config.bucket + "-leases not made yet (the first host makes it)");
    } else {
        std::vector<std::string> hosts;
        kvKeysList keys{};
        if (kvStore_Keys(&keys, leases, nullptr) == NATS_OK) {
            for (int i = 0; i < keys.Count; ++i)
                if (std::string k = keys.Keys[i]; k.rfind("host.", 0) == 0) hosts.push_back(k.substr(5));
            kvKeysList_Destroy(&keys);
        }
        std::string list;
        for (const auto& h : hosts)
            list += (list.empty() ? "" : ", ") + h;
        out.push_back("cluster: " + std::to_string(hosts.size()) + " live host" + (hosts.size() == 1 ? "" : "s") +
                      (list.empty() ? "" : ": " + list));
        for (const auto& p : singletons) {
            const auto stored = read_lease(leases, p);
            const auto owner = stored ? holder_of(stored->value) : std::string();
            out.push_back("cluster: pipeline " + p + " (one host at a time) held by " + (owner.empty() ? "none" : owner));
        }
        kvStore_Destroy(leases);
    }
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    return out;
}

Cluster::Cluster(ClusterConfig config, std::vector<std::string> singletons, core::MetricRegistry* metrics)
    : config_(std::move(config)), singletons_(std::move(singletons)), metrics_(metrics) {
    if (config_.host_id.empty()) config_.host_id = default_host_id();
    const auto where = servers_text(config_);
    connect(config_, "junction " + config_.host_id, nc_, js_);
    auto fail = [&](const std::string& what, natsStatus s) {
        jsCtx_Destroy(js_);
        natsConnection_Destroy(nc_);
        js_ = nullptr;
        nc_ = nullptr;
        throw std::runtime_error("cluster: " + what + " (" + where + "): " + nats_text(s));
    };
    try {
        leases_ = open_bucket(js_, config_.bucket + "-leases", config_.lease_ttl, config_.replicas);
        positions_ = open_bucket(js_, config_.bucket + "-positions", std::chrono::milliseconds(0), config_.replicas);
    } catch (const std::exception& e) {
        kvStore_Destroy(leases_);
        leases_ = nullptr;
        fail(e.what(), NATS_ERR);
    }
    kvStatus* st = nullptr;
    if (kvStore_Status(&st, leases_) == NATS_OK) {
        const auto ttl_ms = kvStatus_TTL(st) / 1000000;
        if (ttl_ms <= 0) {
            kvStatus_Destroy(st);
            fail("bucket " + config_.bucket + "-leases keeps its keys for ever (no TTL): a dead host's leases would "
                 "never lapse; delete it (every host stopped) or name another bucket",
                 NATS_ERR);
        }
        if (ttl_ms != config_.lease_ttl.count())
            core::log_warn("cluster: bucket " + config_.bucket + "-leases keeps keys " + std::to_string(ttl_ms) +
                           " ms, the config says lease_ttl_ms " + std::to_string(config_.lease_ttl.count()) +
                           ": the bucket's is the lease (delete the bucket, with every host stopped, to change it)");
        config_.lease_ttl = std::chrono::milliseconds(ttl_ms);
        kvStatus_Destroy(st);
    }
    if (metrics_ != nullptr) {
        hosts_gauge_ = &metrics_->gauge("cluster_hosts", "Hosts of the cluster whose heartbeat this host sees", {});
        for (const auto& p : singletons_) {
            show_held(p, false);
            (void)metrics_->counter("cluster_leases_lost_total",
                                    "Leases this host lost while holding them (lapsed, or taken by another host)",
                                    {{"pipeline", p}});
        }
    }
    beat();
    core::log_info("cluster: host " + config_.host_id + " joined (" + where + "; leases of " +
                   std::to_string(config_.lease_ttl.count()) + " ms, " + std::to_string(singletons_.size()) +
                   " pipeline" + (singletons_.size() == 1 ? "" : "s") + " run on one host at a time)");
    renewer_ = std::jthread([this](std::stop_token stop) { renew_loop(std::move(stop)); });
}

Cluster::~Cluster() {
    renewer_.request_stop();
    if (renewer_.joinable()) renewer_.join();
    std::vector<std::string> held;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [p, h] : held_)
            if (!h.lost) held.push_back(p);
    }
    for (const auto& p : held)
        release(p);
    if (leases_ != nullptr) (void)kvStore_Delete(leases_, ("host." + kv_key_of(config_.host_id)).c_str());
    kvStore_Destroy(leases_);
    kvStore_Destroy(positions_);
    jsCtx_Destroy(js_);
    natsConnection_Destroy(nc_);
}

bool Cluster::singleton(const std::string& pipeline) const {
    return std::find(singletons_.begin(), singletons_.end(), pipeline) != singletons_.end();
}

BootClock::time_point BootClock::now() noexcept {
    timespec ts{};
    ::clock_gettime(CLOCK_BOOTTIME, &ts);
    return time_point(std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec));
}

std::string Cluster::lease_value(bool released, std::uint64_t nonce) const {
    return sdk::to_json_text(
        json::object{{"host", config_.host_id}, {"at", now_text()}, {"released", released}, {"nonce", nonce}});
}

natsStatus Cluster::write_lease(const std::string& pipeline, std::uint64_t revision, bool released,
                                std::uint64_t& out, BootClock::time_point& sent) {
    const auto key = lease_key(pipeline);
    const auto nonce = ++nonce_;
    const auto value = lease_value(released, nonce);
    sent = BootClock::now();
    const auto s = revision == 0
                       ? kvStore_Create(&out, leases_, key.c_str(), value.data(), static_cast<int>(value.size()))
                       : kvStore_Update(&out, leases_, key.c_str(), value.data(), static_cast<int>(value.size()),
                                        revision);
    std::lock_guard lock(mutex_);
    if (no_answer(s))
        unanswered_[pipeline] = Unanswered{.nonce = nonce, .sent = sent};
    else
        unanswered_.erase(pipeline);
    return s;
}

bool Cluster::adopt(const std::string& pipeline, std::uint64_t& revision, BootClock::time_point& sent) {
    Unanswered u;
    {
        std::lock_guard lock(mutex_);
        const auto it = unanswered_.find(pipeline);
        if (it == unanswered_.end()) return false;
        u = it->second;
    }
    const auto stored = read_lease(leases_, pipeline);
    if (!stored) return false;
    const auto& o = stored->value;
    const auto* nonce = o.if_contains("nonce");
    if (!is_host(o, config_.host_id) || is_released(o) || nonce == nullptr || !nonce->is_number() ||
        nonce->to_number<std::uint64_t>() != u.nonce)
        return false;
    revision = stored->revision;
    sent = u.sent;
    std::lock_guard lock(mutex_);
    unanswered_.erase(pipeline);
    return true;
}

bool Cluster::take_fresh(const std::string& pipeline) {
    std::lock_guard lock(mutex_);
    const auto it = held_.find(pipeline);
    return it != held_.end() && std::exchange(it->second.fresh, false);
}

std::vector<std::string> Cluster::hosts() {
    {
        std::lock_guard lock(mutex_);
        if (!hosts_cache_.empty() && BootClock::now() - hosts_read_ < config_.lease_ttl / 3) return hosts_cache_;
    }
    std::vector<std::string> out{config_.host_id};
    kvKeysList keys{};
    kvWatchOptions wo;
    kvWatchOptions_Init(&wo);
    wo.Timeout = std::max<std::int64_t>(200, config_.lease_ttl.count() / 5);
    if (kvStore_Keys(&keys, leases_, &wo) == NATS_OK) {
        const std::string me = "host." + kv_key_of(config_.host_id);
        for (int i = 0; i < keys.Count; ++i) {
            const std::string k = keys.Keys[i];
            if (k.rfind("host.", 0) == 0 && k != me) out.push_back(k.substr(5));
        }
        kvKeysList_Destroy(&keys);
    }
    if (hosts_gauge_ != nullptr) hosts_gauge_->set(static_cast<double>(out.size()));
    std::lock_guard lock(mutex_);
    hosts_cache_ = out;
    hosts_read_ = BootClock::now();
    return out;
}

std::size_t Cluster::held_count() const {
    std::lock_guard lock(mutex_);
    return static_cast<std::size_t>(
        std::count_if(held_.begin(), held_.end(), [](const auto& kv) { return !kv.second.lost; }));
}

BootClock::time_point Cluster::valid_until(BootClock::time_point sent) const {
    return sent + config_.lease_ttl - config_.lease_ttl / 5;
}

std::size_t Cluster::share() {
    const auto h = std::max<std::size_t>(1, hosts().size());
    return (singletons_.size() + h - 1) / h;
}

bool Cluster::valid(const std::string& pipeline, std::string* why) const {
    std::lock_guard lock(mutex_);
    const auto it = held_.find(pipeline);
    if (it == held_.end()) {
        if (why != nullptr) *why = "not held";
        return false;
    }
    if (it->second.lost) {
        if (why != nullptr) *why = it->second.why;
        return false;
    }
    if (BootClock::now() >= it->second.valid_until) {
        if (why != nullptr) *why = "its lease lapsed: not renewed within the TTL";
        return false;
    }
    return true;
}

bool Cluster::holds(const std::string& pipeline) const {
    return valid(pipeline);
}

bool Cluster::acquire(const std::string& pipeline) {
    if (valid(pipeline)) return true;
    {
        std::lock_guard lock(mutex_);
        held_.erase(pipeline);  // lost or lapsed: take it anew or not at all
    }
    if (held_count() >= share()) return false;
    BootClock::time_point sent;
    std::uint64_t rev = 0;
    auto s = write_lease(pipeline, 0, false, rev, sent);
    if (s != NATS_OK && !no_answer(s)) {
        // Held: by this host, if an earlier attempt got no answer but was stored; or handed
        // over (released), then taken by revision.
        if (adopt(pipeline, rev, sent)) {
            s = NATS_OK;
        } else if (const auto stored = read_lease(leases_, pipeline); stored && is_released(stored->value)) {
            s = write_lease(pipeline, stored->revision, false, rev, sent);
        }
    }
    if (s != NATS_OK) {
        if (no_answer(s) && !warned_.exchange(true))
            core::log_warn("cluster: cannot ask for the lease of pipeline " + pipeline + ": " + nats_text(s),
                           {{"pipeline", pipeline}});
        return false;
    }
    warned_.store(false);
    {
        std::lock_guard lock(mutex_);
        held_[pipeline] = Held{.revision = rev,
                               .valid_until = valid_until(sent),
                               .lost = false,
                               .why = {},
                               .fresh = true};
    }
    show_held(pipeline, true);
    core::log_info("cluster: host " + config_.host_id + " holds the lease of pipeline " + pipeline + " and runs it",
                   {{"pipeline", pipeline}});
    return true;
}

void Cluster::release(const std::string& pipeline) {
    std::uint64_t rev = 0;
    {
        std::lock_guard lock(mutex_);
        const auto it = held_.find(pipeline);
        if (it == held_.end()) return;
        rev = it->second.lost ? 0 : it->second.revision;
        held_.erase(it);
    }
    show_held(pipeline, false);
    if (rev == 0) return;
    BootClock::time_point sent;
    std::uint64_t done = 0;
    auto s = write_lease(pipeline, rev, true, done, sent);
    // A renewal raced it (the renewal thread had the same revision): once more, with the
    // key's revision, if the key still says this host holds it.
    if (s != NATS_OK && !no_answer(s))
        if (const auto stored = read_lease(leases_, pipeline);
            stored && is_host(stored->value, config_.host_id) && !is_released(stored->value))
            s = write_lease(pipeline, stored->revision, true, done, sent);
    if (s == NATS_OK)
        core::log_info("cluster: host " + config_.host_id + " handed over pipeline " + pipeline, {{"pipeline", pipeline}});
}

bool Cluster::hand_over_if_over_share(const std::string& pipeline) {
    if (!valid(pipeline)) return false;
    if (held_count() <= share()) return false;
    release(pipeline);
    return true;
}

LeaseStatus Cluster::lease(const std::string& pipeline) {
    LeaseStatus out;
    out.mine = valid(pipeline);
    if (out.mine) {
        out.owner = config_.host_id;
        return out;
    }
    if (const auto stored = read_lease(leases_, pipeline)) out.owner = holder_of(stored->value);
    return out;
}

void Cluster::on_lost(std::function<void(const std::string&)> fn) {
    std::lock_guard lock(mutex_);
    on_lost_ = std::move(fn);
}

std::unique_ptr<core::Ownership> Cluster::ownership(const std::string& pipeline) {
    return std::make_unique<KvOwnership>(*this, pipeline);
}

void Cluster::show_held(const std::string& pipeline, bool held) {
    if (metrics_ == nullptr) return;
    metrics_
        ->gauge("cluster_lease_held", "1 while this host holds the pipeline's lease (runs it), else 0",
                {{"pipeline", pipeline}})
        .set(held ? 1 : 0);
}

void Cluster::lose(const std::string& pipeline, Held& h, std::string why) {
    h.lost = true;
    h.why = std::move(why);
    show_held(pipeline, false);
    if (metrics_ != nullptr)
        metrics_
            ->counter("cluster_leases_lost_total",
                      "Leases this host lost while holding them (lapsed, or taken by another host)",
                      {{"pipeline", pipeline}})
            .add();
    core::log_error("cluster: host " + config_.host_id + " lost the lease of pipeline " + pipeline + ": " + h.why +
                        "; its run stops now",
                    {{"pipeline", pipeline}});
}

void Cluster::beat() {
    json::array pipelines;
    {
        std::lock_guard lock(mutex_);
        for (const auto& [p, h] : held_)
            if (!h.lost) pipelines.emplace_back(p);
    }
    const auto text = sdk::to_json_text(json::object{{"host", config_.host_id}, {"at", now_text()}, {"pipelines", pipelines}});
    (void)kvStore_Put(&beat_revision_, leases_, ("host." + kv_key_of(config_.host_id)).c_str(), text.data(),
                      static_cast<int>(text.size()));
}

void Cluster::renew_all() {
    std::vector<std::pair<std::string, std::uint64_t>> todo;
    {
        std::lock_guard lock(mutex_);
        for (auto& [p, h] : held_)
            if (!h.lost) todo.emplace_back(p, h.revision);
    }
    std::vector<std::string> lost;
    for (const auto& [pipeline, revision] : todo) {
        BootClock::time_point sent;
        std::uint64_t rev = 0;
        auto s = write_lease(pipeline, revision, false, rev, sent);
        // Refused by revision: an earlier renewal got no answer yet was stored? Then this
        // host still holds it, from that renewal's send time: renew from there.
        if (s != NATS_OK && !no_answer(s)) {
            std::uint64_t stored = 0;
            BootClock::time_point stored_sent;
            if (adopt(pipeline, stored, stored_sent)) {
                s = write_lease(pipeline, stored, false, rev, sent);
                if (s != NATS_OK && no_answer(s)) {  // keep what the adopted one gives
                    std::lock_guard lock(mutex_);
                    if (auto it = held_.find(pipeline); it != held_.end() && it->second.revision == revision) {
                        it->second.revision = stored;
                        it->second.valid_until = valid_until(stored_sent);
                    }
                    continue;
                }
            }
        }
        std::lock_guard lock(mutex_);
        const auto it = held_.find(pipeline);
        // Gone, lost, or taken anew meanwhile (a newer revision): this result is not for it.
        if (it == held_.end() || it->second.lost || it->second.revision != revision) continue;
        auto& h = it->second;
        if (s == NATS_OK) {
            h.revision = rev;
            h.valid_until = valid_until(sent);
        } else if (!no_answer(s)) {
            lose(pipeline, h, "another host holds it now (" + nats_text(s) + ")");
            lost.push_back(pipeline);
        }
    }
    {
        std::lock_guard lock(mutex_);
        const auto now = BootClock::now();
        for (auto& [p, h] : held_)
            if (!h.lost && now >= h.valid_until) {
                lose(p, h, "not renewed within its TTL (the cluster did not answer, or this host was paused)");
                lost.push_back(p);
            }
    }
    std::function<void(const std::string&)> fn;
    {
        std::lock_guard lock(mutex_);
        fn = on_lost_;
    }
    if (fn)
        for (const auto& p : lost)
            fn(p);
    beat();
}

void Cluster::renew_loop(std::stop_token stop) {
    const auto every = std::max(std::chrono::milliseconds(50), config_.lease_ttl / 3);
    auto last = BootClock::now();
    // Short steps: after a pause (SIGSTOP) the lapse is seen at once.
    while (core::sleep_for(std::min(every, std::chrono::milliseconds(200)), stop)) {
        bool due = BootClock::now() - last >= every;
        {
            std::lock_guard lock(mutex_);
            for (const auto& [p, h] : held_)
                if (!h.lost && BootClock::now() >= h.valid_until) due = true;
        }
        if (!due) continue;
        last = BootClock::now();
        renew_all();
    }
}

ClusterConfig parse_cluster_config(const json::value& v, const std::filesystem::path& base_dir,
                                   std::vector<core::ConfigError>& errors) {
    ClusterConfig c;
    if (!v.is_object()) {
        errors.push_back({"cluster", "expected an object"});
        return c;
    }
    const auto& o = v.get_object();
    section::check_keys(o,
                        {"servers", "user", "password", "token", "credentials_file", "bucket", "host_id",
                         "lease_ttl_ms", "replicas"},
                        "cluster", errors);
    if (const auto* s = o.if_contains("servers"); s == nullptr) {
        errors.push_back({"cluster.servers", "required key missing"});
    } else if (s->is_string()) {  // "a,b" (from an environment variable)
        std::string_view rest = s->get_string();
        while (!rest.empty()) {
            const auto comma = rest.find(',');
            const auto one = rest.substr(0, comma);
            if (!one.empty()) c.servers.emplace_back(one);
            rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
        }
        if (c.servers.empty()) errors.push_back({"cluster.servers", "expected a list of nats://host:port URLs"});
    } else if (!s->is_array() || s->get_array().empty()) {
        errors.push_back({"cluster.servers", "expected a list of nats://host:port URLs"});
    } else {
        for (const auto& e : s->get_array()) {
            if (!e.is_string() || e.get_string().empty())
                errors.push_back({"cluster.servers", "expected a list of nats://host:port URLs"});
            else
                c.servers.emplace_back(e.get_string());
        }
    }
    section::read_string(o, "user", "cluster", c.user, errors, false);
    section::read_string(o, "password", "cluster", c.password, errors, false);
    section::read_string(o, "token", "cluster", c.token, errors, false);
    std::string creds;
    section::read_string(o, "credentials_file", "cluster", creds, errors, false);
    if (!creds.empty())
        c.credentials_file = std::filesystem::path(creds).is_absolute() ? std::filesystem::path(creds) : base_dir / creds;
    section::read_string(o, "bucket", "cluster", c.bucket, errors, false);
    if (c.bucket.empty() || !std::all_of(c.bucket.begin(), c.bucket.end(), [](unsigned char ch) {
            return std::isalnum(ch) != 0 || ch == '_' || ch == '-';
        }))
        errors.push_back({"cluster.bucket", "expected a name of letters, digits, '_' and '-'"});
    section::read_string(o, "host_id", "cluster", c.host_id, errors, false);
    section::read_ms(o, "lease_ttl_ms", "cluster", c.lease_ttl, 1000, 600000, errors);
    section::read_count(o, "replicas", "cluster", c.replicas, 1, 5, errors);
    return c;
}

}  // namespace junction::host
