// Work-order sync (SPEC.md section 1) end to end: the real `junction` binary runs the
// example configs of examples/workorders/ unchanged, pointed at a temporary folder
// through their environment variables. The stores are looked into with the product
// itself: a small dump config (docstore or mongodb reader -> files writer, ndjson).
#pragma once

#include <doctest/doctest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <ctime>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "subprocess.hpp"

namespace junction::test::workorders {

namespace fs = std::filesystem;
namespace json = boost::json;

enum class Store { docstore, mongodb };

inline const fs::path examples = fs::path(JUNCTION_SOURCE_DIR) / "examples" / "workorders";

// Every command run to its end is stopped if it takes longer than this (exit code 124).
inline const std::string bounded = "timeout -k 5 90 ";

inline bool contains(const std::string& text, const std::string& what) {
    return text.find(what) != std::string::npos;
}

// The lines of a log text at one level ("ERROR", "WARN", "INFO").
inline std::vector<std::string> log_lines(const std::string& text, const std::string& level) {
    std::vector<std::string> out;
    for (const auto& line : lines_of(text))
        if (contains(line, " " + level + " ")) out.push_back(line);
    return out;
}

inline std::vector<std::string> lines_with(const std::string& text, const std::string& what) {
    std::vector<std::string> out;
    for (const auto& line : lines_of(text))
        if (contains(line, what)) out.push_back(line);
    return out;
}

// Names of the entries of a folder (files, folders, links), sorted; none when it is missing.
inline std::vector<std::string> entries(const fs::path& dir) {
    std::vector<std::string> out;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec))
        out.push_back(it->path().filename().string());
    std::sort(out.begin(), out.end());
    return out;
}

// The work-order files of a folder (*.json, not the sidecars), sorted.
inline std::vector<std::string> json_files(const fs::path& dir) {
    std::vector<std::string> out;
    for (auto& name : entries(dir)) {
        std::error_code ec;
        if (name.ends_with(".json") && !name.ends_with(".error.json") && !name.ends_with(".rejected.json") &&
            !fs::is_directory(fs::symlink_status(dir / name, ec)))
            out.push_back(name);
    }
    return out;
}

inline json::object parse_object(const std::string& text) {
    boost::system::error_code ec;
    auto v = json::parse(text, ec);
    REQUIRE_MESSAGE(!ec, "not JSON: " << text);
    REQUIRE_MESSAGE(v.is_object(), "not a JSON object: " << text);
    return v.as_object();
}

inline std::int64_t int_of(const json::object& o, const char* field) {
    const auto* v = o.if_contains(field);
    REQUIRE_MESSAGE(v != nullptr, "no field " << field << " in " << json::serialize(o));
    REQUIRE_MESSAGE(v->is_int64(), field << " is not an integer in " << json::serialize(o));
    return v->as_int64();
}

inline std::string str_of(const json::object& o, const char* field) {
    const auto* v = o.if_contains(field);
    REQUIRE_MESSAGE(v != nullptr, "no field " << field << " in " << json::serialize(o));
    REQUIRE_MESSAGE(v->is_string(), field << " is not a string in " << json::serialize(o));
    return std::string(v->as_string());
}

// Milliseconds since the epoch of "YYYY-MM-DDTHH:MM:SS.mmmZ" (the one form written), or nothing.
inline std::optional<std::int64_t> utc_ms(const std::string& s) {
    if (s.size() != 24 || s[4] != '-' || s[7] != '-' || s[10] != 'T' || s[13] != ':' || s[16] != ':' || s[19] != '.' ||
        s[23] != 'Z')
        return std::nullopt;
    std::tm tm{};
    try {
        tm.tm_year = std::stoi(s.substr(0, 4)) - 1900;
        tm.tm_mon = std::stoi(s.substr(5, 2)) - 1;
        tm.tm_mday = std::stoi(s.substr(8, 2));
        tm.tm_hour = std::stoi(s.substr(11, 2));
        tm.tm_min = std::stoi(s.substr(14, 2));
        tm.tm_sec = std::stoi(s.substr(17, 2));
        return static_cast<std::int64_t>(::timegm(&tm)) * 1000 + std::stoi(s.substr(20, 3));
    } catch (...) {
        return std::nullopt;
    }
}

inline std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
        .count();
}

