// The server's API keys: read once at start from the environment or a file, kept only
// as SHA-256 hashes, and matched in constant time.
#pragma once

#include <array>
#include <string>
#include <string_view>
#include <vector>

#include <junction/core/config.hpp>

#include "http_config.hpp"

namespace junction::http {

struct ApiKey {
    std::string id;
    std::array<unsigned char, 32> hash{};
    Scope scope = Scope::read;
};

class ApiKeyring {
public:
    // Reads every key; a key that is unset, unreadable, in a file others can read, or
    // shorter than min_length is one error under its config path (never its value).
    static ApiKeyring load(const std::vector<ApiKeyConfig>& keys, const core::EnvLookup& env,
                           std::vector<core::ConfigError>& errors);
    // For tests and the fuzz target.
    void add(std::string id, std::string_view key, Scope scope);

    // The key presented, or nullptr. Compares against every key's hash whatever matches
    // first, so the time taken does not tell which key (or which prefix) was close.
    [[nodiscard]] const ApiKey* find(std::string_view presented) const;
    [[nodiscard]] bool empty() const noexcept { return keys_.empty(); }
    [[nodiscard]] const std::vector<ApiKey>& keys() const noexcept { return keys_; }

    static constexpr std::size_t min_length = 16;

private:
    std::vector<ApiKey> keys_;
};

}  // namespace junction::http
