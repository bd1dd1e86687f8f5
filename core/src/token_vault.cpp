// Token encryption at rest: see token_vault.hpp.
#include "junction/core/token_vault.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <utility>

#include "junction/core/state_store.hpp"
#include "services/encoding.hpp"

namespace junction::core {

namespace {

namespace fs = std::filesystem;

constexpr std::string_view prefix = "v1:";
constexpr std::size_t nonce_size = 12;
constexpr std::size_t tag_size = 16;
constexpr std::string_view scope = "connections";

[[noreturn]] void fail(const fs::path& file, const std::string& what) {
    throw std::runtime_error("token key file " + file.string() + ": " + what);
}

std::string sys_error() {
    return std::strerror(errno);
}

class Fd {
public:
    explicit Fd(int fd) : fd_(fd) {}
    ~Fd() {
        if (fd_ >= 0) ::close(fd_);
    }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    [[nodiscard]] int get() const { return fd_; }

private:
    int fd_;
};

// Nothing when the file does not exist.
std::optional<TokenKey> read_key(const fs::path& file) {
    const Fd fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (fd.get() < 0) {
        if (errno == ENOENT) return std::nullopt;
        fail(file, "cannot be opened (" + sys_error() + ")");
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) fail(file, "cannot be read (" + sys_error() + ")");
    if (!S_ISREG(st.st_mode)) fail(file, "is not a regular file: point JUNCTION_TOKEN_KEY_FILE at the key file");
    if ((st.st_mode & 077) != 0) {
        char mode[8];
        std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
        fail(file, std::string("has mode ") + mode + ", readable by others: run chmod 600 " + file.string());
    }
    TokenKey key{};
    if (st.st_size != static_cast<off_t>(key.size()))
        fail(file, "holds " + std::to_string(st.st_size) + " bytes, not " + std::to_string(key.size()) +
                       ": restore the key file backed up with the state store, or remove it to start with a new "
                       "key (the stored refresh tokens are then lost and the config's are used)");
    std::size_t got = 0;
    while (got < key.size()) {
        const auto n = ::read(fd.get(), key.data() + got, key.size() - got);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) fail(file, "cannot be read (" + (n < 0 ? sys_error() : std::string("short file")) + ")");
        got += static_cast<std::size_t>(n);
    }
    return key;
}

void random_bytes(unsigned char* out, std::size_t n) {
    if (RAND_bytes(out, static_cast<int>(n)) != 1) throw std::runtime_error("OpenSSL cannot generate random bytes");
}

void write_new_key(const fs::path& tmp) {
    TokenKey key{};
    random_bytes(key.data(), key.size());
    const Fd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (fd.get() < 0) fail(tmp, "cannot be created (" + sys_error() + ")");
    std::size_t done = 0;
    while (done < key.size()) {
        const auto n = ::write(fd.get(), key.data() + done, key.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) fail(tmp, "cannot be written (" + sys_error() + ")");
        done += static_cast<std::size_t>(n);
    }
    if (::fsync(fd.get()) != 0) fail(tmp, "cannot be synced (" + sys_error() + ")");
}

struct CipherCtx {
    CipherCtx() : ctx(EVP_CIPHER_CTX_new()) {
        if (ctx == nullptr) throw std::runtime_error("OpenSSL cannot allocate a cipher context");
    }
    ~CipherCtx() { EVP_CIPHER_CTX_free(ctx); }
    CipherCtx(const CipherCtx&) = delete;
    CipherCtx& operator=(const CipherCtx&) = delete;
    EVP_CIPHER_CTX* ctx;
};

const unsigned char* bytes(std::string_view s) {
    return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace

fs::path token_key_file(const fs::path& state_file) {
    if (const char* env = std::getenv("JUNCTION_TOKEN_KEY_FILE"); env != nullptr && *env != '\0') return env;
    return fs::path(state_file.string() + ".key");
}

TokenKey load_or_create_token_key(const fs::path& file) {
    if (auto key = read_key(file)) return *key;
    // Written whole under a name of its own, then linked into place without overwriting:
    // of two processes creating it at once, one link wins and both read the winner's key.
    unsigned char tag[8];
    random_bytes(tag, sizeof tag);
    std::string suffix = ".tmp-" + std::to_string(::getpid()) + "-";
    for (const auto b : tag)
        suffix += "0123456789abcdef"[b >> 4], suffix += "0123456789abcdef"[b & 15];
    const fs::path tmp(file.string() + suffix);
    try {
        write_new_key(tmp);
        if (::link(tmp.c_str(), file.c_str()) != 0 && errno != EEXIST)
            fail(file, "cannot be created (" + sys_error() + ")");
    } catch (...) {
        ::unlink(tmp.c_str());
        throw;
    }
    ::unlink(tmp.c_str());
    const auto dir = file.has_parent_path() ? file.parent_path() : fs::path(".");
    if (const Fd d(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)); d.get() >= 0) ::fsync(d.get());
    if (auto key = read_key(file)) return *key;
    fail(file, "vanished right after it was created");
}

std::string seal_token(const TokenKey& key, std::string_view connection, std::string_view token) {
    std::string raw(nonce_size + token.size() + tag_size, '\0');
    auto* out = reinterpret_cast<unsigned char*>(raw.data());
    random_bytes(out, nonce_size);
    CipherCtx c;
    int len = 0;
    if (EVP_EncryptInit_ex(c.ctx, EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
        EVP_CIPHER_CTX_ctrl(c.ctx, EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(nonce_size), nullptr) != 1 ||
        EVP_EncryptInit_ex(c.ctx, nullptr, nullptr, key.data(), out) != 1 ||
        EVP_EncryptUpdate(c.ctx, nullptr, &len, bytes(connection), static_cast<int>(connection.size())) != 1 ||
        EVP_EncryptUpdate(c.ctx, out + nonce_size, &len, bytes(token), static_cast<int>(token.size())) != 1 ||
        EVP_EncryptFinal_ex(c.ctx, out + nonce_size + len, &len) != 1 ||
        EVP_CIPHER_CTX_ctrl(c.ctx, EVP_CTRL_GCM_GET_TAG, static_cast<int>(tag_size), out + nonce_size + token.size()) !=
            1)
        throw std::runtime_error("OpenSSL cannot encrypt the refresh token of connection " + std::string(connection));
    return std::string(prefix) + services::detail::base64(raw);
}

std::optional<std::string> open_token(const TokenKey& key, std::string_view connection, std::string_view sealed) {
    if (!sealed.starts_with(prefix)) return std::nullopt;
    const auto raw = services::detail::base64_decode(sealed.substr(prefix.size()));
    if (!raw || raw->size() < nonce_size + tag_size) return std::nullopt;
    const auto* in = bytes(*raw);
    const auto size = raw->size() - nonce_size - tag_size;
    std::string token(size, '\0');
    auto* out = reinterpret_cast<unsigned char*>(token.data());
    CipherCtx c;
    int len = 0;
    // The tag is only read, whatever OpenSSL's signature says.
    auto* tag = const_cast<unsigned char*>(in + nonce_size + size);
    if (EVP_DecryptInit_ex(c.ctx, EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
        EVP_CIPHER_CTX_ctrl(c.ctx, EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(nonce_size), nullptr) != 1 ||
        EVP_DecryptInit_ex(c.ctx, nullptr, nullptr, key.data(), in) != 1 ||
        EVP_DecryptUpdate(c.ctx, nullptr, &len, bytes(connection), static_cast<int>(connection.size())) != 1 ||
        EVP_DecryptUpdate(c.ctx, out, &len, in + nonce_size, static_cast<int>(size)) != 1 ||
        EVP_CIPHER_CTX_ctrl(c.ctx, EVP_CTRL_GCM_SET_TAG, static_cast<int>(tag_size), tag) != 1 ||
        EVP_DecryptFinal_ex(c.ctx, out + len, &len) != 1)
        return std::nullopt;
    return token;
}

EncryptedTokenStore::EncryptedTokenStore(StateStore& store, fs::path key_file)
    : store_(store), key_file_(std::move(key_file)), key_(load_or_create_token_key(key_file_)) {}

std::optional<std::string> EncryptedTokenStore::get(std::string_view connection) {
    auto stored = store_.kv_get(scope, connection);
    if (!stored || stored->empty()) return stored;
    if (!std::string_view(*stored).starts_with(prefix)) {
        // Plain text from an older release: encrypted at once. Should that fail, it is still
        // used; the next rotation stores its successor encrypted.
        try {
            put(connection, *stored);
        } catch (const std::exception&) {
        }
        return stored;
    }
    if (auto token = open_token(key_, connection, *stored)) return token;
    throw services::StoredTokenUnreadable("the stored refresh token of connection " + std::string(connection) +
                                          " cannot be decrypted with " + key_file_.string() + " (key changed or lost)");
}

void EncryptedTokenStore::put(std::string_view connection, std::string_view refresh_token) {
    store_.kv_put(scope, connection, seal_token(key_, connection, refresh_token));
}

}  // namespace junction::core