// A customer work order as the ERP writes it (SPEC.md's customer format). `flag` is the
// one status flag set (isCanceled, isDone, isOnHold, isPending), or "" for in progress.
inline std::string customer_order(std::int64_t order_no, const std::string& summary, const std::string& flag,
                                  const std::string& created, const std::string& updated,
                                  const std::string& deleted = "") {
    json::object o;
    o["orderNo"] = order_no;
    o["isActive"] = deleted.empty();
    for (const char* f : {"isCanceled", "isDone", "isOnHold", "isPending"})
        o[f] = flag == f;
    o["isDeleted"] = !deleted.empty();
    o["isSynced"] = false;
    o["summary"] = summary;
    o["creationDate"] = created;
    o["lastUpdateDate"] = updated;
    if (deleted.empty())
        o["deletedDate"] = nullptr;
    else
        o["deletedDate"] = deleted;
    return json::serialize(o) + "\n";
}

// A TCP port on 127.0.0.1 that nothing listens on (bound, then closed).
inline int closed_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    ::close(fd);
    return ntohs(addr.sin_port);
}

inline ino_t inode_of(const fs::path& p) {
    struct stat st {};
    REQUIRE(::stat(p.c_str(), &st) == 0);
    return st.st_ino;
}

// One sync set-up: temp folders, the example config of a store, and the environment
// that points it at them.
class Sync {
public:
    explicit Sync(Store store, std::string mongo_uri = "") : store_(store), mongo_uri_(std::move(mongo_uri)) {
        inbound = dir / "inbound";
        outbound = dir / "outbound";
        fs::create_directories(inbound);
        fs::create_directories(outbound);
        config = examples / (store == Store::docstore ? "sync.json" : "sync-mongodb.json");
    }

    TempDir dir;
    fs::path inbound, outbound;
    fs::path config;  // the example config, or a copy with another retry block
    // A unique database per set-up, so tests sharing one MongoDB server do not meet.
    std::string database = "tracos_" + std::to_string(::getpid()) + "_" + std::to_string(next_id()++);
    std::string collection = "workorders";

    [[nodiscard]] Store store() const { return store_; }
    [[nodiscard]] const std::string& mongo_uri() const { return mongo_uri_; }
    void set_mongo_uri(std::string uri) { mongo_uri_ = std::move(uri); }
    [[nodiscard]] fs::path docstore_path() const { return dir / "tracos.db"; }
    [[nodiscard]] fs::path state_path() const { return dir / "junction-state.db"; }
    [[nodiscard]] fs::path processed() const { return inbound / "processed"; }
    [[nodiscard]] fs::path quarantine() const { return inbound / "quarantine"; }

    // `env VAR=... ` for the child: every variable the example configs read.
    [[nodiscard]] std::string env(const std::string& extra = "") const {
        std::string e =
            "env DATA_INBOUND_DIR=" + sh_quote(inbound.string()) + " DATA_OUTBOUND_DIR=" + sh_quote(outbound.string()) +
            " JUNCTION_STATE=" + sh_quote(state_path().string()) + " TRACOS_COLLECTION=" + sh_quote(collection);
        if (store_ == Store::docstore)
            e += " DOCSTORE_PATH=" + sh_quote(docstore_path().string());
        else
            e += " MONGO_URI=" + sh_quote(mongo_uri_) + " MONGO_DATABASE=" + sh_quote(database);
        return e + (extra.empty() ? "" : " " + extra) + " ";
    }

    [[nodiscard]] std::string command(const std::string& args, const std::string& extra_env = "") const {
        return env(extra_env) + sh_quote(JUNCTION_BIN) + " --plugin-dir " + sh_quote(JUNCTION_PLUGIN_DIR) + " " + args;
    }

    // Runs to the end, within a bound (exit code 124 when it had to be stopped).
    Result junction(const std::string& args, const std::string& extra_env = "") const {
        return run(bounded + command(args, extra_env));
    }

    // `junction run CONFIG --once [--pipeline NAME]`.
    Result run_once(const std::string& pipeline = "", const std::string& extra_args = "") const {
        return junction("run " + sh_quote(config.string()) + " --once" +
                        (pipeline.empty() ? "" : " --pipeline " + pipeline) +
                        (extra_args.empty() ? "" : " " + extra_args));
    }

    // The newest run of a pipeline, from `junction runs --json`.
    json::object last_run(const std::string& pipeline) const {
        auto r = junction("runs " + sh_quote(config.string()) + " " + pipeline + " --json --limit 1");
        REQUIRE_MESSAGE(r.exit_code == 0, r.err);
        const auto lines = lines_of(r.out);
        REQUIRE_MESSAGE(lines.size() == 1, "no run recorded for " << pipeline << ": " << r.out << r.err);
        return parse_object(lines.front());
    }

    // A file into the inbound folder, written whole (temp + rename, as an ERP should).
    void drop(const std::string& name, const std::string& text) const {
        write_file(inbound / ("." + name + ".part"), text);
        fs::rename(inbound / ("." + name + ".part"), inbound / name);
    }

