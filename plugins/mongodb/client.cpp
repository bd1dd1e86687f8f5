#include "client.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <vector>

namespace junction::mongodb {
namespace {

// libmongoc logs through one process-wide handler; its lines go to the logger of the
// instance whose call is running on this thread, and are dropped on the driver's own
// background threads (they only repeat what the next call reports).
thread_local const Client* current_client = nullptr;
// While parse_uri() runs: the parser's warnings, for it reports an unknown option by a
// warning only and goes on without it. One parse at a time; the thread that parses is
// the only one whose lines are collected. (Not a thread_local: a plugin's dynamic TLS
// touched on the main thread outlives its dlclose in LeakSanitizer's eyes, which then
// crashes at exit.)
struct UriParse {
    std::mutex one_at_a_time;
    std::atomic<std::thread::id> thread{};
    std::vector<std::string>* warnings = nullptr;
};
UriParse& uri_parse() {
    static UriParse parse;  // made at the first parse: nothing runs at dlopen
    return parse;
}

void forward_driver_log(mongoc_log_level_t level, const char* domain, const char* message, void*) {
    if (level <= MONGOC_LOG_LEVEL_WARNING && uri_parse().thread.load() == std::this_thread::get_id())
        uri_parse().warnings->emplace_back(message);
    if (level > MONGOC_LOG_LEVEL_WARNING || current_client == nullptr) return;
    current_client->log().warn(current_client->redact(std::string("libmongoc ") + domain + ": " + message));
}

std::string percent_decode(std::string_view s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '%' && i + 2 < s.size()) {
            const auto hex = std::string(s.substr(i + 1, 2));
            char* end = nullptr;
            const long v = std::strtol(hex.c_str(), &end, 16);
            if (end == hex.c_str() + 2) {
                out.push_back(static_cast<char>(v));
                i += 2;
                continue;
            }
        }
        out.push_back(s[i]);
    }
    return out;
}

void replace_all(std::string& s, const std::string& what, std::string_view with) {
    if (what.empty()) return;
    for (auto at = s.find(what); at != std::string::npos; at = s.find(what, at + with.size()))
        s.replace(at, what.size(), with);
}

}  // namespace

void ensure_driver_initialized() {
    static std::once_flag once;  // constant-initialized: no static initializer runs at dlopen
    std::call_once(once, [] {
        mongoc_log_set_handler(forward_driver_log, nullptr);
        mongoc_init();
    });
}

std::string redact_uri_secrets(std::string message, const std::string& uri) {
    replace_all(message, uri, "***");
    const auto scheme = uri.find("://");
    if (scheme == std::string::npos) return message;
    const std::string_view rest = std::string_view(uri).substr(scheme + 3);
    const auto at = rest.substr(0, rest.find('?')).rfind('@');
    if (at == std::string_view::npos) return message;
    const auto userinfo = rest.substr(0, at);
    const auto colon = userinfo.find(':');
    if (colon == std::string_view::npos) return message;
    const std::string raw(userinfo.substr(colon + 1));
    if (raw.empty()) return message;
    replace_all(message, raw, "***");
    replace_all(message, percent_decode(raw), "***");
    return message;
}

// What libmongoc's parser lets through but the connection then trips on: a space (the
// host "h " fails at the first call), and an '@' left unescaped in the user name or
// password (the rest becomes a host name).
std::string uri_text_problem(const std::string& uri) {
    if (std::any_of(uri.begin(), uri.end(), [](char c) { return static_cast<unsigned char>(c) <= 0x20 || c == 0x7f; }))
        return "it holds a space or control character: percent-encode it (a space is %20)";
    const auto scheme = uri.find("://");
    if (scheme == std::string::npos) return {};
    const std::string_view rest = std::string_view(uri).substr(scheme + 3);
    const auto authority = rest.substr(0, rest.find_first_of("/?"));
    if (std::count(authority.begin(), authority.end(), '@') > 1)
        return "the user name or password holds an unescaped '@': percent-encode it as %40";
    return {};
}

