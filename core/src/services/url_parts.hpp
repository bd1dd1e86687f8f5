// A request URL parsed by curl's own URL parser, the one the transfer uses, so what we
// validate, redact, compare and send can never disagree (no parser differential).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <curl/curl.h>

namespace junction::services::detail {

class Url {
public:
    // An absolute http(s) URL, or nothing with `error` saying why (never quoting the URL,
    // which may hold a secret in its query or userinfo).
    [[nodiscard]] static std::optional<Url> parse(std::string_view text, std::string& error);

    // scheme://host[:port]/path: what messages and log lines show. No userinfo, no query,
    // no fragment.
    [[nodiscard]] std::string redacted() const;
    // scheme://host:port with the port always given: the unit of connection reuse and the
    // scope credentials are attached in.
    [[nodiscard]] std::string origin() const;
    // The whole URL as sent.
    [[nodiscard]] std::string text() const;
    [[nodiscard]] std::string query() const;

    // Appends name=value (both percent-encoded) to the query.
    void append_query(std::string_view name, std::string_view value);

    Url(const Url& other);
    Url& operator=(const Url& other);
    Url(Url&&) noexcept = default;
    Url& operator=(Url&&) noexcept = default;
    ~Url() = default;

private:
    struct Free {
        void operator()(CURLU* u) const noexcept { curl_url_cleanup(u); }
    };
    explicit Url(CURLU* handle) : handle_(handle) {}
    [[nodiscard]] std::string part(CURLUPart which, unsigned flags = 0) const;

    std::unique_ptr<CURLU, Free> handle_;
};

}  // namespace junction::services::detail