    // Every document of the collection matching `filter` (MongoDB query syntax), read by
    // the product itself: a one-pipeline config (store reader -> files writer, ndjson) in
    // a fresh folder with its own state, so nothing is resumed from an earlier dump.
    std::vector<json::object> dump(const std::string& filter = "{}") const {
        const fs::path where = dir / ("dump-" + std::to_string(dumps_++));
        fs::create_directories(where);
        std::string reader;
        if (store_ == Store::docstore)
            reader = R"({"plugin": "docstore", "options": {"path": )" + quoted(docstore_path().string()) +
                     R"(, "collection": )" + quoted(collection) + R"(, "filter": )" + filter + "}}";
        else
            reader = R"({"plugin": "mongodb", "options": {"uri": )" + quoted(mongo_uri_) + R"(, "database": )" +
                     quoted(database) + R"(, "collection": )" + quoted(collection) + R"(, "filter": )" + filter + "}}";
        write_file(where / "dump.json", R"({"state": )" + quoted((where / "state.db").string()) +
                                            R"(, "pipelines": [{"name": "dump", "reader": )" + reader +
                                            R"(, "writer": {"plugin": "files", "options": {"dir": )" +
                                            quoted((where / "out").string()) +
                                            R"(, "format": "ndjson", "file": "dump.ndjson"}}}]})");
        auto r = run(bounded + sh_quote(JUNCTION_BIN) + " --plugin-dir " + sh_quote(JUNCTION_PLUGIN_DIR) + " run " +
                     sh_quote((where / "dump.json").string()) + " --once");
        REQUIRE_MESSAGE(r.exit_code == 0, "dump failed: " << r.err);
        std::vector<json::object> out;
        for (const auto& line : lines_of(read_file(where / "out" / "dump.ndjson")))
            out.push_back(parse_object(line));
        std::sort(out.begin(), out.end(),
                  [](const auto& a, const auto& b) { return a.at("number").as_int64() < b.at("number").as_int64(); });
        return out;
    }

    // The dump keyed by work-order number.
    std::map<std::int64_t, json::object> documents(const std::string& filter = "{}") const {
        std::map<std::int64_t, json::object> out;
        for (auto& d : dump(filter)) {
            const auto n = int_of(d, "number");
            CHECK_MESSAGE(out.count(n) == 0, "two documents with number " << n);
            out[n] = d;
        }
        return out;
    }

    // Seeds the store with TracOS work orders not yet sent (isSynced=false): the demo's
    // seed config on the docstore; on MongoDB the same files through a mongodb writer
    // configured as sync-mongodb.json's (date fields as BSON dates).
    Result seed(const fs::path& seed_dir) const {
        if (store_ == Store::docstore)
            return junction("run " + sh_quote((examples / "seed.json").string()) + " --once",
                            "SEED_DIR=" + sh_quote(seed_dir.string()));
        const fs::path cfg = dir / "seed-mongodb.json";
        write_file(
            cfg,
            R"({"state": )" + quoted((dir / "seed-state.db").string()) +
                R"(, "pipelines": [{"name": "seed-tracos", "reader": {"plugin": "files", "options": {"dir": )" +
                quoted(seed_dir.string()) +
                R"(, "after": "keep"}}, "writer": {"plugin": "mongodb", "options": {"uri": )" + quoted(mongo_uri_) +
                R"(, "database": )" + quoted(database) + R"(, "collection": )" + quoted(collection) +
                R"(, "upsert_key": ["number"], "date_fields": ["createdAt", "updatedAt", "deletedAt", "syncedAt"]}}}]})");
        return junction("run " + sh_quote(cfg.string()) + " --once");
    }

    // A copy of the example seed/tracos folder in the temp folder (the source tree is never touched).
    fs::path copy_tracos_seed() const {
        const fs::path to = dir / "seed-tracos";
        fs::create_directories(to);
        for (const auto& e : fs::directory_iterator(examples / "seed" / "tracos"))
            fs::copy_file(e.path(), to / e.path().filename());
        return to;
    }

    // A copy of the example config with only its retry blocks replaced (tests cannot wait
    // for the example's 6 attempts of up to 10 s); it becomes the config under test.
    void use_retry(const std::string& retry_block) {
        std::string text = read_file(config);
        const std::string key = "\"retry\": {";
        std::size_t replaced = 0;
        for (auto at = text.find(key); at != std::string::npos; at = text.find(key, at + retry_block.size())) {
            const auto end = text.find('}', at);
            REQUIRE(end != std::string::npos);
            text.replace(at, end + 1 - at, "\"retry\": " + retry_block);
            ++replaced;
        }
        REQUIRE_MESSAGE(replaced == 2, "expected a retry block in each pipeline of " << config);
        const fs::path copy = dir / ("retry-" + config.filename().string());
        write_file(copy, text);
        config = copy;
    }

