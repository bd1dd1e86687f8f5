#include "jetstream.hpp"

#include <dlfcn.h>

#include <algorithm>
#include <mutex>
#include <set>
#include <vector>

namespace junction::nats {
namespace {

constexpr std::int64_t ns(std::chrono::milliseconds d) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(d).count();
}

// libnats starts library threads that may run on for a moment after the last connection
// is destroyed; the host unloads this plugin (and with it libnats) after its last
// instance. Pinning libnats (RTLD_NODELETE) keeps their code mapped.
void pin_libnats() {
    static std::once_flag once;
    std::call_once(once, [] {
        Dl_info info{};
        if (::dladdr(reinterpret_cast<void*>(&natsConnection_Connect), &info) != 0 && info.dli_fname != nullptr)
            (void)::dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD | RTLD_NODELETE);
    });
}

const char* retention_name(jsRetentionPolicy r) {
    switch (r) {
        case js_LimitsPolicy:
            return "limits";
        case js_InterestPolicy:
            return "interest";
        case js_WorkQueuePolicy:
            return "workqueue";
    }
    return "unknown";
}

jsRetentionPolicy retention_of(Retention r) {
    switch (r) {
        case Retention::workqueue:
            return js_WorkQueuePolicy;
        case Retention::interest:
            return js_InterestPolicy;
        case Retention::limits:
            break;
    }
    return js_LimitsPolicy;
}

std::string joined(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v)
        out += (out.empty() ? "" : ", ") + s;
    return out;
}

// Owns what a JetStream call returns.
struct StreamInfo {
    jsStreamInfo* p = nullptr;
    ~StreamInfo() { jsStreamInfo_Destroy(p); }
};
struct ConsumerInfo {
    jsConsumerInfo* p = nullptr;
    ~ConsumerInfo() { jsConsumerInfo_Destroy(p); }
};

}  // namespace

bool subject_matches(const std::string& pattern, const std::string& subject) {
    std::size_t p = 0, s = 0;
    while (p <= pattern.size() && s <= subject.size()) {
        const auto pe = std::min(pattern.find('.', p), pattern.size());
        const auto se = std::min(subject.find('.', s), subject.size());
        const auto token = std::string_view(pattern).substr(p, pe - p);
        if (token == ">") return true;  // the rest, one token at least
        if (token != "*" && token != std::string_view(subject).substr(s, se - s)) return false;
        const bool pattern_done = pe == pattern.size(), subject_done = se == subject.size();
        if (pattern_done || subject_done) return pattern_done && subject_done;
        p = pe + 1;
        s = se + 1;
    }
    return false;
}

std::string describe(const std::string& what, natsStatus s, jsErrCode e) {
    std::string out = "nats: " + what + ": " + natsStatus_GetText(s);
    natsStatus last = NATS_OK;
    if (const char* detail = nats_GetLastError(&last); detail != nullptr && *detail != '\0' && last == s) {
        std::string d(detail);  // without the "(js.c:1750): " of where in the library it was set
        if (d.size() > 1 && d[0] == '(')
            if (const auto end = d.find("): "); end != std::string::npos) d.erase(0, end + 3);
        if (d != natsStatus_GetText(s)) out += " (" + d + ")";
    }
    if (e != 0) out += " [JetStream error " + std::to_string(static_cast<int>(e)) + "]";
    return out;
}

sdk::Code classify(natsStatus s, jsErrCode e) {
    switch (s) {
        // What no retry mends: refused credentials or permissions, a bad argument.
        case NATS_CONNECTION_AUTH_FAILED:
        case NATS_NOT_PERMITTED:
        case NATS_INVALID_ARG:
        case NATS_INVALID_SUBJECT:
        case NATS_INVALID_SUBSCRIPTION:
        case NATS_INVALID_QUEUE_NAME:
        case NATS_ADDRESS_MISSING:
        case NATS_SECURE_CONNECTION_WANTED:
        case NATS_SECURE_CONNECTION_REQUIRED:
        case NATS_NO_SERVER_SUPPORT:
        case NATS_MAX_PAYLOAD:
            return sdk::Code::fatal;
        default:
            break;
    }
    // JetStream said no with a reason (a subject another stream holds, a limit, a bad
    // setting): fatal, unless the reason passes (no peers or resources yet, no leader).
    if (e != 0 && e != JSClusterNoPeersErr && e != JSInsufficientResourcesErr && e != JSClusterNotAvailErr &&
        e != JSStreamOfflineErr && e != JSConsumerOfflineErr && e != JSClusterNotLeaderErr)
        return sdk::Code::fatal;
    // No answer, a lost connection, a server shutting down, a leader moving: it passes.
    return sdk::Code::retry;
}

