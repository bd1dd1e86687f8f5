// A collection: a store's documents served read-only (since SDK 2.3, Kind::collection).
// The host's HTTP server serves one as REST (`GET /contacts?limit=50&after=...&email=x`,
// `GET /contacts/{id}`) without naming the plugin that reads the store.
//
// Lifecycle of an instance (the host opens one per server worker, or serializes calls):
//   1. open(context) once, with options validated against the component's declared
//      schema. Connect, check the store is reachable; a non-ok status means the
//      collection cannot be served (fatal: config; retry: the store is down for now).
//   2. list() and get(), repeatedly, from one thread at a time (never concurrently on
//      one instance; several instances may run at once on the same store, each from its
//      own thread). Each call is short: no transaction or lock is held between calls,
//      so a pipeline's writer keeps writing to the same store while it is served.
//   3. close() once, also after a failed open().
// Statuses of list() and get():
//   - ok: `out` holds the answer (an empty page, or nullopt, is ok).
//   - reject: the request is bad, e.g. an `after` cursor this collection did not produce
//     (the host answers 400 with the message, which names what is wrong, not the store).
//   - retry: the store is unreachable or busy for now (server down, lock timeout); the
//     host answers 503 and the next call tries again (reconnecting as needed).
//   - fatal: a broken store or plugin (the host answers 500 and logs the line).
// Exceptions must not escape; the SDK's glue turns them into fatal.
//
// Documents and ids: each document has an id, a string (docstore: its `_id`; mongodb:
// its `_id`, an ObjectId rendered as 24 lowercase hex digits or a string as it is).
// Items carry their id as `_id` in that rendering (the host may project it out).
// Pages are ordered by id ascending, in the store's order for ids (keyset pagination:
// the cursor holds the last id returned, never an offset, so documents written between
// two pages are neither skipped nor repeated, except those inserted before the cursor).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/config.hpp>
#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "components.hpp"
#include "status.hpp"

namespace junction::sdk {

// One equality filter: the document's field at `field` (a dotted path into nested
// objects, e.g. "address.city") equals `value` (a string, number, bool or null; of the
// same JSON type: "5" never equals 5). A missing field equals null.
struct FieldEquals {
    std::string field;
    boost::json::value value;
};

struct CollectionQuery {
    std::vector<FieldEquals> equals{};  // all must hold; none: every document
    std::string after{};                // next_after of the previous page; "": the first page
    std::size_t limit = 50;           // at least 1; the host caps it
};

struct CollectionPage {
    std::vector<boost::json::object> items;  // at most limit, by id ascending
    std::string next_after;                  // the cursor of the next page; "": this was the last
};

class BOOST_SYMBOL_VISIBLE Collection : public Component {
public:
    [[nodiscard]] Kind kind() const noexcept final { return Kind::collection; }
    // One page of the documents matching every filter of q, after q.after. Whether a next
    // page exists is known without another round trip (read limit + 1): next_after is
    // set only when more documents match. A cursor not produced by this collection:
    // reject. Fills `out` from empty.
    virtual Status list(const CollectionQuery& q, CollectionPage& out) = 0;
    // The document with this id, or nullopt when there is none (an id that cannot exist,
    // e.g. not an ObjectId's hex where only those are stored, is also nullopt).
    virtual Status get(std::string_view id, std::optional<boost::json::object>& out) = 0;
};

// Cursors a plugin can hand out and recognize again: `key` (the last id, in whatever
// form the plugin needs) in hex, then a checksum over `scope` (e.g. the collection's
// name) and the key. decode_cursor gives nullopt for text it did not make with the same
// scope: one edited by hand, truncated, or from another collection. It catches mistakes,
// not forgeries (a forged cursor only moves where a page starts).
namespace detail {
inline std::uint32_t cursor_check(std::string_view scope, std::string_view key) noexcept {
    std::uint32_t h = 2166136261u;  // FNV-1a
    const auto mix = [&h](std::string_view s) {
        for (const char c : s) {
            h ^= static_cast<unsigned char>(c);
            h *= 16777619u;
        }
    };
    mix(scope);
    mix(std::string_view("\0", 1));
    mix(key);
    return h;
}
}  // namespace detail

inline std::string encode_cursor(std::string_view scope, std::string_view key) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.reserve(key.size() * 2 + 9);
    for (const char c : key) {
        const auto b = static_cast<unsigned char>(c);
        out += digits[b >> 4];
        out += digits[b & 0xF];
    }
    out += '.';
    const auto h = detail::cursor_check(scope, key);
    for (int shift = 28; shift >= 0; shift -= 4)
        out += digits[(h >> shift) & 0xF];
    return out;
}

inline std::optional<std::string> decode_cursor(std::string_view scope, std::string_view cursor) {
    const auto dot = cursor.find('.');
    if (dot == std::string_view::npos || dot % 2 != 0 || cursor.size() - dot - 1 != 8) return std::nullopt;
    const auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        return -1;
    };
    std::string key;
    key.reserve(dot / 2);
    for (std::size_t i = 0; i < dot; i += 2) {
        const int hi = nibble(cursor[i]), lo = nibble(cursor[i + 1]);
        if (hi < 0 || lo < 0) return std::nullopt;
        key += static_cast<char>((hi << 4) | lo);
    }
    std::uint32_t check = 0;
    for (std::size_t i = dot + 1; i < cursor.size(); ++i) {
        const int n = nibble(cursor[i]);
        if (n < 0) return std::nullopt;
        check = (check << 4) | static_cast<std::uint32_t>(n);
    }
    if (check != detail::cursor_check(scope, key)) return std::nullopt;
    return key;
}

}  // namespace junction::sdk