    static std::string quoted(const std::string& s) { return json::serialize(json::value(s)); }

private:
    static int& next_id() {
        static int id = 0;
        return id;
    }

    Store store_;
    std::string mongo_uri_;
    mutable int dumps_ = 0;
};

// ---- checks shared by both stores -------------------------------------------------

// The customer status flags of a TracOS status (SPEC.md's mapping, inverted).
inline std::map<std::string, bool> flags_of(const std::string& status) {
    return {{"isCanceled", status == "cancelled"},
            {"isDone", status == "completed"},
            {"isOnHold", status == "on_hold"},
            {"isPending", status == "pending"}};
}

// What the outbound pipeline must write for one of examples/workorders/seed/tracos.
inline json::object expected_customer_file(const json::object& seed) {
    json::object o;
    o["orderNo"] = seed.at("number").as_int64();
    o["isActive"] = true;
    for (const auto& [flag, set] : flags_of(std::string(seed.at("status").as_string())))
        o[flag] = set;
    o["isDeleted"] = false;
    o["isSynced"] = true;
    o["summary"] = seed.at("title");
    o["creationDate"] = seed.at("createdAt");
    o["lastUpdateDate"] = seed.at("updatedAt");
    o["deletedDate"] = nullptr;
    return o;
}

// Inbound files of examples/workorders/seed/customer that are valid (1001..1006).
inline void drop_valid_customer_seed(const Sync& s) {
    for (int n = 1001; n <= 1006; ++n) {
        const auto name = std::to_string(n) + ".json";
        s.drop(name, read_file(examples / "seed" / "customer" / name));
    }
}

// ---- the behaviours of the issue, for either store ----------------------------------
// Each returns nothing and CHECKs as it goes; the test files name them.

// Inbound creates, then updates in place (same _id), and a replay changes nothing.
inline void inbound_creates_updates_and_is_idempotent(const Sync& s) {
    for (int n = 1001; n <= 1003; ++n) {
        const auto name = std::to_string(n) + ".json";
        s.drop(name, read_file(examples / "seed" / "customer" / name));
    }
    auto r = s.run_once("inbound");
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    auto run = s.last_run("inbound");
    CHECK(run.at("outcome") == "ok");
    CHECK(run.at("read") == 3);
    CHECK(run.at("written") == 3);
    CHECK(run.at("invalid") == 0);
    CHECK(json_files(s.inbound).empty());
    CHECK(json_files(s.processed()) == std::vector<std::string>{"1001.json", "1002.json", "1003.json"});

    const auto created = s.documents();
    REQUIRE(created.size() == 3);
    const auto& pump = created.at(1002);
    CHECK(pump.at("status") == "completed");
    CHECK(pump.at("title") == "Lubricate pump P-12");
    CHECK(pump.at("description") == "Lubricate pump P-12");
    CHECK(pump.at("deleted") == false);
    CHECK(pump.at("deletedAt").is_null());
    CHECK(pump.at("isSynced") == true);
    CHECK(!str_of(pump, "_id").empty());
    CHECK(created.at(1001).at("status") == "pending");
    CHECK(created.at(1003).at("status") == "on_hold");

    // The ERP changes 1003's summary and status and drops the file again, under the same
    // name and (as happens) with the same size as the version read last.
    std::string text = read_file(examples / "seed" / "customer" / "1003.json");
    const auto replace = [&](const std::string& from, const std::string& to) {
        const auto at = text.find(from);
        REQUIRE(at != std::string::npos);
        text.replace(at, from.size(), to);
    };
    replace("\"isOnHold\": true", "\"isOnHold\": false");
    replace("\"isPending\": false", "\"isPending\": true");
    replace("Inspect boiler pressure valve", "Inspect boiler pressure gauge");
    replace("\"lastUpdateDate\": \"2025-01-14T10:00:00Z\"", "\"lastUpdateDate\": \"2025-01-15T10:00:00Z\"");
    s.drop("1003.json", text);
    r = s.run_once("inbound");
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    run = s.last_run("inbound");
    CHECK(run.at("read") == 1);
    CHECK(run.at("written") == 1);
    const auto updated = s.documents();
    REQUIRE(updated.size() == 3);
    const auto& before = created.at(1003);
    const auto& changed = updated.at(1003);
    CHECK(changed.at("_id") == before.at("_id"));
    CHECK(changed.at("title") == "Inspect boiler pressure gauge");
    CHECK(changed.at("status") == "pending");
    CHECK(changed.at("createdAt") == before.at("createdAt"));
    CHECK(changed.at("updatedAt") == "2025-01-15T10:00:00.000Z");
    CHECK(updated.at(1001) == created.at(1001));
    CHECK(updated.at(1002) == created.at(1002));
    // The processed folder keeps both versions of 1003 (the second one numbered).
    CHECK(json_files(s.processed()) == std::vector<std::string>{"1001.json", "1002.json", "1003-1.json", "1003.json"});

    // The same files delivered again (1003 in its latest version): nothing changes.
    for (const auto& [from, to] : std::vector<std::pair<std::string, std::string>>{
             {"1001.json", "1001.json"}, {"1002.json", "1002.json"}, {"1003-1.json", "1003.json"}}) {
        REQUIRE(fs::exists(s.processed() / from));
        s.drop(to, read_file(s.processed() / from));
    }
    r = s.run_once("inbound");
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    run = s.last_run("inbound");
    CHECK(run.at("read") == 3);
    CHECK(run.at("written") == 3);
    CHECK(s.documents() == updated);
    CHECK(json_files(s.inbound).empty());
}

