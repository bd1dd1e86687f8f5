// The text encodings credentials and forms need: Base64 (HTTP Basic) and percent-encoding
// (query parameters, application/x-www-form-urlencoded bodies).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace junction::services::detail {

// Standard alphabet, padded (RFC 4648 section 4), as HTTP Basic wants it.
[[nodiscard]] std::string base64(std::string_view data);
// The bytes of padded standard Base64; nothing when `text` is not exactly that.
[[nodiscard]] std::optional<std::string> base64_decode(std::string_view text);

// Every byte but RFC 3986's unreserved ones as %XX, so a value can never end a parameter.
[[nodiscard]] std::string percent_encode(std::string_view text);

// name=value&name=value, each side percent-encoded.
[[nodiscard]] std::string form_encode(const std::vector<std::pair<std::string, std::string>>& fields);

// Every occurrence of each secret in `text` replaced by "***" (defence in depth for text
// that comes from a library, such as curl's error buffer).
[[nodiscard]] std::string scrub(std::string text, const std::vector<std::string>& secrets);

}  // namespace junction::services::detail
