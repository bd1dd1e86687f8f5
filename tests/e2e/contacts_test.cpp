// SPEC job 3's sync half through the real binary: examples/contacts/contacts.json as
// shipped (rest reader with the hubspot-contacts preset over OAuth2 -> mapping to the
// Contact entity -> docstore), against the fake HubSpot of tests/servers/rest-apis.mjs.
// Every page synced, a 429 waited out after its Retry-After, the stored documents exactly
// the entity, a changed contact updated alone, a contact without e-mail dead-lettered.
#include <doctest/doctest.h>

#include <sqlite3.h>

#include <map>
#include <set>

#include <boost/json/parse.hpp>

#include "rest_apis.hpp"
#include "subprocess.hpp"
#include "temp_dir.hpp"

using namespace junction::test;
namespace json = boost::json;

namespace {

const std::string config = std::string(JUNCTION_SOURCE_DIR) + "/examples/contacts/contacts.json";

struct Contacts {
    RestApis api;
    TempDir dir;

    [[nodiscard]] std::string env() const {
        return std::string("env HUBSPOT_CLIENT_ID=") + RestApis::client_id +
               " HUBSPOT_CLIENT_SECRET=" + RestApis::client_secret +
               " HUBSPOT_REFRESH_TOKEN=" + RestApis::initial_refresh_token + " HUBSPOT_API=" + sh_quote(api.url()) +
               " JUNCTION_STATE=" + sh_quote((dir / "contacts.state.db").string()) +
               " CONTACTS_DB=" + sh_quote((dir / "contacts.db").string()) + " ";
    }
    [[nodiscard]] Result junction(const std::string& args) const {
        return run("timeout -k 5 120 " + env() + sh_quote(JUNCTION_BIN) + " " + args);
    }
    [[nodiscard]] Result run_once() const { return junction("run --once " + sh_quote(config)); }

