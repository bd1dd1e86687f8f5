// The OAuth2 token endpoint exchange (RFC 6749 sections 4.4 and 6): the form a grant
// sends, and what the answer means for the connection, in words that name the connection
// and the OAuth2 error code, never a secret.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <junction/sdk/services.hpp>
#include <junction/services/connection_config.hpp>

namespace junction::services::detail {

struct TokenGrant {
    std::string access_token;
    std::optional<std::chrono::seconds> expires_in;
    std::string refresh_token;  // a rotated one; empty when the server kept the old one
    std::string error;          // the OAuth2 error code of a refusal ("invalid_grant")
};

// The refresh_token grant with `refresh_token`, or client_credentials when it is empty.
[[nodiscard]] sdk::HttpRequest token_request(const OAuth2Connection& connection, const std::string& refresh_token);

// `sent` and `response` are the HttpService's answer to token_request(). ok: `out` holds
// the grant. retry: the endpoint is unreachable or busy. fatal: it refused the client or
// the grant, or answered something that is not a token.
[[nodiscard]] sdk::Status read_token_response(std::string_view connection, const sdk::Status& sent,
                                              const sdk::HttpResponse& response, bool used_refresh_token,
                                              TokenGrant& out);

}  // namespace junction::services::detail
