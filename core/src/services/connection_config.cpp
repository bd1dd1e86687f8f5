#include <junction/services/connection_config.hpp>

#include <utility>

namespace junction::services {

namespace {

using sdk::OptionSpec;
using sdk::OptionType;

OptionSpec type_option(std::string_view type) {
    return {.name = "type",
            .type = OptionType::string,
            .required = true,
            .allowed = {std::string(type)},
            .description = "The kind of credentials: api_key, bearer, basic or oauth2."};
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
    static const std::vector<std::string> types{"api_key", "bearer", "basic", "oauth2"};
    return types;
}

std::optional<sdk::OptionSchema> connection_schema(std::string_view type) {
    if (type == "api_key") return api_key_schema();
    if (type == "bearer") return bearer_schema();
    if (type == "basic") return basic_schema();
    if (type == "oauth2") return oauth2_schema();
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
    } else {
        std::string known;
        for (const auto& t : connection_types())
            known += (known.empty() ? "" : ", ") + t;
        return sdk::Status::fatal("connection " + out.name + ": unknown type '" + type + "' (one of " + known + ")");
    }
    return sdk::Status::ok();
}

}  // namespace junction::services