    // The stored documents by id.
    [[nodiscard]] std::map<std::string, json::object> documents() const {
        std::map<std::string, json::object> out;
        sqlite3* db = nullptr;
        REQUIRE(sqlite3_open_v2((dir / "contacts.db").c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
        sqlite3_stmt* st = nullptr;
        REQUIRE(sqlite3_prepare_v2(db, "SELECT doc FROM contacts", -1, &st, nullptr) == SQLITE_OK);
        while (sqlite3_step(st) == SQLITE_ROW) {
            auto doc = json::parse(reinterpret_cast<const char*>(sqlite3_column_text(st, 0))).as_object();
            const std::string id(doc.at("id").as_string());
            out.emplace(id, std::move(doc));
        }
        sqlite3_finalize(st);
        sqlite3_close(db);
        return out;
    }
    [[nodiscard]] json::object stats() const { return json::parse(api.control("stats", "GET")).as_object(); }
    [[nodiscard]] std::int64_t searches() const {
        const auto s = stats();  // kept: if_contains points into it
        const auto* v = s.at("paths").as_object().if_contains("/crm/v3/objects/contacts/search");
        return v == nullptr ? 0 : v->as_int64();
    }
};

std::vector<std::string> lines_containing(const std::string& text, const std::string& what) {
    std::vector<std::string> out;
    for (const auto& l : lines_of(text))
        if (l.find(what) != std::string::npos) out.push_back(l);
    return out;
}

const std::set<std::string> entity_fields = {"_id",        "id",      "email", "first_name",      "last_name",
                                             "full_name",  "company", "phone", "lifecycle_stage", "created_at",
                                             "updated_at", "source"};

std::set<std::string> keys_of(const json::object& o) {
    std::set<std::string> out;
    for (const auto& kv : o)
        out.emplace(kv.key());
    return out;
}

}  // namespace

TEST_CASE("contacts: every page synced as the Contact entity, a 429 waited out, the one without e-mail dead-lettered") {
    Contacts c;
    c.api.control("hubspot/contacts?count=230");  // 3 pages of the preset's 100
    c.api.control("hubspot/set?id=103&property=email&json=" + std::string("%22%20%20Ada.Lovelace%40Example.COM%20%22"));
    c.api.control("hubspot/set?id=107&property=email&json=null");
    c.api.control("fail?count=1&status=429&retry_after=1&prefix=/crm");

    const auto first = c.run_once();
    REQUIRE_MESSAGE(first.exit_code == 0, first.err);
    const auto docs = c.documents();
    CHECK(docs.size() == 229);
    CHECK_FALSE(docs.contains("107"));
    CHECK(c.searches() == 3 + 1);  // three pages, one of them twice (the 429)

    // the 429: one warning line with the wait the server asked for
    const auto waits = lines_containing(first.err, "429");
    REQUIRE(waits.size() == 1);
    CHECK(waits[0].find("retrying in 1000 ms") != std::string::npos);

    // exactly the entity: no raw properties, archived, createdAt
    for (const auto& entry : docs) {
        const auto& id = entry.first;
        const auto& doc = entry.second;
        CAPTURE(id);
        CHECK(keys_of(doc) == entity_fields);
        CHECK(doc.at("source") == "hubspot");
        CHECK(doc.at("updated_at").as_string().ends_with(".000Z"));
    }
    const auto& ada = docs.at("103");
    CHECK(ada.at("email") == "ada.lovelace@example.com");  // trimmed, lower-cased
    const auto& other = docs.at("150");
    CHECK(other.at("email") == "contact150@example.com");
    CHECK(other.at("first_name") == "First150");
    CHECK(other.at("full_name") == "First150 Last150");
    CHECK(other.at("lifecycle_stage").is_string());
    CHECK(other.at("created_at") == other.at("updated_at"));

    // the dead letter, with the reason
    const auto dead = c.junction("dead-letters " + sh_quote(config) + " contacts --json");
    REQUIRE_MESSAGE(dead.exit_code == 0, dead.err);
    const auto letters = lines_of(dead.out);
    REQUIRE(letters.size() == 1);
    const auto letter = json::parse(letters[0]).as_object();
    CHECK(letter.at("reason") == "required: missing properties.email");
    CHECK(letter.at("payload").at("id") == "107");
    CHECK(lines_containing(first.err, "run finished pipeline=contacts outcome=ok").size() == 1);
    // no secret in the log
    for (const char* secret : {RestApis::client_secret, RestApis::initial_refresh_token, "hs-at-s3cret"})
        CHECK(first.err.find(secret) == std::string::npos);
}

TEST_CASE("contacts: a second run after a contact changed upstream rewrites that one alone") {
    Contacts c;
    c.api.control("hubspot/contacts?count=30");
    const auto first = c.run_once();
    REQUIRE_MESSAGE(first.exit_code == 0, first.err);
    const auto before = c.documents();
    REQUIRE(before.size() == 30);
    const auto searches = c.searches();

    c.api.control("hubspot/update?id=112");  // firstname " (edited)", lastmodifieddate an hour on
    const auto second = c.run_once();
    REQUIRE_MESSAGE(second.exit_code == 0, second.err);
    CHECK(c.searches() == searches + 1);  // one page: what changed since the last run (minus the lookback)
    const auto after = c.documents();
    REQUIRE(after.size() == 30);
    for (const auto& entry : after) {
        const auto& id = entry.first;
        const auto& doc = entry.second;
        CAPTURE(id);
        if (id == "112") continue;
        CHECK(doc == before.at(id));  // the ones read again (the lookback) are rewritten unchanged
    }
    CHECK(after.at("112").at("first_name") == "First112 (edited)");
    CHECK(after.at("112").at("full_name") == "First112 (edited) Last112");
    CHECK(after.at("112").at("_id") == before.at("112").at("_id"));  // updated in place
    CHECK(after.at("112").at("updated_at") != before.at("112").at("updated_at"));
    // the second run read a handful (the edited one and the lookback's), not all 30
    const auto summary = lines_containing(second.err, "run finished pipeline=contacts outcome=ok");
    REQUIRE(summary.size() == 1);
    CHECK(summary[0].find(" read=30 ") == std::string::npos);
}

TEST_CASE("plugins describe rest lists the presets; validate refuses an unknown one in one line naming the known") {
    TempDir dir;
    const auto describe = run(sh_quote(JUNCTION_BIN) + " plugins describe rest");
    REQUIRE_MESSAGE(describe.exit_code == 0, describe.err);
    CHECK(lines_containing(describe.out, "hubspot-contacts: HubSpot CRM contacts").size() == 1);
    CHECK(lines_containing(describe.out, "github-issues: GitHub issues").size() == 1);
    const auto as_json = run(sh_quote(JUNCTION_BIN) + " plugins describe rest --json");
    REQUIRE_MESSAGE(as_json.exit_code == 0, as_json.err);
    const auto described = json::parse(as_json.out);
    const auto& preset = described.at("components").at(0).at("options").at(0).as_object();
    CHECK(preset.at("name") == "preset");
    CHECK(preset.at("presets").at("hubspot-contacts").at("options").at("request").at("method") == "POST");

    write_file(dir / "c.json", R"({"pipelines": [{"name": "p",
      "reader": {"plugin": "rest", "options": {"preset": "hubspot-deals"}},
      "writer": {"plugin": "files", "options": {"dir": "out"}}}]})");
    const auto r = run(sh_quote(JUNCTION_BIN) + " validate " + sh_quote((dir / "c.json").string()));
    CHECK(r.exit_code != 0);
    const auto lines = lines_containing(r.err + r.out, "pipelines[0].reader.options");
    REQUIRE(lines.size() == 1);
    CHECK(lines[0].find("pipelines[0].reader.options.preset: unknown preset \"hubspot-deals\"; known presets: "
                        "github-issues, hubspot-contacts") != std::string::npos);
}
