#include <junction/services/connection_config.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <sstream>
#include <utility>

namespace junction::services {

namespace {

using sdk::OptionSpec;

std::string number_text(double d) {
    std::ostringstream out;
    out << d;
    return out.str();
}
using sdk::OptionType;

OptionSpec type_option(std::string_view type) {
    return {.name = "type",
            .type = OptionType::string,
            .required = true,
            .allowed = {std::string(type)},
            .description =
                "The kind of credentials: api_key, bearer, basic, oauth2, or none (an open API, for a "
                "rate limit alone)."};
}

// Any connection's client-side budget, shared by every pipeline that names it.
OptionSpec rate_limit_option() {
    return {.name = "rate_limit",
            .type = OptionType::object,
            .description =
                "A client-side budget shared by every pipeline on this connection: requests_per_second "
                "(a token bucket holding burst requests) and max_concurrent requests in flight.",
            .fields = {{.name = "requests_per_second",
                        .type = OptionType::number,
                        .description = "Requests per second, on average (> 0; 0.5 is one every two seconds)."},
                       {.name = "burst",
                        .type = OptionType::integer,
                        .min = 1,
                        .max = 100000,
                        .description = "Requests at once after a quiet spell (default: requests_per_second, at "
                                       "least 1)."},
                       {.name = "max_concurrent",
                        .type = OptionType::integer,
                        .min = 1,
                        .max = 10000,
                        .description = "Requests in flight at once, across every pipeline on the connection."}}};
}

sdk::OptionSchema with_rate_limit(sdk::OptionSchema schema) {
    schema.push_back(rate_limit_option());
    return schema;
}

sdk::OptionSchema none_schema() {
    return {type_option("none")};
}

sdk::OptionSchema api_key_schema() {
    return {type_option("api_key"),
            {.name = "key",
             .type = OptionType::string,
             .required = true,
             .min = 1,
             .description = "The API key.",
             .secret = true},
            {.name = "header",
             .type = OptionType::string,
             .default_value = "X-API-Key",
             .pattern = "[!#$%&'*+.^_`|~0-9A-Za-z-]+",
             .description = "The header that carries the key (unused when query_param is set)."},
            {.name = "query_param",
             .type = OptionType::string,
             .pattern = "[^&=#]+",
             .description = "Send the key as this query parameter instead of a header."},
            {.name = "prefix",
             .type = OptionType::string,
             .description = "Written before the key with one space, e.g. \"Token\" sends \"Token <key>\"."}};
}

sdk::OptionSchema bearer_schema() {
    return {type_option("bearer"),
            {.name = "token",
             .type = OptionType::string,
             .required = true,
             .min = 1,
             .description = "The token, sent as \"Authorization: Bearer <token>\".",
             .secret = true}};
}

sdk::OptionSchema basic_schema() {
    return {type_option("basic"),
            {.name = "username",
             .type = OptionType::string,
             .required = true,
             .pattern = "[^:]*",
             .description = "The user name (no colon, as HTTP Basic requires)."},
            {.name = "password",
             .type = OptionType::string,
             .required = true,
             .description = "The password.",
             .secret = true}};
}

sdk::OptionSchema oauth2_schema() {
    return {type_option("oauth2"),
            {.name = "token_url",
             .type = OptionType::string,
             .required = true,
             .pattern = "https?://.+",
             .description = "The authorization server's token endpoint."},
            {.name = "client_id",
             .type = OptionType::string,
             .required = true,
             .min = 1,
             .description = "The client's identifier."},
            {.name = "client_secret",
             .type = OptionType::string,
             .required = true,
             .description = "The client's secret.",
             .secret = true},
            {.name = "refresh_token",
             .type = OptionType::string,
             .description = "A refresh token: use the refresh_token grant (a rotated one is stored and preferred "
                            "over this one). Without it: the client_credentials grant.",
             .secret = true},
            {.name = "scopes", .type = OptionType::string_list, .description = "The scopes to ask for."},
            {.name = "audience",
             .type = OptionType::string,
             .description = "The audience parameter some servers want (Auth0, Okta)."},
            {.name = "auth_style",
             .type = OptionType::string,
             .default_value = "body",
             .allowed = {"body", "header"},
             .description = "How the client authenticates to the token endpoint: client_id and client_secret in "
                            "the form body, or an HTTP Basic header."},
            {.name = "refresh_before_s",
             .type = OptionType::integer,
             .default_value = 60,
             .min = 0,
             .max = 86400,
             .description = "Renew the access token this many seconds before it expires."}};
}

}  // namespace

const std::vector<std::string>& connection_types() {
    static const std::vector<std::string> types{"api_key", "bearer", "basic", "oauth2", "none"};
    return types;
}

std::optional<sdk::OptionSchema> connection_schema(std::string_view type) {
    if (type == "api_key") return with_rate_limit(api_key_schema());
    if (type == "bearer") return with_rate_limit(bearer_schema());
    if (type == "basic") return with_rate_limit(basic_schema());
    if (type == "oauth2") return with_rate_limit(oauth2_schema());
    if (type == "none") return with_rate_limit(none_schema());
    return std::nullopt;
}

sdk::Status parse_connection(std::string_view name, const sdk::Options& options, ConnectionConfig& out) {
    out.name = std::string(name);
    const auto type = options.get_string("type");
    if (type == "api_key") {
        ApiKeyConnection c{.key = options.get_string("key"),
                           .header = options.get_string("header", "X-API-Key"),
                           .query_param = options.get_string("query_param"),
                           .prefix = options.get_string("prefix")};
        if (c.key.empty()) return sdk::Status::fatal("connection " + out.name + ": the api_key needs a key");
        out.settings = std::move(c);
    } else if (type == "bearer") {
        out.settings = BearerConnection{.token = options.get_string("token")};
    } else if (type == "basic") {
        out.settings =
            BasicConnection{.username = options.get_string("username"), .password = options.get_string("password")};
    } else if (type == "oauth2") {
        OAuth2Connection c{.token_url = options.get_string("token_url"),
                           .client_id = options.get_string("client_id"),
                           .client_secret = options.get_string("client_secret"),
                           .refresh_token = options.get_string("refresh_token"),
                           .scopes = options.get_strings("scopes"),
                           .audience = options.get_string("audience"),
                           .auth_style = options.get_string("auth_style", "body") == "header" ? ClientAuthStyle::header
                                                                                              : ClientAuthStyle::body,
                           .refresh_before = std::chrono::seconds(options.get_int("refresh_before_s", 60))};
        if (c.token_url.empty() || c.client_id.empty())
            return sdk::Status::fatal("connection " + out.name + ": oauth2 needs token_url and client_id");
        out.settings = std::move(c);
    } else if (type == "none") {
        out.settings = NoneConnection{};
    } else {
        std::string known;
        for (const auto& t : connection_types())
            known += (known.empty() ? "" : ", ") + t;
        return sdk::Status::fatal("connection " + out.name + ": unknown type '" + type + "' (one of " + known + ")");
    }
    if (options.has("rate_limit")) {
        if (const auto problems = connection_problems(options); !problems.empty())
            return sdk::Status::fatal("connection " + out.name + ": " + problems.front().path + ": " +
                                      problems.front().message);
        const auto rl = options.child("rate_limit");
        auto& limit = out.rate_limit;
        limit.requests_per_second =
            rl.has("requests_per_second") ? rl.get("requests_per_second").to_number<double>() : 0;
        limit.burst = static_cast<double>(rl.get_int(
            "burst", std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(limit.requests_per_second)))));
        limit.max_concurrent = static_cast<std::size_t>(rl.get_int("max_concurrent", 0));
    }
    return sdk::Status::ok();
}

std::vector<ConnectionProblem> connection_problems(const sdk::Options& options) {
    std::vector<ConnectionProblem> out;
    if (!options.has("rate_limit")) return out;
    const auto rl = options.child("rate_limit");
    const bool has_rate = rl.has("requests_per_second");
    if (has_rate) {
        const auto rps = rl.get("requests_per_second").to_number<double>();
        if (!(rps > 0) || !std::isfinite(rps))
            out.push_back({"rate_limit.requests_per_second", "must be > 0, got " + number_text(rps)});
    }
    if (rl.has("burst") && !has_rate)
        out.push_back({"rate_limit.burst", "needs rate_limit.requests_per_second (a burst of what rate?)"});
    if (!has_rate && !rl.has("max_concurrent"))
        out.push_back({"rate_limit", "give requests_per_second, max_concurrent or both"});
    return out;
}

}  // namespace junction::services
