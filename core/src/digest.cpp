#include "junction/core/digest.hpp"

#include <stdexcept>

#include <openssl/evp.h>

namespace junction::core {

Sha256 sha256(std::string_view data) {
    Sha256 out{};
    unsigned int len = 0;
    if (EVP_Digest(data.data(), data.size(), out.data(), &len, EVP_sha256(), nullptr) != 1 || len != out.size())
        throw std::runtime_error("SHA-256 failed (OpenSSL)");
    return out;
}

std::string hex(const Sha256& digest, std::size_t bytes) {
    static constexpr char d[] = "0123456789abcdef";
    std::string out;
    for (std::size_t i = 0; i < bytes && i < digest.size(); ++i) {
        out += d[digest[i] >> 4];
        out += d[digest[i] & 0xF];
    }
    return out;
}

}  // namespace junction::core
