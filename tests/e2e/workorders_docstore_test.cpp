// Work-order sync (SPEC.md section 1, the GitHub issue "Work-order sync") through the
// `junction` binary on the embedded document store: examples/workorders/sync.json and
// seed.json, unchanged, pointed at a temporary folder by their environment variables.
#include "workorders_fixture.hpp"

using namespace junction::test;
using namespace junction::test::workorders;

TEST_SUITE("work-order sync on the docstore") {
    TEST_CASE("inbound creates, then updates in place, and delivering the same files again changes nothing") {
        Sync s(Store::docstore);
        inbound_creates_updates_and_is_idempotent(s);
    }

    TEST_CASE("a crash after the inbound write and before the files move replays them without duplicates") {
        Sync s(Store::docstore);
        inbound_crash_before_ack_replays_without_duplicates(s);
    }

    TEST_CASE(
        "outbound writes one customer file per unsynced order, marks it synced, and never echoes inbound "
        "orders") {
        Sync s(Store::docstore);
        outbound_writes_each_unsynced_order_once(s);
    }

    TEST_CASE(
        "a crash between the outbound file write and the mark leaves the order unsynced; the next run "
        "re-sends and marks it") {
        Sync s(Store::docstore);
        outbound_crash_before_mark_resends(s);
    }

    TEST_CASE(
        "corrupted, mistyped, incomplete and unreadable files are quarantined with a reason; the others "
        "go through") {
        Sync s(Store::docstore);
        bad_files_are_set_aside_and_the_rest_goes_on(s);
    }

    TEST_CASE("a quarantined file corrected and sent again under the same name is read again") {
        Sync s(Store::docstore);
        corrected_file_sent_again_is_read(s);
    }

    TEST_CASE("an empty inbound folder is an ok run that reads nothing") {
        Sync s(Store::docstore);
        empty_inbound_folder_is_a_quiet_ok_run(s);
    }

    TEST_CASE("three thousand inbound files all arrive") {
        Sync s(Store::docstore);
        thousands_of_files_all_arrive(s, 3000);
    }

    TEST_CASE("dates in -03:00, +05:30 and Z are stored as UTC") {
        Sync s(Store::docstore);
        dates_are_normalized_to_utc(s);
    }

    TEST_CASE("validate and check pass on the example configs") {
        Sync s(Store::docstore);
        validates(s, examples / "sync.json",
                  "valid (2 pipelines: inbound [files -> tracos -> docstore], outbound [docstore -> tracos -> "
                  "files])");
        validates(s, examples / "seed.json", "valid (1 pipeline: seed-tracos [files -> docstore])");
        auto r = s.junction("check " + sh_quote(s.config.string()));
        CHECK_MESSAGE(r.exit_code == 0, r.out << r.err);
        CHECK(lines_with(r.out, ": ok").size() == 4);
        CHECK(lines_with(r.out, "FAILED").empty());
    }

    TEST_CASE("the demo's seed config loads the TracOS orders unsynced, keeps its files, and is idempotent") {
        Sync s(Store::docstore);
        const auto seed_dir = s.copy_tracos_seed();
        auto r = s.seed(seed_dir);
        REQUIRE_MESSAGE(r.exit_code == 0, r.err);
        const auto docs = s.documents();
        REQUIRE(docs.size() == 5);
        for (int n = 2001; n <= 2005; ++n) {
            CAPTURE(n);
            const auto seed = parse_object(read_file(seed_dir / (std::to_string(n) + ".json")));
            auto d = docs.at(n);
            CHECK(!str_of(d, "_id").empty());
            d.erase("_id");
            CHECK(d == seed);  // stored as given: isSynced false, dates in UTC with Z
        }
        CHECK(json_files(seed_dir).size() == 5);  // after: keep
        CHECK(!fs::exists(seed_dir / "processed"));
        r = s.seed(seed_dir);
        REQUIRE_MESSAGE(r.exit_code == 0, r.err);
        CHECK(s.documents() == docs);
    }
}
