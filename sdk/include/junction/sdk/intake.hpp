// An intake (since 2.4, Kind::intake): the store behind one of the host's intake endpoints
// (POST /api/v1/submissions/{route}). The host does the HTTP side: it checks the payload
// against the route's JSON Schema and checks, computes the identity (a SHA-256 of the
// payload's canonical form in substance) and the request's fingerprint, and answers. The
// intake keeps each identity once, and stores the new submission, its identity and its
// outbox entry in ONE transaction, before the host answers 202: a relay pipeline (a
// reader over the outbox, e.g. the docstore reader with filter {"outbox": "pending"})
// then publishes it, and marks it published.
//
// Lifecycle of an instance (the host opens one per server worker, or serializes calls):
//   1. open(context) once, with options validated against the component's schema. Create
//      what the store needs (tables, indexes); a non-ok status means the route cannot take
//      submissions (fatal: config; retry: the store is down for now).
//   2. submit() and find(), repeatedly, from one thread at a time (never concurrently on one
//      instance; several instances may run at once on the same store, from their own
//      threads, and several processes too: the store's transaction is what serializes them).
//   3. close() once, also after a failed open().
// Statuses: ok; retry when the store is busy or unreachable for now (the host answers 503
// with Retry-After, and nothing was stored); fatal for a broken store (500, logged).
// Exceptions must not escape; the SDK's glue turns them into fatal.
//
// What submit() must do, in one transaction, in this order:
//   1. An idempotency key (s.idempotency_key not empty) stored after s.keys_expire_before:
//      with the same fingerprint, the answer is `replayed` with what the key's first request
//      got (id and whether it was a duplicate), and nothing else happens; with another
//      fingerprint, `key_reused`, and nothing else happens. Keys stored at or before
//      s.keys_expire_before count as absent (and may be deleted).
//   2. A submission with this identity already stored: `duplicate`, with its id.
//   3. Otherwise store the submission with a new id (unique in the store), its identity,
//      s.received_at and its outbox entry (pending, relayed in the order stored): `stored`.
//   4. With a key, store it with s.fingerprint, the id and whether the answer was a
//      duplicate, at s.received_at.
// Then commit, durably (the submission must survive a crash once submit() returned ok).
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <boost/config.hpp>
#include <boost/json/object.hpp>

#include "components.hpp"
#include "status.hpp"

namespace junction::sdk {

struct Submission {
    boost::json::object payload;  // the accepted body
    std::string identity;         // 64 lowercase hex digits: one stored submission per identity
    std::chrono::system_clock::time_point received_at{};
    std::string idempotency_key{};  // the Idempotency-Key header's value; "" when none
    std::string fingerprint{};      // the request's (64 hex digits), kept with the key
    std::chrono::system_clock::time_point keys_expire_before{};
};

enum class Admission : unsigned char {
    stored,     // a new submission (the host answers 202)
    duplicate,  // one with the same identity was stored before: `id` is its id (200)
    replayed,   // the key was used before with the same fingerprint: `id` and
                // `first_was_duplicate` are what the first request got (its answer again)
    key_reused  // the key was used before with another fingerprint (422); `id` is empty
};

struct Receipt {
    Admission admission = Admission::stored;
    std::string id{};
    bool first_was_duplicate = false;  // replayed only
};

// A stored submission as find() gives it.
struct StoredSubmission {
    std::string id;
    boost::json::object payload;
    std::string identity;
    std::chrono::system_clock::time_point received_at{};
    bool published = false;  // the relay marked its outbox entry published
    std::optional<std::chrono::system_clock::time_point> published_at{};
};

class BOOST_SYMBOL_VISIBLE Intake : public Component {
public:
    [[nodiscard]] Kind kind() const noexcept final { return Kind::intake; }
    // Steps 1-4 above in one durable transaction; fills `out`.
    virtual Status submit(const Submission& s, Receipt& out) = 0;
    // The submission with this id, or nullopt when there is none.
    virtual Status find(std::string_view id, std::optional<StoredSubmission>& out) = 0;
};

}  // namespace junction::sdk