mongoc_uri_t* parse_uri(const std::string& uri, std::string& problem) {
    ensure_driver_initialized();  // its log handler, so the parser's warnings reach no terminal
    if (auto p = uri_text_problem(uri); !p.empty()) {
        problem = "not a valid MongoDB URI: " + p;
        return nullptr;
    }
    std::vector<std::string> warnings;
    bson_error_t error;
    mongoc_uri_t* parsed = nullptr;
    {
        auto& parse = uri_parse();
        const std::lock_guard lock(parse.one_at_a_time);
        parse.warnings = &warnings;
        parse.thread.store(std::this_thread::get_id());
        parsed = mongoc_uri_new_with_error(uri.c_str(), &error);
        parse.thread.store(std::thread::id{});
        parse.warnings = nullptr;
    }
    if (parsed == nullptr) {
        problem = redact_uri_secrets("not a valid MongoDB URI: " + std::string(error.message), uri);
        return nullptr;
    }
    for (const auto& w : warnings)
        if (w.starts_with("Unsupported URI option")) {
            problem = redact_uri_secrets("not a valid MongoDB URI: " + w, uri);
            mongoc_uri_destroy(parsed);
            return nullptr;
        }
    return parsed;
}

std::string uri_problem(const std::string& uri) {
    std::string problem;
    mongoc_uri_destroy(parse_uri(uri, problem));
    return problem;
}

std::string endpoint_of(const mongoc_uri_t* uri) {
    if (const char* srv = mongoc_uri_get_srv_hostname(uri)) return srv;
    std::string out;
    for (const auto* h = mongoc_uri_get_hosts(uri); h != nullptr; h = h->next) {
        if (!out.empty()) out += ',';
        out += h->host_and_port;
    }
    return out.empty() ? "(no host)" : out;
}

bool is_transient_server_code(std::uint32_t code) {
    // HostUnreachable, HostNotFound, NetworkTimeout, ShutdownInProgress, PrimarySteppedDown,
    // ExceededTimeLimit, SocketException, NotWritablePrimary, InterruptedAtShutdown,
    // InterruptedDueToReplStateChange, NotPrimaryNoSecondaryOk, NotPrimaryOrSecondary,
    // MaxTimeMSExpired, LockBusy, WriteConflict, StaleConfig, StaleEpoch, LockTimeout.
    static constexpr std::array<std::uint32_t, 18> codes = {6,     7,     89,    91, 189, 262, 9001,  10107, 11600,
                                                            11602, 13435, 13436, 50, 46,  112, 13388, 150,   24};
    return std::find(codes.begin(), codes.end(), code) != codes.end();
}

sdk::Status classify_error(const bson_error_t& error, const std::string& prefix) {
    const std::string text = prefix + ": " + error.message;
    switch (error.domain) {
        case MONGOC_ERROR_STREAM:
        case MONGOC_ERROR_SERVER_SELECTION:
        case MONGOC_ERROR_WRITE_CONCERN:
            return sdk::Status::retry(text);
        case MONGOC_ERROR_CLIENT:
            if (error.code == MONGOC_ERROR_CLIENT_AUTHENTICATE)
                return sdk::Status::fatal(prefix + ": authentication failed: " + error.message);
            if (error.code == MONGOC_ERROR_CLIENT_NO_ACCEPTABLE_PEER || error.code == MONGOC_ERROR_CLIENT_IN_EXHAUST)
                return sdk::Status::retry(text);
            return sdk::Status::fatal(text);
        case MONGOC_ERROR_SERVER:
        case MONGOC_ERROR_QUERY:
        case MONGOC_ERROR_COMMAND:
            if (error.code == 18 || error.code == 13)  // AuthenticationFailed, Unauthorized
                return sdk::Status::fatal(prefix + ": not authorized: " + error.message);
            if (is_transient_server_code(error.code)) return sdk::Status::retry(text);
            return sdk::Status::fatal(text);
        default:
            return sdk::Status::fatal(text);
    }
}

sdk::Status Client::create(const CommonConfig& config, sdk::Logger& log, std::unique_ptr<Client>& out) {
    std::string problem;
    mongoc_uri_t* uri = parse_uri(config.uri, problem);
    if (uri == nullptr) return sdk::Status::fatal("mongodb: uri: " + problem);
    const auto ms = static_cast<std::int32_t>(config.timeout.count());
    mongoc_uri_set_option_as_int32(uri, MONGOC_URI_SERVERSELECTIONTIMEOUTMS, ms);
    mongoc_uri_set_option_as_int32(uri, MONGOC_URI_CONNECTTIMEOUTMS, ms);
    mongoc_uri_set_option_as_int32(uri, MONGOC_URI_SOCKETTIMEOUTMS, ms);
    // The pool's monitor re-checks a lost server every heartbeat (10 s by default), and
    // the engine's retries cannot reconnect sooner than that; 1 s gets a restarted server
    // back within one backoff step. A URI that sets it explicitly wins.
    if (!mongoc_uri_has_option(uri, MONGOC_URI_HEARTBEATFREQUENCYMS))
        mongoc_uri_set_option_as_int32(uri, MONGOC_URI_HEARTBEATFREQUENCYMS, 1000);
    std::string endpoint = endpoint_of(uri);
    bson_error_t error;
    mongoc_client_pool_t* pool = mongoc_client_pool_new_with_error(uri, &error);
    mongoc_uri_destroy(uri);
    if (pool == nullptr)
        return sdk::Status::fatal(
            redact_uri_secrets("mongodb " + endpoint + ": cannot create a client: " + error.message, config.uri));
    mongoc_client_pool_set_error_api(pool, MONGOC_ERROR_API_VERSION_2);
    mongoc_client_pool_set_appname(pool, "junction");
    out.reset(new Client(config, log, pool, std::move(endpoint)));
    return sdk::Status::ok();
}

