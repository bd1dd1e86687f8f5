// SHA-256 (OpenSSL's EVP) and lower-case hex: API keys are kept as their hash, served
// pages get an ETag from theirs, and a submission's identity in substance is the hash of
// its canonical form.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

namespace junction::core {

using Sha256 = std::array<unsigned char, 32>;

Sha256 sha256(std::string_view data);

// The first `bytes` bytes (all by default) as lower-case hex.
std::string hex(const Sha256& digest, std::size_t bytes = 32);

}  // namespace junction::core