void fail(const std::string& what, natsStatus s, jsErrCode e) {
    throw NatsError(classify(s, e), describe(what, s, e));
}

Connection::Connection(const ConnectionSpec& spec, sdk::Logger& log, std::function<void(jsOptions&)> configure)
    : spec_(spec), log_(log) {
    pin_libnats();
    try {
        connect(configure);
    } catch (...) {
        release();
        throw;
    }
}

void Connection::connect(const std::function<void(jsOptions&)>& configure) {
    const auto where = joined(spec_.servers);
    auto check = [&](natsStatus s, const char* what) {
        if (s != NATS_OK) fail(std::string(what) + " (" + where + ")", s);
    };
    check(natsOptions_Create(&opts_), "cannot make connection options");
    std::vector<const char*> servers;
    for (const auto& s : spec_.servers)
        servers.push_back(s.c_str());
    check(natsOptions_SetServers(opts_, servers.data(), static_cast<int>(servers.size())), "bad servers");
    check(natsOptions_SetName(opts_, "junction"), "bad connection name");
    check(natsOptions_SetTimeout(opts_, spec_.connect_timeout.count()), "bad connect_timeout_ms");
    // A host keeps reconnecting (to any server of the cluster) rather than give up.
    check(natsOptions_SetMaxReconnect(opts_, -1), "bad reconnect setting");
    check(natsOptions_SetReconnectWait(opts_, 250), "bad reconnect setting");
    if (!spec_.user.empty())
        check(natsOptions_SetUserInfo(opts_, spec_.user.c_str(), spec_.password.c_str()), "bad user");
    if (!spec_.token.empty()) check(natsOptions_SetToken(opts_, spec_.token.c_str()), "bad token");
    if (!spec_.credentials_file.empty())
        check(natsOptions_SetUserCredentialsFromFiles(opts_, spec_.credentials_file.c_str(), nullptr),
              "cannot read credentials_file");
    const auto s = natsConnection_Connect(&nc_, opts_);
    if (s != NATS_OK) {
        const auto code = s == NATS_CONNECTION_AUTH_FAILED || s == NATS_NOT_PERMITTED ? sdk::Code::fatal
                                                                                       : sdk::Code::retry;
        throw NatsError(code, describe("cannot connect to " + where, s));
    }
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.Wait = spec_.request_timeout.count();
    if (configure) configure(jo);
    if (const auto st = natsConnection_JetStream(&js_, nc_, &jo); st != NATS_OK)
        fail("cannot open a JetStream context", st);
}

Connection::~Connection() {
    release();
}

void Connection::release() noexcept {
    jsCtx_Destroy(js_);
    js_ = nullptr;
    natsConnection_Destroy(nc_);
    nc_ = nullptr;
    natsOptions_Destroy(opts_);
    opts_ = nullptr;
}

natsStatus Connection::flush() {
    return natsConnection_FlushTimeout(nc_, spec_.request_timeout.count());
}

