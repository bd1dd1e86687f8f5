// The intake contract (sdk/intake.hpp), as doctest template cases every store's intake runs
// (the docstore's and the mongodb plugin's): the four admissions, keys that expire, find(),
// and one identity stored once when eight instances submit it at once.
//
// A backend is a type with:
//   static constexpr const char* name;
//   std::unique_ptr<sdk::Intake> make_intake();
//   std::unique_ptr<sdk::testing::TestContext> context();  // the same store every call
// Include it in one test file per backend, then:
//   TEST_CASE_TEMPLATE_INVOKE(intake_contract, MyBackend);
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>
#include <junction/sdk/testing.hpp>

namespace junction::test::intake_contract {

namespace sdk = junction::sdk;
using namespace std::chrono_literals;

inline const auto t0 = std::chrono::system_clock::time_point(std::chrono::seconds(1798000000));

// A 64-hex-digit identity from a short name (the host's is a SHA-256).
inline std::string identity(const std::string& name) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string hex;
    for (const char c : name) {
        hex += digits[(static_cast<unsigned char>(c) >> 4) & 0xF];
        hex += digits[static_cast<unsigned char>(c) & 0xF];
    }
    return hex + std::string(64 - hex.size(), '0');
}

// A submission of `name` (its identity), with a key whose window is an hour.
inline sdk::Submission submission(const std::string& name, const std::string& key = "",
                                  const std::string& fingerprint = "f1, as the host computes it",
                                  std::chrono::system_clock::time_point at = t0) {
    return {.payload = {{"name", "formula " + name},
                        {"materials", boost::json::array{boost::json::object{{"concentration", 15.5}}}}},
            .identity = identity(name),
            .received_at = at,
            .idempotency_key = key,
            .fingerprint = fingerprint,
            .keys_expire_before = at - 1h};
}

// An opened intake of the backend's store.
template <class Backend>
struct Opened {
    std::unique_ptr<sdk::testing::TestContext> context;
    std::unique_ptr<sdk::Intake> intake;
    explicit Opened(Backend& b) : context(b.context()), intake(b.make_intake()) {
        const auto st = intake->open(*context);
        REQUIRE_MESSAGE(st.is_ok(), st.message());
    }
    ~Opened() { (void)intake->close(); }
    sdk::Receipt submit(const sdk::Submission& s) {
        sdk::Receipt r;
        const auto st = intake->submit(s, r);
        REQUIRE_MESSAGE(st.is_ok(), st.message());
        return r;
    }
    std::optional<sdk::StoredSubmission> find(const std::string& id) {
        std::optional<sdk::StoredSubmission> out;
        REQUIRE(intake->find(id, out).is_ok());
        return out;
    }
};

TEST_CASE_TEMPLATE_DEFINE("intake contract", Backend, intake_contract) {
    Backend b;
    const std::string backend = Backend::name;
    CAPTURE(backend);

    SUBCASE("stored once per identity; a key replays its first answer; another body with it is key_reused") {
        Opened<Backend> o(b);
        const auto a = o.submit(submission("a", "k1"));
        CHECK(a.admission == sdk::Admission::stored);
        CHECK_FALSE(a.id.empty());
        const auto dup = o.submit(submission("a"));
        CHECK(dup.admission == sdk::Admission::duplicate);
        CHECK(dup.id == a.id);
        const auto replay = o.submit(submission("a", "k1"));
        CHECK(replay.admission == sdk::Admission::replayed);
        CHECK(replay.id == a.id);
        CHECK_FALSE(replay.first_was_duplicate);
        const auto reused = o.submit(submission("b", "k1", "another body"));
        CHECK(reused.admission == sdk::Admission::key_reused);
        CHECK(reused.id.empty());
        // A key first used for a duplicate replays the duplicate.
        CHECK(o.submit(submission("a", "k2")).admission == sdk::Admission::duplicate);
        const auto dup_replay = o.submit(submission("a", "k2"));
        CHECK(dup_replay.admission == sdk::Admission::replayed);
        CHECK(dup_replay.first_was_duplicate);
        // The key_reused request stored nothing: b is new.
        CHECK(o.submit(submission("b")).admission == sdk::Admission::stored);

        const auto found = o.find(a.id);
        REQUIRE(found);
        CHECK(found->id == a.id);
        CHECK(found->payload.at("name") == "formula a");
        CHECK(found->payload.at("materials").at(0).at("concentration") == 15.5);
        CHECK(found->identity == identity("a"));
        CHECK(found->received_at == t0);
        CHECK_FALSE(found->published);
        CHECK_FALSE(o.find("000000000000000000000000"));
        CHECK_FALSE(o.find("not an id"));
    }

    SUBCASE("an idempotency key is forgotten once older than the window") {
        Opened<Backend> o(b);
        CHECK(o.submit(submission("a", "k", "f1", t0)).admission == sdk::Admission::stored);
        CHECK(o.submit(submission("a", "k", "f1", t0 + 30min)).admission == sdk::Admission::replayed);
        // Two hours on: a new key, so the request is judged by its identity (a duplicate),
        // and another body with it is stored, not refused.
        CHECK(o.submit(submission("a", "k", "f1", t0 + 2h)).admission == sdk::Admission::duplicate);
        CHECK(o.submit(submission("c", "k", "f3", t0 + 4h)).admission == sdk::Admission::stored);
    }

    SUBCASE("eight instances submitting one identity at once store it once, and all get its id") {
        std::vector<std::string> ids(8);
        std::vector<sdk::Admission> admissions(8);
        std::atomic<int> ready{0};
        std::vector<std::thread> threads;
        for (int i = 0; i < 8; ++i)
            threads.emplace_back([&, i] {
                Opened<Backend> o(b);
                ++ready;
                while (ready < 8)
                    std::this_thread::yield();
                const auto r = o.submit(submission("same"));
                ids[static_cast<std::size_t>(i)] = r.id;
                admissions[static_cast<std::size_t>(i)] = r.admission;
            });
        for (auto& t : threads)
            t.join();
        CHECK(std::count(admissions.begin(), admissions.end(), sdk::Admission::stored) == 1);
        CHECK(std::count(admissions.begin(), admissions.end(), sdk::Admission::duplicate) == 7);
        CHECK(std::set<std::string>(ids.begin(), ids.end()).size() == 1);
    }
}

}  // namespace junction::test::intake_contract
