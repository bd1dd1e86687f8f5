// One HTTP exchange on libcurl, and the handles that make the next one cheap.
//
// Reuse: curl does not support one connection cache shared by concurrent threads
// (CURLSHOPT_SHARE's CURL_LOCK_DATA_CONNECT), so a thread borrows a whole CurlSession (an
// easy handle in a multi handle of its own, whose cache keeps the connections it opened)
// from a pool keyed by origin; DNS answers and TLS sessions, which curl does share safely
// under locks, live in one CurlShare for the process.
//
// Stop: the transfer is driven through the multi handle with short polls, so a stop
// request aborts it within ~50 ms (curl_easy_perform's progress callback may wait a
// second between calls while the server is silent).
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <curl/curl.h>

#include <junction/sdk/services.hpp>

namespace junction::services::detail {

class CurlShare {
public:
    CurlShare();
    ~CurlShare();
    CurlShare(const CurlShare&) = delete;
    CurlShare& operator=(const CurlShare&) = delete;
    [[nodiscard]] CURLSH* get() const noexcept { return share_; }

private:
    static void lock(CURL*, curl_lock_data data, curl_lock_access, void* self) noexcept;
    static void unlock(CURL*, curl_lock_data data, void* self) noexcept;

    CURLSH* share_ = nullptr;
    std::array<std::mutex, CURL_LOCK_DATA_LAST> mutexes_;
};

struct TransferSpec {
    std::string method;
    std::string url;  // as sent (credentials in the query included)
    std::vector<sdk::HttpHeader> headers;
    const std::string* body = nullptr;  // nullptr: none
    std::chrono::milliseconds timeout{30000};
    std::chrono::milliseconds connect_timeout{10000};
    std::size_t max_body_bytes = 0;
    std::string user_agent;
    std::string ca_file;  // empty: the system's bundle
    const std::function<bool()>* stop = nullptr;
};

struct TransferResult {
    CURLcode code = CURLE_OK;
    bool stopped = false;    // the stop signal aborted it
    bool too_large = false;  // the body passed max_body_bytes
    long status = 0;
    std::vector<sdk::HttpHeader> headers;  // the last response's only (not interim ones)
    std::string body;
    std::string redirect_url;  // where a 3xx points, resolved against the request URL
    std::string error;         // curl's description of a transport failure
};

class CurlSession {
public:
    explicit CurlSession(CURLSH* share);
    ~CurlSession();
    CurlSession(const CurlSession&) = delete;
    CurlSession& operator=(const CurlSession&) = delete;

    // One request/response, redirects not followed (the caller decides what crosses origins).
    [[nodiscard]] TransferResult perform(const TransferSpec& spec);

private:
    void configure(const TransferSpec& spec, curl_slist* headers, char* error_buffer);

    CURLSH* share_;
    CURLM* multi_ = nullptr;
    CURL* easy_ = nullptr;
};

// Idle sessions by origin, most recently used first, so a thread gets the handle whose
// connection to that host is warmest.
class SessionPool {
public:
    SessionPool(CURLSH* share, std::size_t max_idle_per_origin) : share_(share), max_idle_(max_idle_per_origin) {}

    class Lease {
    public:
        Lease(SessionPool& pool, std::string origin, std::unique_ptr<CurlSession> session)
            : pool_(&pool), origin_(std::move(origin)), session_(std::move(session)) {}
        ~Lease() { pool_->give_back(origin_, std::move(session_)); }
        Lease(const Lease&) = delete;
        Lease& operator=(const Lease&) = delete;
        CurlSession* operator->() const noexcept { return session_.get(); }

    private:
        SessionPool* pool_;
        std::string origin_;
        std::unique_ptr<CurlSession> session_;
    };

    [[nodiscard]] Lease take(const std::string& origin);

private:
    void give_back(const std::string& origin, std::unique_ptr<CurlSession> session) noexcept;

    CURLSH* share_;
    std::size_t max_idle_;
    std::mutex mutex_;
    std::map<std::string, std::vector<std::unique_ptr<CurlSession>>, std::less<>> idle_;
};

}  // namespace junction::services::detail