std::vector<std::string> Connection::ensure_stream() {
    const auto& want = spec_.stream;
    const std::string name = "stream '" + want.name + "'";
    StreamInfo info;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    auto s = js_GetStreamInfo(&info.p, js_, want.name.c_str(), nullptr, &jerr);
    if (s == NATS_NOT_FOUND || jerr == JSStreamNotFoundErr) {
        if (!spec_.create)
            throw NatsError(sdk::Code::fatal, "nats: " + name +
                                                  " does not exist (create: false): create it, or set create: true");
        std::vector<const char*> subjects;
        for (const auto& subject : want.subjects)
            subjects.push_back(subject.c_str());
        jsStreamConfig cfg;
        jsStreamConfig_Init(&cfg);
        cfg.Name = want.name.c_str();
        cfg.Subjects = subjects.data();
        cfg.SubjectsLen = static_cast<int>(subjects.size());
        cfg.Retention = retention_of(want.retention);
        cfg.Replicas = want.replicas;
        cfg.MaxAge = ns(want.max_age);
        cfg.Duplicates = ns(want.duplicate_window);
        cfg.Storage = want.memory ? js_MemoryStorage : js_FileStorage;
        StreamInfo created;
        jerr = static_cast<jsErrCode>(0);
        s = js_AddStream(&created.p, js_, &cfg, nullptr, &jerr);
        if (s == NATS_OK) {
            log_.info("nats: created " + name + " (subjects " + joined(want.subjects) + ", retention " +
                      retention_name(cfg.Retention) + ", replicas " + std::to_string(want.replicas) + ")");
            return want.subjects;
        }
        if (jerr != JSStreamNameExistErr) fail("cannot create " + name, s, jerr);
        // Another host created it meanwhile: compare with what it made.
        jerr = static_cast<jsErrCode>(0);
        s = js_GetStreamInfo(&info.p, js_, want.name.c_str(), nullptr, &jerr);
    }
    if (s != NATS_OK) fail("cannot read " + name, s, jerr);

    const auto& have = *info.p->Config;
    if (have.Retention != retention_of(want.retention) || have.Storage != (want.memory ? js_MemoryStorage : js_FileStorage)) {
        throw NatsError(sdk::Code::fatal,
                        "nats: " + name + " has retention " + retention_name(have.Retention) + " and " +
                            (have.Storage == js_MemoryStorage ? "memory" : "file") +
                            " storage; the config says " + retention_name(retention_of(want.retention)) + " and " +
                            (want.memory ? "memory" : "file") +
                            ": those cannot change; delete the stream or fix the config");
    }
    std::vector<std::string> have_list;
    for (int i = 0; i < have.SubjectsLen; ++i)
        have_list.emplace_back(have.Subjects[i]);
    const std::set<std::string> have_subjects(have_list.begin(), have_list.end());
    const std::set<std::string> want_subjects(want.subjects.begin(), want.subjects.end());
    const bool differs = have_subjects != want_subjects || have.Replicas != want.replicas ||
                         have.MaxAge != ns(want.max_age) || have.Duplicates != ns(want.duplicate_window);
    if (!differs) return have_list;
    if (!spec_.create) {
        log_.warn("nats: " + name + "'s settings differ from the config's (create: false: left as they are)");
        return have_list;
    }
    std::vector<const char*> subjects;
    for (const auto& subject : want.subjects)
        subjects.push_back(subject.c_str());
    jsStreamConfig cfg = have;
    cfg.Subjects = subjects.data();
    cfg.SubjectsLen = static_cast<int>(subjects.size());
    cfg.Replicas = want.replicas;
    cfg.MaxAge = ns(want.max_age);
    cfg.Duplicates = ns(want.duplicate_window);
    StreamInfo updated;
    jerr = static_cast<jsErrCode>(0);
    if (s = js_UpdateStream(&updated.p, js_, &cfg, nullptr, &jerr); s != NATS_OK) fail("cannot update " + name, s, jerr);
    log_.info("nats: updated " + name + " to the config's subjects, replicas, max_age_s and duplicate_window_s");
    return want.subjects;
}

