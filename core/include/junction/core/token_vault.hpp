// Rotated OAuth2 refresh tokens encrypted at rest: AES-256-GCM under a key file beside the
// state store, so a copy of the state file alone holds no usable credential.
#pragma once

#include <array>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include <junction/services/token_store.hpp>

namespace junction::core {

class StateStore;

using TokenKey = std::array<unsigned char, 32>;

// $JUNCTION_TOKEN_KEY_FILE when set, else `<state file>.key`.
[[nodiscard]] std::filesystem::path token_key_file(const std::filesystem::path& state_file);

// The key in `file`, created (32 random bytes, mode 0600, fsynced) when absent. Two
// processes creating it at once end with the same key. Throws one line naming the file
// and the fix when it has another size or a mode wider than 0600.
[[nodiscard]] TokenKey load_or_create_token_key(const std::filesystem::path& file);

// "v1:" + base64(nonce || ciphertext || tag), the connection name as associated data so
// a value cannot be moved to another connection.
[[nodiscard]] std::string seal_token(const TokenKey& key, std::string_view connection, std::string_view token);
// Nothing when `sealed` was not sealed by this key for this connection.
[[nodiscard]] std::optional<std::string> open_token(const TokenKey& key, std::string_view connection,
                                                    std::string_view sealed);

// The state store's "connections" scope, each value sealed. A value without the "v1:"
// prefix (stored in plain text by an older release) is used and sealed again at once.
class EncryptedTokenStore final : public services::TokenStore {
public:
    // Loads (or creates) the key now, so a bad key file is refused at start.
    EncryptedTokenStore(StateStore& store, std::filesystem::path key_file);
    std::optional<std::string> get(std::string_view connection) override;
    void put(std::string_view connection, std::string_view refresh_token) override;

private:
    StateStore& store_;
    std::filesystem::path key_file_;
    TokenKey key_;
};

}  // namespace junction::core
