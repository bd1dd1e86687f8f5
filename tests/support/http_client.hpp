// A blocking HTTP client for tests (libcurl): one call, the status, headers and body.
#pragma once

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace junction::test {

struct HttpReply {
    long status = 0;  // 0: no answer (connection refused, timeout)
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
    std::string error;                                         // curl's, when status is 0

    [[nodiscard]] std::optional<std::string> header(const std::string& lower_name) const {
        for (const auto& [k, v] : headers)
            if (k == lower_name) return v;
        return std::nullopt;
    }
};

// Percent-encodes all but RFC 3986's unreserved characters (a query parameter's value).
inline std::string url_encode(const std::string& s) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (const unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

inline HttpReply http_call(const std::string& method, const std::string& url,
                           const std::vector<std::string>& headers = {}, const std::string& body = {},
                           long timeout_ms = 10000, const std::string& ca_file = {}) {
    HttpReply reply;
    CURL* c = curl_easy_init();
    if (c == nullptr) throw std::runtime_error("curl_easy_init failed");
    curl_slist* list = nullptr;
    for (const auto& h : headers)
        list = curl_slist_append(list, h.c_str());
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
    if (method == "HEAD") curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    if (!body.empty() || method == "POST") {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.c_str());
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (!ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, ca_file.c_str());  // https: trust this CA only
    curl_easy_setopt(
        c, CURLOPT_WRITEFUNCTION, +[](char* p, size_t s, size_t n, void* ud) {
            static_cast<std::string*>(ud)->append(p, s * n);
            return s * n;
        });
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &reply.body);
    curl_easy_setopt(
        c, CURLOPT_HEADERFUNCTION, +[](char* p, size_t s, size_t n, void* ud) {
            std::string line(p, s * n);
            const auto colon = line.find(':');
            if (colon != std::string::npos) {
                std::string name = line.substr(0, colon);
                std::transform(name.begin(), name.end(), name.begin(),
                               [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
                std::string value = line.substr(colon + 1);
                value.erase(0, value.find_first_not_of(" \t"));
                while (!value.empty() && (value.back() == '\r' || value.back() == '\n'))
                    value.pop_back();
                static_cast<HttpReply*>(ud)->headers.emplace_back(std::move(name), std::move(value));
            }
            return s * n;
        });
    curl_easy_setopt(c, CURLOPT_HEADERDATA, &reply);
    const auto rc = curl_easy_perform(c);
    if (rc == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply.status);
    else
        reply.error = curl_easy_strerror(rc);
    curl_slist_free_all(list);
    curl_easy_cleanup(c);
    return reply;
}

}  // namespace junction::test