// A crash after the inbound write and before the files are moved: the next run sends
// them again, the upsert makes that harmless.
inline void inbound_crash_before_ack_replays_without_duplicates(const Sync& s) {
    for (int n = 1001; n <= 1003; ++n) {
        const auto name = std::to_string(n) + ".json";
        s.drop(name, read_file(examples / "seed" / "customer" / name));
    }
    auto r = s.run_once("inbound", "--test-fault exit_before_ack");
    CHECK_MESSAGE(r.exit_code == 86, r.err);
    CHECK(json_files(s.inbound).size() == 3);  // not moved: not acknowledged
    CHECK(json_files(s.processed()).empty());
    const auto written = s.documents();
    CHECK(written.size() == 3);

    r = s.run_once("inbound");
    CHECK_MESSAGE(r.exit_code == 0, r.err);
    CHECK(json_files(s.inbound).empty());
    CHECK(json_files(s.processed()).size() == 3);
    CHECK(s.documents() == written);  // same _ids, no second copy
}

// Outbound: one customer file per unsynced document, each marked synced once written;
// a second run writes nothing; inbound documents are never echoed back.
inline void outbound_writes_each_unsynced_order_once(const Sync& s) {
    const auto seed_dir = s.copy_tracos_seed();
    auto r = s.seed(seed_dir);
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    const auto seeded = s.documents();
    REQUIRE(seeded.size() == 5);
    for (const auto& [n, d] : seeded) {
        CHECK(d.at("isSynced") == false);
        CHECK(!d.contains("syncedAt"));
    }
    drop_valid_customer_seed(s);  // 1001..1006 come in from the ERP in the same run

    const auto before = now_ms();
    r = s.run_once();
    const auto after = now_ms();
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    CHECK(log_lines(r.err, "WARN").empty());
    CHECK(log_lines(r.err, "ERROR").empty());

    // Only the TracOS-created orders go out, one {orderNo}.json each.
    CHECK(json_files(s.outbound) ==
          std::vector<std::string>{"2001.json", "2002.json", "2003.json", "2004.json", "2005.json"});
    CHECK(entries(s.outbound) == json_files(s.outbound));  // no temporary file left behind
    for (int n = 2001; n <= 2005; ++n) {
        const auto name = std::to_string(n) + ".json";
        const auto seed = parse_object(read_file(seed_dir / name));
        const auto sent = parse_object(read_file(s.outbound / name));
        CHECK_MESSAGE(sent == expected_customer_file(seed), name << ": " << json::serialize(sent));
        int set = 0;
        for (const char* f : {"isCanceled", "isDone", "isOnHold", "isPending"})
            set += sent.at(f) == true ? 1 : 0;
        CHECK(set == (seed.at("status") == "in_progress" ? 0 : 1));
        CHECK(str_of(sent, "creationDate").ends_with("Z"));
        CHECK(str_of(sent, "lastUpdateDate").ends_with("Z"));
    }
    auto run = s.last_run("outbound");
    CHECK(run.at("read") == 5);
    CHECK(run.at("written") == 5);

    const auto synced = s.documents();
    REQUIRE(synced.size() == 11);
    for (const auto& entry : synced) {
        const auto& n = entry.first;
        const auto& d = entry.second;
        CHECK(d.at("isSynced") == true);
        const auto at = utc_ms(str_of(d, "syncedAt"));
        REQUIRE_MESSAGE(at.has_value(), json::serialize(d));
        if (n >= 2001) {
            CHECK(*at >= before - 2000);  // marked during the run ("$now")
            CHECK(*at <= after + 2000);
            CHECK(d.at("_id") == seeded.at(n).at("_id"));
        } else {
            CHECK(d.at("syncedAt") == d.at("updatedAt"));  // inbound's deterministic value
        }
    }

    // A second run: nothing to send, no file rewritten, no document changed.
    std::map<std::string, ino_t> inodes;
    for (const auto& f : json_files(s.outbound))
        inodes[f] = inode_of(s.outbound / f);
    r = s.run_once();
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    run = s.last_run("outbound");
    CHECK(run.at("read") == 0);
    CHECK(run.at("written") == 0);
    CHECK(s.last_run("inbound").at("read") == 0);
    CHECK(entries(s.outbound).size() == 5);
    for (const auto& entry : inodes) {
        const auto& f = entry.first;
        const auto& ino = entry.second;
        CHECK_MESSAGE(inode_of(s.outbound / f) == ino, f << " was written again");
    }
    CHECK(s.documents() == synced);
}

