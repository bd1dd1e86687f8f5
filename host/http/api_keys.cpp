#include "api_keys.hpp"

#include <sys/stat.h>

#include <fstream>
#include <sstream>

#include <openssl/crypto.h>
#include <junction/core/digest.hpp>

namespace junction::http {

namespace {

std::string trim(std::string s) {
    const auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) return {};
    const auto e = s.find_last_not_of(" \t\r\n");
    return s.substr(b, e - b + 1);
}

}  // namespace

ApiKeyring ApiKeyring::load(const std::vector<ApiKeyConfig>& keys, const core::EnvLookup& env,
                            std::vector<core::ConfigError>& errors) {
    ApiKeyring ring;
    for (const auto& k : keys) {
        std::string value;
        if (!k.env.empty()) {
            auto v = env(k.env);
            if (!v || v->empty()) {
                errors.push_back({k.path + ".key_env", "the environment variable " + k.env + " is not set"});
                continue;
            }
            value = trim(*v);
        } else if (!k.file.empty()) {
            struct stat st {};
            if (::stat(k.file.c_str(), &st) != 0) {
                errors.push_back({k.path + ".key_file", k.file.string() + ": no such file"});
                continue;
            }
            if ((st.st_mode & 077) != 0) {
                errors.push_back({k.path + ".key_file", k.file.string() +
                                                            ": readable by others (mode " +
                                                            [&] {
                                                                std::ostringstream m;
                                                                m << std::oct << (st.st_mode & 0777);
                                                                return m.str();
                                                            }() +
                                                            "): chmod 600 it"});
                continue;
            }
            std::ifstream in(k.file, std::ios::binary);
            std::ostringstream ss;
            if (!in || !(ss << in.rdbuf())) {
                errors.push_back({k.path + ".key_file", k.file.string() + ": cannot read it"});
                continue;
            }
            value = trim(ss.str());
        } else {
            continue;  // reported by the config parser
        }
        if (value.size() < min_length) {
            errors.push_back({k.path, "the key \"" + k.id + "\" is shorter than " + std::to_string(min_length) +
                                          " characters: use a random one, e.g. `openssl rand -hex 24`"});
            continue;
        }
        ring.add(k.id, value, k.scope);
    }
    return ring;
}

void ApiKeyring::add(std::string id, std::string_view key, Scope scope) {
    keys_.push_back({std::move(id), core::sha256(key), scope});
}

const ApiKey* ApiKeyring::find(std::string_view presented) const {
    if (presented.empty()) return nullptr;
    const auto h = core::sha256(presented);
    const ApiKey* found = nullptr;
    for (const auto& k : keys_)
        if (CRYPTO_memcmp(k.hash.data(), h.data(), h.size()) == 0 && found == nullptr) found = &k;
    return found;
}

}  // namespace junction::http
