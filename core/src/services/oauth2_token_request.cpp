#include "oauth2_token_request.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <utility>
#include <vector>

#include <boost/json/parse.hpp>

#include "encoding.hpp"

namespace junction::services::detail {

namespace {

// The server's error code, kept only if it looks like one (RFC 6749 codes are short
// ASCII words), so a server's free text never reaches a message.
std::string error_code(const std::string& body) {
    boost::system::error_code ec;
    const auto json = boost::json::parse(body, ec);
    if (ec || !json.is_object()) return {};
    const auto* code = json.get_object().if_contains("error");
    if (code == nullptr || !code->is_string()) return {};
    const std::string text(code->get_string());
    const bool word = !text.empty() && text.size() <= 64 && std::all_of(text.begin(), text.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '-' || c == '.';
    });
    return word ? text : std::string();
}

std::optional<std::chrono::seconds> seconds_of(const boost::json::value* v) {
    if (v == nullptr) return std::nullopt;
    if (v->is_int64()) return std::chrono::seconds(std::max<std::int64_t>(v->get_int64(), 0));
    if (v->is_uint64())
        return std::chrono::seconds(static_cast<std::int64_t>(std::min<std::uint64_t>(v->get_uint64(), 1u << 30)));
    if (v->is_double()) return std::chrono::seconds(static_cast<std::int64_t>(std::clamp(v->get_double(), 0.0, 1e9)));
    if (v->is_string()) {  // some servers send "3600"
        const auto& s = v->get_string();
        std::int64_t n = 0;
        const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
        if (ec == std::errc() && end == s.data() + s.size() && n >= 0) return std::chrono::seconds(n);
    }
    return std::nullopt;
}

}  // namespace

sdk::HttpRequest token_request(const OAuth2Connection& connection, const std::string& refresh_token) {
    std::vector<std::pair<std::string, std::string>> form;
    if (refresh_token.empty()) {
        form.emplace_back("grant_type", "client_credentials");
    } else {
        form.emplace_back("grant_type", "refresh_token");
        form.emplace_back("refresh_token", refresh_token);
    }
    if (!connection.scopes.empty()) {
        std::string scope;
        for (const auto& s : connection.scopes)
            scope += (scope.empty() ? "" : " ") + s;
        form.emplace_back("scope", std::move(scope));
    }
    if (!connection.audience.empty()) form.emplace_back("audience", connection.audience);

    sdk::HttpRequest request{.method = "POST", .url = connection.token_url};
    request.headers.push_back({"Content-Type", "application/x-www-form-urlencoded"});
    request.headers.push_back({"Accept", "application/json"});
    if (connection.auth_style == ClientAuthStyle::header) {
        // RFC 6749 section 2.3.1: both form-encoded before they are joined, then Base64.
        request.headers.push_back({"Authorization", "Basic " + base64(percent_encode(connection.client_id) + ":" +
                                                                      percent_encode(connection.client_secret))});
    } else {
        form.emplace_back("client_id", connection.client_id);
        form.emplace_back("client_secret", connection.client_secret);
    }
    request.body = form_encode(form);
    request.timeout = std::chrono::seconds(30);
    request.max_attempts = 3;
    // Asking for a token twice is harmless (a rotated refresh token used twice is refused,
    // and the stored one is tried again), so a lost answer may be asked for again.
    request.extra["idempotent"] = true;
    return request;
}

sdk::Status read_token_response(std::string_view connection, const sdk::Status& sent, const sdk::HttpResponse& response,
                                bool used_refresh_token, TokenGrant& out) {
    const std::string who = "connection " + std::string(connection);
    if (sent.code() == sdk::Code::retry)
        return sdk::Status::retry(who + ": token endpoint: " + sent.message(), sent.retry_after());
    if (!sent.is_ok()) {
        if (response.status < 400 || response.status >= 500)
            return sdk::Status::fatal(who + ": token endpoint: " + sent.message());
        const auto code = error_code(response.body);
        out.error = code;
        if (code == "invalid_client")
            return sdk::Status::fatal(who +
                                      ": the token endpoint refused the client (invalid_client): check client_id "
                                      "and client_secret");
        if (code == "invalid_grant" && used_refresh_token)
            return sdk::Status::fatal(who +
                                      ": the token endpoint refused the refresh token (invalid_grant): it was "
                                      "revoked or has expired; authorize again and set a new refresh_token");
        if (!code.empty()) return sdk::Status::fatal(who + ": the token endpoint refused the request (" + code + ")");
        return sdk::Status::fatal(who + ": token endpoint: " + sent.message());
    }

    boost::system::error_code ec;
    const auto json = boost::json::parse(response.body, ec);
    const auto* object = !ec && json.is_object() ? &json.get_object() : nullptr;
    const auto* token = object != nullptr ? object->if_contains("access_token") : nullptr;
    if (token == nullptr || !token->is_string() || token->get_string().empty())
        return sdk::Status::fatal(who + ": the token endpoint answered " + std::to_string(response.status) +
                                  " without an access_token: is token_url right?");
    if (const auto* type = object->if_contains("token_type"); type != nullptr && type->is_string()) {
        std::string t(type->get_string());
        std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return std::tolower(c); });
        if (t != "bearer")
            return sdk::Status::fatal(who + ": the token endpoint issued a token of a type other than Bearer");
    }
    out.access_token = std::string(token->get_string());
    out.expires_in = seconds_of(object->if_contains("expires_in"));
    out.refresh_token.clear();
    if (const auto* rt = object->if_contains("refresh_token"); rt != nullptr && rt->is_string())
        out.refresh_token = std::string(rt->get_string());
    return sdk::Status::ok();
}

}  // namespace junction::services::detail