Client::Client(const CommonConfig& config, sdk::Logger& log, mongoc_client_pool_t* pool, std::string endpoint)
    : config_(config),
      log_(log),
      pool_(pool),
      uri_text_(config.uri),
      endpoint_(std::move(endpoint)),
      prefix_("mongodb " + endpoint_) {}

Client::~Client() {
    mongoc_client_pool_destroy(pool_);
}

sdk::Status Client::status_of(const bson_error_t& error, std::string_view what) const {
    bson_error_t copy = error;
    const std::string redacted =
        redact(what.empty() ? std::string(error.message) : std::string(what) + ": " + error.message);
    bson_strncpy(copy.message, redacted.c_str(), sizeof copy.message);
    return classify_error(copy, prefix_);
}

sdk::Status Client::ping() {
    Lease lease(*this);
    bson_t command = BSON_INITIALIZER;
    BSON_APPEND_INT32(&command, "ping", 1);
    bson_error_t error;
    const bool ok = mongoc_client_command_simple(lease.client(), "admin", &command, nullptr, nullptr, &error);
    bson_destroy(&command);
    return ok ? sdk::Status::ok() : status_of(error, "ping");
}

Client::Lease::Lease(Client& owner)
    : owner_(owner),
      client_(mongoc_client_pool_pop(owner.pool_)),
      collection_(
          mongoc_client_get_collection(client_, owner.config_.database.c_str(), owner.config_.collection.c_str())),
      previous_(current_client) {
    current_client = &owner_;
}

Client::Lease::~Lease() {
    current_client = previous_;
    mongoc_collection_destroy(collection_);
    mongoc_client_pool_push(owner_.pool_, client_);
}

std::string index_name(const std::vector<std::string>& keys) {
    std::string name;
    for (const auto& k : keys)
        name += (name.empty() ? "" : "_") + k + "_1";
    return name;
}

sdk::Status Client::ensure_unique_index(mongoc_collection_t* collection, const std::string& collection_name,
                                        const std::vector<std::string>& key_fields) {
    bson_t keys = BSON_INITIALIZER;
    for (const auto& k : key_fields)
        BSON_APPEND_INT32(&keys, k.c_str(), 1);
    const std::string name = index_name(key_fields);
    bson_t command = BSON_INITIALIZER;
    bson_t indexes;
    bson_t index;
    BSON_APPEND_UTF8(&command, "createIndexes", collection_name.c_str());
    BSON_APPEND_ARRAY_BEGIN(&command, "indexes", &indexes);
    BSON_APPEND_DOCUMENT_BEGIN(&indexes, "0", &index);
    BSON_APPEND_DOCUMENT(&index, "key", &keys);
    BSON_APPEND_UTF8(&index, "name", name.c_str());
    BSON_APPEND_BOOL(&index, "unique", true);
    bson_append_document_end(&indexes, &index);
    bson_append_array_end(&command, &indexes);
    bson_error_t error;
    const bool ok = mongoc_collection_write_command_with_opts(collection, &command, nullptr, nullptr, &error);
    bson_destroy(&command);
    bson_destroy(&keys);
    if (ok) return sdk::Status::ok();
    if (error.domain == MONGOC_ERROR_SERVER && error.code == 85) {  // same keys, another name: already unique or not
        log().warn(prefix() + ": an index on " + name + " exists under another name (" + redact(error.message) +
                   "); make sure it is unique");
        return sdk::Status::ok();
    }
    if (error.domain == MONGOC_ERROR_SERVER && (error.code == 11000 || error.code == 86)) {
        return sdk::Status::fatal(prefix() + ": cannot create the unique index " + name + " on " +
                                  config_.database + "." + collection_name + ": " + redact(error.message));
    }
    return status_of(error, "create index " + name);
}

}  // namespace junction::mongodb
