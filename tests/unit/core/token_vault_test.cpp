// Refresh tokens encrypted at rest in a real SQLite state store in a fresh temp folder:
// round trip, no token in the state file's bytes, values bound to their connection, a
// replaced key refused without a secret, plain text from an older release migrated, and
// the key file's creation (mode 0600, refused when wider, one key for two racing processes).
#include <doctest/doctest.h>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include <junction/core/host_services.hpp>
#include <junction/core/state_store.hpp>
#include <junction/core/token_vault.hpp>

#include "temp_dir.hpp"

namespace fs = std::filesystem;
using namespace junction;
using junction::core::EncryptedTokenStore;
using junction::core::StateStore;
using junction::test::TempDir;

namespace {

constexpr const char* token = "rt-vault-s3cret-0123456789";

std::string read_file(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void write_file(const fs::path& p, const std::string& bytes) {
    std::ofstream(p, std::ios::binary | std::ios::trunc) << bytes;
}

std::string what_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const std::exception& e) {
        return e.what();
    }
    return "(nothing thrown)";
}

struct Fixture {
    TempDir dir;
    fs::path state = dir / "state.db";
    fs::path key = dir / "state.db.key";
    std::unique_ptr<StateStore> store = StateStore::open(state);
};

}  // namespace

TEST_CASE("a stored refresh token reads back as put") {
    Fixture f;
    EncryptedTokenStore tokens(*f.store, f.key);
    CHECK_FALSE(tokens.get("hubspot").has_value());
    tokens.put("hubspot", token);
    CHECK(tokens.get("hubspot") == std::string(token));
    tokens.put("hubspot", "rt-next");
    CHECK(tokens.get("hubspot") == std::string("rt-next"));
    // A new store on the same files (a restart) reads it too.
    EncryptedTokenStore again(*f.store, f.key);
    CHECK(again.get("hubspot") == std::string("rt-next"));
}

TEST_CASE("after a put the state file's bytes hold no token, only a v1: value") {
    Fixture f;
    EncryptedTokenStore tokens(*f.store, f.key);
    tokens.put("hubspot", token);
    const auto stored = f.store->kv_get("connections", "hubspot");
    REQUIRE(stored.has_value());
    CHECK(stored->starts_with("v1:"));
    CHECK(stored->find(token) == std::string::npos);
    // Two puts of one token differ: a fresh nonce each time.
    tokens.put("hubspot", token);
    CHECK(f.store->kv_get("connections", "hubspot") != stored);
    const auto bytes = read_file(f.state) + read_file(fs::path(f.state.string() + "-wal"));
    CHECK(bytes.find("hubspot") != std::string::npos);  // the file was read: the key is there
    CHECK(bytes.find(token) == std::string::npos);
    f.store.reset();  // closed: the WAL checkpointed into the file
    CHECK(read_file(f.state).find(token) == std::string::npos);
}

TEST_CASE("a value stored for connection A cannot be read as connection B") {
    Fixture f;
    EncryptedTokenStore tokens(*f.store, f.key);
    tokens.put("a", token);
    f.store->kv_put("connections", "b", *f.store->kv_get("connections", "a"));
    CHECK(tokens.get("a") == std::string(token));
    const auto what = what_of([&] { (void)tokens.get("b"); });
    CHECK(what == "the stored refresh token of connection b cannot be decrypted with " + f.key.string() +
                      " (key changed or lost)");
    CHECK_THROWS_AS((void)tokens.get("b"), services::StoredTokenUnreadable);
}

TEST_CASE("a replaced key file makes the stored token unreadable, with a line naming it and no secret") {
    Fixture f;
    {
        EncryptedTokenStore tokens(*f.store, f.key);
        tokens.put("hubspot", token);
    }
    fs::remove(f.key);  // lost; a new one is created
    EncryptedTokenStore tokens(*f.store, f.key);
    std::string what;
    try {
        (void)tokens.get("hubspot");
    } catch (const services::StoredTokenUnreadable& e) {
        what = e.what();
    }
    CHECK(what == "the stored refresh token of connection hubspot cannot be decrypted with " + f.key.string() +
                      " (key changed or lost)");
    CHECK(what.find(token) == std::string::npos);
    // Left stored until the next rotation: putting the old key back would recover it.
    CHECK(f.store->kv_get("connections", "hubspot")->starts_with("v1:"));
}

TEST_CASE("a damaged stored value is unreadable, not a crash") {
    Fixture f;
    EncryptedTokenStore tokens(*f.store, f.key);
    for (const std::string& bad : std::vector<std::string>{"v1:", "v1:!!!!", "v1:AAAA", "v1:" + std::string(40, 'A')}) {
        f.store->kv_put("connections", "hubspot", bad);
        CHECK_THROWS_AS((void)tokens.get("hubspot"), services::StoredTokenUnreadable);
    }
}

TEST_CASE("a plain-text refresh token from an older release is used and stored encrypted at once") {
    Fixture f;
    f.store->kv_put("connections", "hubspot", token);
    EncryptedTokenStore tokens(*f.store, f.key);
    CHECK(tokens.get("hubspot") == std::string(token));
    const auto stored = f.store->kv_get("connections", "hubspot");
    REQUIRE(stored.has_value());
    CHECK(stored->starts_with("v1:"));
    CHECK(stored->find(token) == std::string::npos);
    CHECK(tokens.get("hubspot") == std::string(token));
}