// A crash after the outbound files are written and before the documents are marked:
// they stay unsynced, and the next run sends them again (same content) and marks them.
inline void outbound_crash_before_mark_resends(const Sync& s) {
    auto r = s.seed(s.copy_tracos_seed());
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    r = s.run_once("outbound", "--test-fault exit_before_ack");
    CHECK_MESSAGE(r.exit_code == 86, r.err);
    const auto files = json_files(s.outbound);
    REQUIRE(files.size() == 5);
    CHECK(entries(s.outbound) == files);  // whole files only, no temporary one
    std::map<std::string, std::string> content;
    std::map<std::string, ino_t> inodes;
    for (const auto& f : files) {
        content[f] = read_file(s.outbound / f);
        inodes[f] = inode_of(s.outbound / f);
    }
    for (const auto& entry : s.documents()) {
        const auto& n = entry.first;
        const auto& d = entry.second;
        CHECK_MESSAGE(d.at("isSynced") == false, n << " was marked although the process died before the mark");
        CHECK(!d.contains("syncedAt"));
    }

    r = s.run_once("outbound");
    CHECK_MESSAGE(r.exit_code == 0, r.err);
    CHECK(s.last_run("outbound").at("written") == 5);
    CHECK(json_files(s.outbound) == files);
    for (const auto& f : files) {
        CHECK(read_file(s.outbound / f) == content[f]);
        CHECK_MESSAGE(inode_of(s.outbound / f) != inodes[f], f << " was not sent again");
    }
    for (const auto& [n, d] : s.documents()) {
        CHECK(d.at("isSynced") == true);
        CHECK(utc_ms(str_of(d, "syncedAt")).has_value());
    }
    r = s.run_once("outbound");
    CHECK(r.exit_code == 0);
    CHECK(s.last_run("outbound").at("read") == 0);
}