void Connection::ensure_consumer(const ConsumerSpec& want) {
    const auto& stream = spec_.stream.name;
    const std::string name = "consumer '" + want.durable + "' of stream '" + stream + "'";
    ConsumerInfo info;
    jsErrCode jerr = static_cast<jsErrCode>(0);
    auto s = js_GetConsumerInfo(&info.p, js_, stream.c_str(), want.durable.c_str(), nullptr, &jerr);
    if (s == NATS_NOT_FOUND || jerr == JSConsumerNotFoundErr) {
        if (!spec_.create)
            throw NatsError(sdk::Code::fatal, "nats: " + name +
                                                  " does not exist (create: false): create it, or set create: true");
        jsConsumerConfig cc;
        jsConsumerConfig_Init(&cc);
        cc.Durable = want.durable.c_str();
        cc.AckPolicy = js_AckExplicit;
        cc.AckWait = ns(want.ack_wait);
        cc.MaxDeliver = want.max_deliver;
        cc.MaxAckPending = want.max_ack_pending;
        cc.DeliverPolicy = want.from_start ? js_DeliverAll : js_DeliverNew;
        if (!want.filter_subject.empty()) cc.FilterSubject = want.filter_subject.c_str();
        ConsumerInfo created;
        jerr = static_cast<jsErrCode>(0);
        s = js_AddConsumer(&created.p, js_, stream.c_str(), &cc, nullptr, &jerr);
        if (s == NATS_OK) {
            log_.info("nats: created " + name);
            return;
        }
        if (jerr != JSConsumerNameExistErr) fail("cannot create " + name, s, jerr);
        jerr = static_cast<jsErrCode>(0);
        s = js_GetConsumerInfo(&info.p, js_, stream.c_str(), want.durable.c_str(), nullptr, &jerr);
    }
    if (s != NATS_OK) fail("cannot read " + name, s, jerr);

    const auto& have = *info.p->Config;
    const std::string have_filter = have.FilterSubject != nullptr ? have.FilterSubject : "";
    if (have_filter != want.filter_subject)
        throw NatsError(sdk::Code::fatal, "nats: " + name + " filters \"" + have_filter + "\", the config says \"" +
                                              want.filter_subject +
                                              "\": a consumer's filter cannot change; delete it or name another");
    if (have.DeliverSubject != nullptr && *have.DeliverSubject != '\0')
        throw NatsError(sdk::Code::fatal, "nats: " + name + " is a push consumer (it delivers to " +
                                              have.DeliverSubject + "); the reader pulls: name another consumer");
    if (have.AckPolicy != js_AckExplicit)
        throw NatsError(sdk::Code::fatal, "nats: " + name + " does not take explicit acknowledgements");
    if (have.AckWait == ns(want.ack_wait) && have.MaxDeliver == want.max_deliver &&
        have.MaxAckPending == want.max_ack_pending)
        return;
    if (!spec_.create) {
        log_.warn("nats: " + name + "'s settings differ from the config's (create: false: left as they are)");
        return;
    }
    jsConsumerConfig cc = have;
    cc.AckWait = ns(want.ack_wait);
    cc.MaxDeliver = want.max_deliver;
    cc.MaxAckPending = want.max_ack_pending;
    ConsumerInfo updated;
    jerr = static_cast<jsErrCode>(0);
    if (s = js_UpdateConsumer(&updated.p, js_, stream.c_str(), &cc, nullptr, &jerr); s != NATS_OK)
        fail("cannot update " + name, s, jerr);
    log_.info("nats: updated " + name + " to the config's ack_wait_ms, max_deliver and max_ack_pending");
}

kvStore* Connection::open_bucket(const std::string& bucket, std::chrono::milliseconds ttl) {
    kvStore* kv = nullptr;
    auto s = js_KeyValue(&kv, js_, bucket.c_str());
    if (s == NATS_OK) return kv;
    if (s != NATS_NOT_FOUND) fail("cannot open KV bucket '" + bucket + "'", s);
    kvConfig kc;
    kvConfig_Init(&kc);
    kc.Bucket = bucket.c_str();
    kc.History = 1;
    kc.TTL = ns(ttl);
    kc.Replicas = spec_.stream.replicas;
    s = js_CreateKeyValue(&kv, js_, &kc);
    if (s == NATS_OK) return kv;
    // Another host created it meanwhile, with other settings: use it as it is.
    if (js_KeyValue(&kv, js_, bucket.c_str()) == NATS_OK) return kv;
    fail("cannot create KV bucket '" + bucket + "'", s);
}

}  // namespace junction::nats