TEST_CASE("the key file is created with 32 bytes and mode 0600, and kept") {
    Fixture f;
    CHECK_FALSE(fs::exists(f.key));
    const auto key = core::load_or_create_token_key(f.key);
    struct stat st {};
    REQUIRE(::stat(f.key.c_str(), &st) == 0);
    CHECK((st.st_mode & 07777) == 0600);
    CHECK(st.st_size == 32);
    CHECK(core::load_or_create_token_key(f.key) == key);
    // No temporary file left beside it.
    for (const auto& e : fs::directory_iterator(f.dir.path()))
        CHECK(e.path().filename().string().find(".tmp-") == std::string::npos);
}

TEST_CASE("a key file readable by others or of the wrong size is refused with one line naming it and the fix") {
    Fixture f;
    (void)core::load_or_create_token_key(f.key);
    fs::permissions(f.key, fs::perms(0644));
    auto what = what_of([&] { (void)core::load_or_create_token_key(f.key); });
    CHECK(what ==
          "token key file " + f.key.string() + ": has mode 0644, readable by others: run chmod 600 " + f.key.string());
    // The host refuses it at start, for a connection that keeps refresh tokens.
    services::OAuth2Connection oauth{
        .token_url = "http://127.0.0.1:1/token", .client_id = "id", .client_secret = "secret", .refresh_token = token};
    what =
        what_of([&] { core::HostServices services({{.name = "hubspot", .settings = oauth}}, f.store.get(), f.key); });
    CHECK(what.starts_with("token key file " + f.key.string() + ": has mode 0644"));

    fs::permissions(f.key, fs::perms(0600));
    write_file(f.key, "short");
    what = what_of([&] { (void)core::load_or_create_token_key(f.key); });
    CHECK(what.starts_with("token key file " + f.key.string() + ": holds 5 bytes, not 32: restore the key file"));
    CHECK(what.find('\n') == std::string::npos);
}

TEST_CASE("no key file is created when no connection keeps a refresh token") {
    Fixture f;
    services::OAuth2Connection client_credentials{
        .token_url = "http://127.0.0.1:1/token", .client_id = "id", .client_secret = "secret"};
    core::HostServices services({{.name = "crm", .settings = client_credentials}}, f.store.get(), f.key);
    CHECK_FALSE(fs::exists(f.key));
}

TEST_CASE("JUNCTION_TOKEN_KEY_FILE names the key file, else it sits beside the state file") {
    ::unsetenv("JUNCTION_TOKEN_KEY_FILE");
    CHECK(core::token_key_file("/var/lib/junction/state.db") == fs::path("/var/lib/junction/state.db.key"));
    ::setenv("JUNCTION_TOKEN_KEY_FILE", "/etc/junction/token.key", 1);
    CHECK(core::token_key_file("/var/lib/junction/state.db") == fs::path("/etc/junction/token.key"));
    ::unsetenv("JUNCTION_TOKEN_KEY_FILE");
}

TEST_CASE("two processes creating the key file at once end with the same key") {
    TempDir dir;
    for (int round = 0; round < 20; ++round) {
        const auto file = dir / ("race-" + std::to_string(round) + ".key");
        int go[2];
        REQUIRE(::pipe(go) == 0);
        std::vector<std::pair<pid_t, int>> children;
        for (int i = 0; i < 2; ++i) {
            int out[2];
            REQUIRE(::pipe(out) == 0);
            const pid_t pid = ::fork();
            REQUIRE(pid >= 0);
            if (pid == 0) {
                ::close(go[1]);
                char c;
                (void)::read(go[0], &c, 1);  // both start when the parent closes the pipe
                try {
                    const auto key = core::load_or_create_token_key(file);
                    (void)!::write(out[1], key.data(), key.size());
                } catch (...) {
                    ::_exit(1);
                }
                ::_exit(0);
            }
            ::close(out[1]);
            children.emplace_back(pid, out[0]);
        }
        ::close(go[0]);
        ::close(go[1]);
        std::vector<std::string> keys;
        for (const auto& [pid, fd] : children) {
            std::string key(32, '\0');
            std::size_t got = 0;
            for (ssize_t n = 0; got < key.size() && (n = ::read(fd, key.data() + got, key.size() - got)) > 0;)
                got += static_cast<std::size_t>(n);
            ::close(fd);
            int status = 0;
            ::waitpid(pid, &status, 0);
            CHECK(WIFEXITED(status));
            CHECK(WEXITSTATUS(status) == 0);
            CHECK(got == key.size());
            keys.push_back(key);
        }
        const auto mine = core::load_or_create_token_key(file);
        CHECK(keys[0] == keys[1]);
        CHECK(keys[0] == std::string(mine.begin(), mine.end()));
    }
    // Only the key files: every temporary one was removed.
    for (const auto& e : fs::directory_iterator(dir.path()))
        CHECK(e.path().extension() == ".key");
}