// Bad input: each bad file gets one log line (file, reason), is quarantined with a
// sidecar, counted invalid, listed as a dead letter; what is not a regular file (a
// directory, a dangling link) gets one warning and is left alone, never opened; the good
// files still go through.
inline void bad_files_are_set_aside_and_the_rest_goes_on(const Sync& s) {
    s.drop("1001.json", read_file(examples / "seed" / "customer" / "1001.json"));
    s.drop("1002.json", read_file(examples / "seed" / "customer" / "1002.json"));
    s.drop("corrupt.json", R"({"orderNo": 7, "isDone": true, "summary": "cut short", "creationDate": "2025-01-1)");
    s.drop("wrong-type.json", R"({"orderNo": "12", "isPending": true, "summary": "orderNo is text",
                                  "creationDate": "2025-01-18T10:00:00Z"})");
    s.drop("no-creation-date.json", R"({"orderNo": 13, "isPending": true, "summary": "no creation date"})");
    fs::create_directory(s.inbound / "x.json");
    fs::create_symlink(s.dir / "nowhere.json", s.inbound / "dangling.json");

    const std::vector<std::pair<std::string, std::string>> bad = {
        {"corrupt.json", "invalid JSON at line 1"},
        {"wrong-type.json", "orderNo: expected integer, got string"},
        {"no-creation-date.json", "creationDate: required"},
    };
    const std::vector<std::pair<std::string, std::string>> skipped = {
        {"x.json", "a directory, not a regular file"},
        {"dangling.json", "a dangling symbolic link"},
    };
    auto r = s.run_once("inbound");
    CHECK_MESSAGE(r.exit_code == 0, r.err);
    for (const auto& entry : bad) {
        const auto& name = entry.first;
        const auto& reason = entry.second;
        CAPTURE(name);
        const auto lines = lines_with(r.err, "source=" + name);
        CHECK_MESSAGE(lines.size() == 1, r.err);
        if (!lines.empty()) {
            CHECK(contains(lines.front(), reason));
            CHECK(contains(lines.front(), " WARN "));
        }
        std::error_code ec;
        CHECK(!fs::exists(fs::symlink_status(s.inbound / name, ec)));
        CHECK(fs::exists(fs::symlink_status(s.quarantine() / name, ec)));
        const auto sidecar = s.quarantine() / (name + ".error.json");
        REQUIRE(fs::exists(sidecar));
        const auto why = parse_object(read_file(sidecar));
        CHECK(str_of(why, "file") == name);
        CHECK(contains(str_of(why, "reason"), reason));
    }
    for (const auto& entry : skipped) {
        const auto& name = entry.first;
        const auto& why = entry.second;
        CAPTURE(name);
        const auto lines = lines_with(r.err, "skipping " + name + ": ");
        CHECK_MESSAGE(lines.size() == 1, r.err);
        if (!lines.empty()) CHECK(contains(lines.front(), why));
        CHECK(fs::exists(fs::symlink_status(s.inbound / name)));
    }
    // Those five lines and nothing else: no error, no stack trace.
    CHECK(log_lines(r.err, "WARN").size() == bad.size() + skipped.size());
    CHECK(log_lines(r.err, "ERROR").empty());
    CHECK(!contains(r.err, "terminate"));
    CHECK(!contains(r.err, "what()"));

    const auto run = s.last_run("inbound");
    CHECK(run.at("outcome") == "ok");
    CHECK(run.at("read") == 5);
    CHECK(run.at("written") == 2);
    CHECK(run.at("invalid") == 3);
    CHECK(run.at("failed") == 0);
    CHECK(json_files(s.processed()) == std::vector<std::string>{"1001.json", "1002.json"});
    const auto docs = s.documents();
    CHECK(docs.size() == 2);
    CHECK(docs.count(1001) == 1);
    CHECK(docs.count(1002) == 1);

    auto letters = s.junction("dead-letters " + sh_quote(s.config.string()) + " inbound");
    CHECK(letters.exit_code == 0);
    CHECK(lines_of(letters.out).size() == bad.size());
    for (const auto& entry : bad) {
        const auto& name = entry.first;
        const auto& reason = entry.second;
        const auto lines = lines_with(letters.out, " " + name + ": ");
        CHECK_MESSAGE(lines.size() == 1, name << " in: " << letters.out);
        if (!lines.empty()) CHECK(contains(lines.front(), reason));
    }

    // Set aside, so not retried: the next run reads nothing.
    const auto quarantined = entries(s.quarantine());
    r = s.run_once("inbound");
    CHECK(r.exit_code == 0);
    CHECK(s.last_run("inbound").at("read") == 0);
    CHECK(entries(s.quarantine()) == quarantined);
    CHECK(lines_of(s.junction("dead-letters " + sh_quote(s.config.string()) + " inbound").out).size() == bad.size());
}

// The ERP fixes a quarantined file and sends it again under the same name: it is read
// (not taken for the file already read under that name).
inline void corrected_file_sent_again_is_read(const Sync& s) {
    s.drop("wrong-type.json", R"({"orderNo": "12", "isPending": true, "summary": "orderNo as text",
                                  "creationDate": "2025-01-18T10:00:00Z"})");
    auto r = s.run_once("inbound");
    CHECK_MESSAGE(r.exit_code == 0, r.err);
    CHECK(s.last_run("inbound").at("invalid") == 1);
    CHECK(fs::exists(s.quarantine() / "wrong-type.json"));

    s.drop("wrong-type.json", R"({"orderNo": 12, "isPending": true, "summary": "orderNo fixed",
                                  "creationDate": "2025-01-18T10:00:00Z"})");
    r = s.run_once("inbound");
    CHECK_MESSAGE(r.exit_code == 0, r.err);
    const auto run = s.last_run("inbound");
    CHECK(run.at("read") == 1);
    CHECK(run.at("written") == 1);
    CHECK(run.at("invalid") == 0);
    const auto docs = s.documents();
    REQUIRE(docs.count(12) == 1);
    CHECK(docs.at(12).at("title") == "orderNo fixed");
    CHECK(json_files(s.processed()) == std::vector<std::string>{"wrong-type.json"});
    CHECK(json_files(s.inbound).empty());
}

