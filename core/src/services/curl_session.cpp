#include "curl_session.hpp"

#include <new>
#include <string_view>
#include <utility>

namespace junction::services::detail {

namespace {

constexpr long poll_interval_ms = 50;  // the stop signal's latency during a silent transfer

struct Sink {
    TransferResult* result;
    std::size_t max_body;
};

std::size_t on_body(char* data, std::size_t size, std::size_t count, void* user) noexcept {
    auto& sink = *static_cast<Sink*>(user);
    const std::size_t n = size * count;
    if (sink.result->body.size() + n > sink.max_body) {
        sink.result->too_large = true;
        return 0;  // curl ends the transfer with CURLE_WRITE_ERROR
    }
    try {
        sink.result->body.append(data, n);
    } catch (...) {
        return 0;
    }
    return n;
}

std::size_t on_header(char* data, std::size_t size, std::size_t count, void* user) noexcept {
    auto& sink = *static_cast<Sink*>(user);
    const std::size_t n = size * count;
    std::string_view line(data, n);
    while (!line.empty() && (line.back() == '\r' || line.back() == '\n'))
        line.remove_suffix(1);
    try {
        // Each status line starts a new header block (a redirect's, a 100 Continue, a
        // proxy's CONNECT answer); the caller gets the last block only.
        if (line.starts_with("HTTP/")) {
            sink.result->headers.clear();
        } else if (const auto colon = line.find(':'); colon != std::string_view::npos && colon > 0) {
            auto value = line.substr(colon + 1);
            while (!value.empty() && (value.front() == ' ' || value.front() == '\t'))
                value.remove_prefix(1);
            while (!value.empty() && (value.back() == ' ' || value.back() == '\t'))
                value.remove_suffix(1);
            sink.result->headers.push_back({std::string(line.substr(0, colon)), std::string(value)});
        }
    } catch (...) {
        return 0;
    }
    return n;
}

struct SlistFree {
    void operator()(curl_slist* list) const noexcept { curl_slist_free_all(list); }
};
using Slist = std::unique_ptr<curl_slist, SlistFree>;

Slist header_list(const std::vector<sdk::HttpHeader>& headers) {
    Slist list;
    const auto add = [&list](const std::string& line) {
        curl_slist* next = curl_slist_append(list.get(), line.c_str());
        if (next == nullptr) throw std::bad_alloc();
        (void)list.release();
        list.reset(next);
    };
    for (const auto& h : headers)
        add(h.value.empty() ? h.name + ";" : h.name + ": " + h.value);  // "Name;" sends it empty
    // No "Expect: 100-continue" round trip (a second's stall on servers that ignore it).
    add("Expect:");
    return list;
}

}  // namespace

CurlShare::CurlShare() : share_(curl_share_init()) {
    if (share_ == nullptr) throw std::bad_alloc();
    curl_share_setopt(share_, CURLSHOPT_LOCKFUNC, &CurlShare::lock);
    curl_share_setopt(share_, CURLSHOPT_UNLOCKFUNC, &CurlShare::unlock);
    curl_share_setopt(share_, CURLSHOPT_USERDATA, this);
    curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
    curl_share_setopt(share_, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
}

CurlShare::~CurlShare() {
    curl_share_cleanup(share_);
}

void CurlShare::lock(CURL*, curl_lock_data data, curl_lock_access, void* self) noexcept {
    static_cast<CurlShare*>(self)->mutexes_[static_cast<std::size_t>(data)].lock();
}

void CurlShare::unlock(CURL*, curl_lock_data data, void* self) noexcept {
    static_cast<CurlShare*>(self)->mutexes_[static_cast<std::size_t>(data)].unlock();
}

CurlSession::CurlSession(CURLSH* share) : share_(share), multi_(curl_multi_init()), easy_(curl_easy_init()) {
    if (multi_ == nullptr || easy_ == nullptr) {
        if (easy_ != nullptr) curl_easy_cleanup(easy_);
        if (multi_ != nullptr) curl_multi_cleanup(multi_);
        throw std::bad_alloc();
    }
}

CurlSession::~CurlSession() {
    curl_easy_cleanup(easy_);
    curl_multi_cleanup(multi_);  // closes the cached connections
}

void CurlSession::configure(const TransferSpec& spec, curl_slist* headers, char* error_buffer) {
    curl_easy_setopt(easy_, CURLOPT_URL, spec.url.c_str());
    curl_easy_setopt(easy_, CURLOPT_SHARE, share_);
    curl_easy_setopt(easy_, CURLOPT_NOSIGNAL, 1L);  // many threads: no SIGALRM for DNS timeouts
    curl_easy_setopt(easy_, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(easy_, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(easy_, CURLOPT_ACCEPT_ENCODING, "");  // every encoding this libcurl decodes
    curl_easy_setopt(easy_, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(easy_, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!spec.ca_file.empty()) curl_easy_setopt(easy_, CURLOPT_CAINFO, spec.ca_file.c_str());
    curl_easy_setopt(easy_, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(easy_, CURLOPT_TIMEOUT_MS, static_cast<long>(spec.timeout.count()));
    curl_easy_setopt(easy_, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(spec.connect_timeout.count()));
    curl_easy_setopt(easy_, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(spec.max_body_bytes));
    if (!spec.user_agent.empty()) curl_easy_setopt(easy_, CURLOPT_USERAGENT, spec.user_agent.c_str());
    curl_easy_setopt(easy_, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(easy_, CURLOPT_ERRORBUFFER, error_buffer);

    if (spec.method == "GET" && spec.body == nullptr) {
        curl_easy_setopt(easy_, CURLOPT_HTTPGET, 1L);
    } else if (spec.method == "HEAD") {
        curl_easy_setopt(easy_, CURLOPT_NOBODY, 1L);
    } else {
        if (spec.body != nullptr) {
            curl_easy_setopt(easy_, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(spec.body->size()));
            curl_easy_setopt(easy_, CURLOPT_POSTFIELDS, spec.body->data());
        }
        if (spec.method != "POST") curl_easy_setopt(easy_, CURLOPT_CUSTOMREQUEST, spec.method.c_str());
    }
}

TransferResult CurlSession::perform(const TransferSpec& spec) {
    TransferResult result;
    const auto stop_requested = [&spec] { return spec.stop != nullptr && *spec.stop && (*spec.stop)(); };
    if (stop_requested()) {
        result.code = CURLE_ABORTED_BY_CALLBACK;
        result.stopped = true;
        return result;
    }
    const Slist headers = header_list(spec.headers);
    char error_buffer[CURL_ERROR_SIZE] = {};
    Sink sink{&result, spec.max_body_bytes};
    configure(spec, headers.get(), error_buffer);
    curl_easy_setopt(easy_, CURLOPT_WRITEFUNCTION, &on_body);
    curl_easy_setopt(easy_, CURLOPT_WRITEDATA, &sink);
    curl_easy_setopt(easy_, CURLOPT_HEADERFUNCTION, &on_header);
    curl_easy_setopt(easy_, CURLOPT_HEADERDATA, &sink);

    // Whatever happens below, the handle leaves the multi and forgets every pointer into
    // this frame (headers, buffers) before they die; its connections stay cached.
    struct Detach {
        CURLM* multi;
        CURL* easy;
        ~Detach() {
            curl_multi_remove_handle(multi, easy);
            curl_easy_reset(easy);
        }
    };
    if (const auto mc = curl_multi_add_handle(multi_, easy_); mc != CURLM_OK) {
        curl_easy_reset(easy_);
        result.code = CURLE_FAILED_INIT;
        result.error = curl_multi_strerror(mc);
        return result;
    }
    const Detach detach{multi_, easy_};

    CURLMcode mc = CURLM_OK;
    for (int running = 1;;) {
        mc = curl_multi_perform(multi_, &running);
        if (mc != CURLM_OK || running == 0) break;
        if (stop_requested()) {
            result.stopped = true;
            break;
        }
        mc = curl_multi_poll(multi_, nullptr, 0, poll_interval_ms, nullptr);
        if (mc != CURLM_OK) break;
    }

    bool done = false;
    int queued = 0;
    while (const CURLMsg* msg = curl_multi_info_read(multi_, &queued))
        if (msg->msg == CURLMSG_DONE && msg->easy_handle == easy_) {
            result.code = msg->data.result;
            done = true;
        }
    if (result.stopped) {
        result.code = CURLE_ABORTED_BY_CALLBACK;
        result.error = "stopped";
    } else if (mc != CURLM_OK) {
        result.code = CURLE_FAILED_INIT;
        result.error = curl_multi_strerror(mc);
    } else if (!done) {
        result.code = CURLE_GOT_NOTHING;
    }
    // Either our write callback or curl itself (a Content-Length above the maximum).
    if (result.too_large || result.code == CURLE_FILESIZE_EXCEEDED) {
        result.too_large = true;
        result.code = CURLE_FILESIZE_EXCEEDED;
    }
    curl_easy_getinfo(easy_, CURLINFO_RESPONSE_CODE, &result.status);
    if (char* location = nullptr; curl_easy_getinfo(easy_, CURLINFO_REDIRECT_URL, &location) == CURLE_OK && location)
        result.redirect_url = location;
    if (result.code != CURLE_OK && result.error.empty())
        result.error = error_buffer[0] != '\0' ? error_buffer : curl_easy_strerror(result.code);
    return result;
}

SessionPool::Lease SessionPool::take(const std::string& origin) {
    {
        const std::lock_guard lock(mutex_);
        if (const auto it = idle_.find(origin); it != idle_.end() && !it->second.empty()) {
            auto session = std::move(it->second.back());
            it->second.pop_back();
            return Lease(*this, origin, std::move(session));
        }
    }
    return Lease(*this, origin, std::make_unique<CurlSession>(share_));
}

void SessionPool::give_back(const std::string& origin, std::unique_ptr<CurlSession> session) noexcept {
    if (!session) return;
    try {
        const std::lock_guard lock(mutex_);
        auto& idle = idle_[origin];
        if (idle.size() < max_idle_) {
            idle.push_back(std::move(session));
            return;
        }
    } catch (...) {  // no room to keep it: it closes its connections below
    }
    session.reset();
}

}  // namespace junction::services::detail
