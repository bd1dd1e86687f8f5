// Work-order sync (SPEC.md section 1, the GitHub issue "Work-order sync") through the
// `junction` binary on MongoDB: examples/workorders/sync-mongodb.json, unchanged, against
// our MongoDB-wire test server (tests/servers/mongo-server.mjs) on 127.0.0.1. BSON types
// are checked with the server's own $type queries in the dump config.
#include "mongo_server.hpp"
#include "workorders_fixture.hpp"

using namespace junction::test;
using namespace junction::test::workorders;

namespace {

// One server for the tests that do not stop it; each set-up has its own database.
MongoServer& shared_server() {
    static MongoServer server;
    return server;
}

std::size_t count(const Sync& s, const std::string& filter) {
    return s.dump(filter).size();
}

}  // namespace

TEST_SUITE("work-order sync on MongoDB") {
    TEST_CASE("inbound creates, then updates in place, and delivering the same files again changes nothing") {
        Sync s(Store::mongodb, shared_server().uri());
        inbound_creates_updates_and_is_idempotent(s);
        // Dates are BSON dates, not strings (and the $type query does tell them apart).
        CHECK(count(s, R"({"createdAt": {"$type": "date"}, "updatedAt": {"$type": "date"},
                           "syncedAt": {"$type": "date"}})") == 3);
        CHECK(count(s, R"({"createdAt": {"$type": "string"}})") == 0);
        CHECK(count(s, R"({"title": {"$type": "date"}})") == 0);
        CHECK(count(s, R"({"title": {"$type": "string"}})") == 3);
        // _id is the server's ObjectId (24 hex digits in the dump), not a string.
        CHECK(count(s, R"({"_id": {"$type": "string"}})") == 0);
        for (const auto& [n, d] : s.documents())
            CHECK(str_of(d, "_id").size() == 24);
    }

    TEST_CASE("a crash after the inbound write and before the files move replays them without duplicates") {
        Sync s(Store::mongodb, shared_server().uri());
        inbound_crash_before_ack_replays_without_duplicates(s);
    }

    TEST_CASE(
        "outbound writes one customer file per unsynced order, marks it synced, and never echoes inbound "
        "orders") {
        Sync s(Store::mongodb, shared_server().uri());
        outbound_writes_each_unsynced_order_once(s);
        CHECK(count(s, R"({"syncedAt": {"$type": "date"}, "isSynced": true})") == 11);
    }

    TEST_CASE(
        "a crash between the outbound file write and the mark leaves the order unsynced; the next run "
        "re-sends and marks it") {
        Sync s(Store::mongodb, shared_server().uri());
        outbound_crash_before_mark_resends(s);
        CHECK(count(s, R"({"syncedAt": {"$type": "date"}})") == 5);
    }

    TEST_CASE(
        "corrupted, mistyped, incomplete and unreadable files are quarantined with a reason; the others "
        "go through") {
        Sync s(Store::mongodb, shared_server().uri());
        bad_files_are_set_aside_and_the_rest_goes_on(s);
    }

    TEST_CASE("a quarantined file corrected and sent again under the same name is read again") {
        Sync s(Store::mongodb, shared_server().uri());
        corrected_file_sent_again_is_read(s);
    }

    TEST_CASE("an empty inbound folder is an ok run that reads nothing") {
        Sync s(Store::mongodb, shared_server().uri());
        empty_inbound_folder_is_a_quiet_ok_run(s);
    }

    TEST_CASE("three thousand inbound files all arrive") {
        Sync s(Store::mongodb, shared_server().uri());
        thousands_of_files_all_arrive(s, 3000);
    }

    TEST_CASE("dates in -03:00, +05:30 and Z are stored as UTC BSON dates") {
        Sync s(Store::mongodb, shared_server().uri());
        dates_are_normalized_to_utc(s);
        CHECK(count(s, R"({"createdAt": {"$type": "date"}, "updatedAt": {"$type": "date"}})") == 4);
        CHECK(count(s, R"({"deletedAt": {"$type": "date"}})") == 1);
        CHECK(count(s, R"({"deletedAt": null})") == 3);
    }

    TEST_CASE("validate passes on the example config and check passes against a running server") {
        Sync s(Store::mongodb, shared_server().uri());
        validates(s, examples / "sync-mongodb.json",
                  "valid (2 pipelines: inbound [files -> tracos -> mongodb], outbound [mongodb -> tracos -> "
                  "files])");
        auto r = s.junction("check " + sh_quote(s.config.string()));
        CHECK_MESSAGE(r.exit_code == 0, r.out << r.err);
        CHECK(lines_with(r.out, ": ok").size() == 4);
        CHECK(lines_with(r.out, "FAILED").empty());
    }
}