inline void empty_inbound_folder_is_a_quiet_ok_run(const Sync& s) {
    auto r = s.run_once("inbound");
    CHECK_MESSAGE(r.exit_code == 0, r.err);
    CHECK(log_lines(r.err, "WARN").empty());
    CHECK(log_lines(r.err, "ERROR").empty());
    const auto run = s.last_run("inbound");
    CHECK(run.at("outcome") == "ok");
    CHECK(run.at("read") == 0);
    CHECK(run.at("written") == 0);
    CHECK(s.documents().empty());
}

inline void thousands_of_files_all_arrive(const Sync& s, int count = 3000) {
    for (int n = 1; n <= count; ++n)
        write_file(s.inbound / (std::to_string(n) + ".json"),
                   customer_order(n, "work order " + std::to_string(n), n % 2 ? "isPending" : "isDone",
                                  "2025-01-10T08:00:00-03:00", "2025-01-11T08:00:00-03:00"));
    auto r = s.run_once("inbound");
    CHECK_MESSAGE(r.exit_code == 0, r.err);
    const auto run = s.last_run("inbound");
    CHECK(run.at("read") == count);
    CHECK(run.at("written") == count);
    CHECK(run.at("invalid") == 0);
    CHECK(json_files(s.inbound).empty());
    CHECK(json_files(s.processed()).size() == static_cast<std::size_t>(count));
    const auto docs = s.documents();
    REQUIRE(docs.size() == static_cast<std::size_t>(count));
    CHECK(docs.begin()->first == 1);
    CHECK(docs.rbegin()->first == count);
    CHECK(docs.at(1).at("status") == "pending");
    CHECK(str_of(docs.at(count), "title") == "work order " + std::to_string(count));
}

// Dates in any UTC offset are stored as the same instant in UTC.
inline void dates_are_normalized_to_utc(const Sync& s) {
    s.drop("3001.json", customer_order(3001, "minus three", "isPending", "2025-03-09T22:30:00-03:00",
                                       "2025-03-10T23:59:59.500-03:00"));
    s.drop("3002.json", customer_order(3002, "plus five thirty", "isDone", "2025-01-01T03:00:00+05:30",
                                       "2025-01-01T05:29:59+05:30"));
    s.drop("3003.json", customer_order(3003, "zulu", "", "2025-06-30T12:34:56Z", "2025-06-30T12:34:56.789Z"));
    s.drop("3004.json", customer_order(3004, "deleted, leap day", "isCanceled", "2024-02-29T23:00:00-03:00",
                                       "2024-03-01T10:00:00+05:30", "2024-03-01T10:00:00+05:30"));
    auto r = s.run_once("inbound");
    REQUIRE_MESSAGE(r.exit_code == 0, r.err);
    const auto docs = s.documents();
    REQUIRE(docs.size() == 4);
    struct Want {
        std::int64_t n;
        const char* created;
        const char* updated;
        const char* deleted;  // nullptr: deletedAt is null
        const char* status;
    };
    for (const auto& w : {Want{3001, "2025-03-10T01:30:00.000Z", "2025-03-11T02:59:59.500Z", nullptr, "pending"},
                          Want{3002, "2024-12-31T21:30:00.000Z", "2024-12-31T23:59:59.000Z", nullptr, "completed"},
                          Want{3003, "2025-06-30T12:34:56.000Z", "2025-06-30T12:34:56.789Z", nullptr, "in_progress"},
                          Want{3004, "2024-03-01T02:00:00.000Z", "2024-03-01T04:30:00.000Z", "2024-03-01T04:30:00.000Z",
                               "cancelled"}}) {
        CAPTURE(w.n);
        const auto& d = docs.at(w.n);
        CHECK(d.at("createdAt") == w.created);
        CHECK(d.at("updatedAt") == w.updated);
        CHECK(d.at("syncedAt") == w.updated);
        CHECK(d.at("status") == w.status);
        if (w.deleted == nullptr) {
            CHECK(d.at("deletedAt").is_null());
            CHECK(d.at("deleted") == false);
        } else {
            CHECK(d.at("deletedAt") == w.deleted);
            CHECK(d.at("deleted") == true);
        }
    }
}

// `junction validate` on an example config, with the environment of the set-up.
inline void validates(const Sync& s, const fs::path& config, const std::string& expected) {
    auto r = s.junction("validate " + sh_quote(config.string()), "SEED_DIR=" + sh_quote(s.dir.path().string()));
    CHECK_MESSAGE(r.exit_code == 0, r.err);
    CHECK_MESSAGE(contains(r.out, expected), r.out);
}

}  // namespace junction::test::workorders
