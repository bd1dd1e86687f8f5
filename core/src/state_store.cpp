// The state store on SQLite: one connection behind a mutex, statements prepared once,
// schema versioned with PRAGMA user_version so later releases can migrate it.
//
// Durability: WAL with synchronous=FULL. In WAL mode NORMAL may lose the last
// transactions on power loss (the WAL is not synced at each commit); a lost position
// means a replay (harmless) but a lost dead letter means lost data, and the SDK
// promises KeyValueStore::put is durable on return. So every commit syncs; the cost
// is one fsync per batch, small next to the network calls a batch makes.
//
// Listing order: dead letters, runs and pushes come newest first (an operator looks at what
// just failed); a limit of 0 means no limit.
#include "junction/core/state_store.hpp"
#include "junction/core/time_text.hpp"

#include <signal.h>
#include <sqlite3.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <fstream>
#include <sstream>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <junction/sdk/json_text.hpp>

#include "state_sqlite.hpp"

namespace junction::core {
namespace {

using sqlite::Statement;

Clock::time_point parse_time(const std::string& text) {
    std::tm tm{};
    int ms = 0;
    if (std::sscanf(text.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                    &tm.tm_min, &tm.tm_sec, &ms) < 6)
        return {};
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return Clock::from_time_t(timegm(&tm)) + std::chrono::milliseconds(ms);
}

std::string to_json(const std::vector<std::string>& items) {
    boost::json::array a;
    for (const auto& s : items)
        a.emplace_back(s);
    return sdk::to_json_text(a);
}

std::vector<std::string> strings_from_json(const std::string& text) {
    std::vector<std::string> out;
    boost::system::error_code ec;
    const auto v = boost::json::parse(text, ec);
    if (!ec && v.is_array())
        for (const auto& e : v.get_array())
            if (e.is_string()) out.emplace_back(e.get_string());
    return out;
}

boost::json::object object_from_json(const std::string& text) {
    boost::system::error_code ec;
    auto v = boost::json::parse(text, ec);
    if (!ec && v.is_object()) return std::move(v.get_object());
    // Never lose what was stored, even if it no longer parses as an object.
    return boost::json::object{{"_unparsed", text}};
}

std::int64_t sql_limit(std::size_t limit) {
    return limit == 0 ? -1 : static_cast<std::int64_t>(limit);
}

// Who this process is, to tell whether the owner of a `running` row is still alive: a
// PID alone is not enough (PIDs are reused, and restart from 1 after a reboot or in a
// new container), so the row also keeps the boot id and the process's start time.
struct ProcessIdentity {
    std::int64_t pid = 0;
    std::string host;
    std::string boot_id;
    std::int64_t start = -1;  // field 22 of /proc/PID/stat: clock ticks after boot; -1 unknown
};

// -1 when the process does not exist or /proc cannot say.
std::int64_t process_start(std::int64_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
    std::string text;
    if (!std::getline(in, text)) return -1;
    // Field 2, the command name, may hold spaces and parentheses: count from the last ')'.
    const auto close = text.rfind(')');
    if (close == std::string::npos) return -1;
    std::istringstream rest(text.substr(close + 1));
    std::string field;
    for (int i = 3; i <= 22 && rest >> field; ++i)
        if (i == 22) return std::strtoll(field.c_str(), nullptr, 10);
    return -1;
}

ProcessIdentity identify_self() {
    ProcessIdentity p;
    p.pid = ::getpid();
    char name[256] = {};
    if (::gethostname(name, sizeof name - 1) == 0) p.host = name;
    std::ifstream in("/proc/sys/kernel/random/boot_id");
    std::getline(in, p.boot_id);
    p.start = process_start(p.pid);
    return p;
}

const ProcessIdentity& self_identity() {
    static ProcessIdentity id = identify_self();
    // A forked child is another process (only its forking thread runs, so no race).
    if (id.pid != ::getpid()) id = identify_self();
    return id;
}

// Whether the process that began a run on this host is gone. Unknown (no /proc) counts
// as alive: a row wrongly left `running` is less harm than a live run marked interrupted.
bool owner_gone(std::int64_t pid, const std::string& boot_id, std::int64_t start) {
    const auto& self = self_identity();
    if (!boot_id.empty() && !self.boot_id.empty() && boot_id != self.boot_id) return true;  // rebooted since
    if (pid <= 0) return true;
    if (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH) return true;
    const auto now = process_start(pid);
    return now >= 0 && start >= 0 && now != start;  // the PID now belongs to another process
}

std::string gone_reason(std::int64_t pid, const std::string& host) {
    return "process " + std::to_string(pid) + " on " + host +
           " ended without finishing the run (killed, crashed or the machine stopped); what it had not committed "
           "is read again";
}

// Each entry moves the schema from version i to i+1; append, never edit.
constexpr std::array<const char*, 5> migrations = {
    R"sql(
CREATE TABLE positions(
  pipeline   TEXT PRIMARY KEY,
  position   TEXT NOT NULL,
  updated_at TEXT NOT NULL);
CREATE TABLE kv(
  scope TEXT NOT NULL,
  key   TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY(scope, key)) WITHOUT ROWID;
CREATE TABLE dead_letters(
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  pipeline    TEXT NOT NULL,
  stage       TEXT NOT NULL,
  plugin      TEXT NOT NULL,
  reason      TEXT NOT NULL,
  payload     TEXT NOT NULL,
  key         TEXT NOT NULL,
  source      TEXT NOT NULL,
  position    TEXT NOT NULL,
  attempts    INTEGER NOT NULL,
  at          TEXT NOT NULL,
  replayed    INTEGER NOT NULL DEFAULT 0,
  received_at TEXT NOT NULL,
  error       TEXT NOT NULL DEFAULT '');
CREATE INDEX dead_letters_by_pipeline ON dead_letters(pipeline, replayed, id);
CREATE TABLE runs(
  id       INTEGER PRIMARY KEY AUTOINCREMENT,
  pipeline TEXT NOT NULL,
  started  TEXT NOT NULL,
  finished TEXT,
  plugins  TEXT NOT NULL,
  read     INTEGER NOT NULL DEFAULT 0,
  written  INTEGER NOT NULL DEFAULT 0,
  invalid  INTEGER NOT NULL DEFAULT 0,
  failed   INTEGER NOT NULL DEFAULT 0,
  columns  TEXT NOT NULL,
  outcome  TEXT NOT NULL,
  error    TEXT NOT NULL DEFAULT '');
CREATE INDEX runs_by_pipeline ON runs(pipeline, id);
)sql",
    // SDK 2: positions per partition of a reader; a pipeline's one position becomes its
    // default partition "".
    R"sql(
CREATE TABLE partition_positions(
  pipeline   TEXT NOT NULL,
  partition  TEXT NOT NULL,
  position   TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  PRIMARY KEY(pipeline, partition)) WITHOUT ROWID;
INSERT INTO partition_positions(pipeline, partition, position, updated_at)
  SELECT pipeline, '', position, updated_at FROM positions;
DROP TABLE positions;
ALTER TABLE runs ADD COLUMN released INTEGER NOT NULL DEFAULT 0;
)sql",
    // Who runs a run and when it was last seen, so that a run whose process died is told
    // apart from one still going. Rows already `running` have no owner to check: they
    // are interrupted (a release still running one overwrites that when it finishes).
    R"sql(
ALTER TABLE runs ADD COLUMN pid INTEGER;
ALTER TABLE runs ADD COLUMN host TEXT;
ALTER TABLE runs ADD COLUMN boot_id TEXT;
ALTER TABLE runs ADD COLUMN process_start INTEGER;
ALTER TABLE runs ADD COLUMN last_seen TEXT;
CREATE INDEX runs_running ON runs(id) WHERE outcome = 'running';
UPDATE runs SET outcome = 'interrupted', finished = started,
  error = 'began before this release recorded who runs a run; it did not finish'
  WHERE outcome = 'running';
)sql",
    // The push log (SDK 2.2): what writers sent to external ingestion APIs, with the run
    // it belongs to (NULL outside a run) and going with that run.
    R"sql(
CREATE TABLE pushes(
  id          INTEGER PRIMARY KEY AUTOINCREMENT,
  run_id      INTEGER REFERENCES runs(id) ON DELETE CASCADE,
  pipeline    TEXT NOT NULL,
  plugin      TEXT NOT NULL,
  provider    TEXT NOT NULL,
  target      TEXT NOT NULL,
  sent_at     TEXT NOT NULL,
  duration_ms INTEGER NOT NULL,
  rows        INTEGER NOT NULL,
  columns     TEXT NOT NULL,
  ok          INTEGER NOT NULL,
  error       TEXT NOT NULL DEFAULT '',
  request_id  TEXT NOT NULL DEFAULT '');
CREATE INDEX pushes_by_pipeline ON pushes(pipeline, id);
CREATE INDEX pushes_by_run ON pushes(run_id);
)sql",
    // A dead letter keeps its record's attributes (RecordMeta::attributes), e.g. a queue
    // message's delivery history.
    R"sql(
ALTER TABLE dead_letters ADD COLUMN attributes TEXT NOT NULL DEFAULT '{}';
)sql",
};

constexpr const char* dead_letter_columns =
    "id, pipeline, stage, plugin, reason, payload, key, source, position, attempts, at, replayed, received_at, error, "
    "attributes";
constexpr const char* push_columns =
    "id, run_id, pipeline, plugin, provider, target, sent_at, duration_ms, rows, columns, ok, error, request_id";
constexpr const char* run_columns =
    "id, pipeline, started, finished, plugins, read, written, invalid, failed, columns, outcome, error, released, "
    "pid, host, last_seen";

class Connection {
public:
    explicit Connection(const std::filesystem::path& file) : path_(file.string()) {
        const int rc = sqlite3_open_v2(path_.c_str(), &db_,
                                       SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
        if (rc != SQLITE_OK) {
            const std::string reason = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
            sqlite3_close(db_);
            throw std::runtime_error("cannot open state store " + path_ + ": " + reason);
        }
    }
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;
    ~Connection() { sqlite3_close_v2(db_); }
    [[nodiscard]] sqlite3* get() const noexcept { return db_; }
    [[nodiscard]] const std::string& path() const noexcept { return path_; }

private:
    std::string path_;
    sqlite3* db_ = nullptr;
};

class SqliteStateStore final : public StateStore {
public:
    SqliteStateStore(const std::filesystem::path& file, const StoreLimits& limits) : conn_(file), limits_(limits) {
        try {
            configure();
            migrate();
            interrupt_gone_runs();
        } catch (const sqlite::Error& e) {
            // The first statement is where SQLite notices a corrupt or read-only file.
            throw std::runtime_error("cannot open state store " + conn_.path() + ": " + e.reason());
        }
        prepare();
    }

    sdk::Positions positions(std::string_view pipeline) override {
        std::lock_guard lock(mutex_);
        sqlite::ResetGuard g(get_positions_);
        get_positions_.bind(1, pipeline);
        sdk::Positions out;
        while (get_positions_.step())
            out.emplace(get_positions_.text(0), get_positions_.text(1));
        return out;
    }
    void commit_positions(std::string_view pipeline, std::span<const sdk::Committed> positions,
                          std::span<const std::string> drops, const RunBeat& beat) override {
        if (positions.empty() && drops.empty() && beat.run_id == 0) return;
        std::lock_guard lock(mutex_);
        const auto now = format_utc_ms(Clock::now());
        sqlite::Transaction tx(db(), conn_.path());
        for (const auto& partition : drops) {
            sqlite::ResetGuard g(drop_position_);
            drop_position_.bind(1, pipeline).bind(2, partition).run();
        }
        for (const auto& c : positions) {
            sqlite::ResetGuard g(put_position_);
            put_position_.bind(1, pipeline).bind(2, c.partition).bind(3, c.offset).bind(4, now).run();
        }
        if (beat.run_id != 0) bind_beat(beat, now).run();
        tx.commit();
    }
    void drop_position(std::string_view pipeline, std::string_view partition) override {
        std::lock_guard lock(mutex_);
        sqlite::ResetGuard g(drop_position_);
        drop_position_.bind(1, pipeline).bind(2, partition).run();
    }
    void reset_positions(std::string_view pipeline) override {
        std::lock_guard lock(mutex_);
        sqlite::ResetGuard g(erase_positions_);
        erase_positions_.bind(1, pipeline).run();
    }

    std::optional<std::string> kv_get(std::string_view scope, std::string_view key) override {
        std::lock_guard lock(mutex_);
        sqlite::ResetGuard g(kv_get_);
        kv_get_.bind(1, scope).bind(2, key);
        if (!kv_get_.step()) return std::nullopt;
        return kv_get_.text(0);
    }
    void kv_put(std::string_view scope, std::string_view key, std::string_view value) override {
        std::lock_guard lock(mutex_);
        sqlite::ResetGuard g(kv_put_);
        kv_put_.bind(1, scope).bind(2, key).bind(3, value).run();
    }
    void kv_erase(std::string_view scope, std::string_view key) override {
        std::lock_guard lock(mutex_);
        sqlite::ResetGuard g(kv_erase_);
        kv_erase_.bind(1, scope).bind(2, key).run();
    }

    void add_dead_letters(std::vector<DeadLetter>& letters) override {
        if (letters.empty()) return;
        std::lock_guard lock(mutex_);
        sqlite::Transaction tx(db(), conn_.path());
        std::vector<std::int64_t> ids;
        ids.reserve(letters.size());
        for (const auto& l : letters) {
            sqlite::ResetGuard g(add_dead_letter_);
            add_dead_letter_.bind(1, l.pipeline)
                .bind(2, l.stage)
                .bind(3, l.plugin)
                .bind(4, l.reason)
                .bind(5, sdk::to_json_text(l.payload))
                .bind(6, l.meta.key)
                .bind(7, l.meta.source)
                .bind(8, l.meta.position)
                .bind(9, static_cast<std::int64_t>(l.meta.attempts))
                .bind(10, format_utc_ms(l.at == Clock::time_point{} ? Clock::now() : l.at))
                .bind(11, static_cast<std::int64_t>(l.replayed ? 1 : 0))
                .bind(12, format_utc_ms(l.meta.received_at))
                .bind(13, l.meta.error)
                .bind(14, sdk::to_json_text(l.meta.attributes))
                .run();
            ids.push_back(sqlite3_last_insert_rowid(db()));
        }
        tx.commit();
        // Only once durable: a failed commit leaves the callers' letters untouched.
        for (std::size_t i = 0; i < letters.size(); ++i)
            letters[i].id = ids[i];
    }

    std::vector<DeadLetter> dead_letters(std::string_view pipeline, bool include_replayed, std::size_t limit) override {
        std::lock_guard lock(mutex_);
        sqlite::ResetGuard g(list_dead_letters_);
        list_dead_letters_.bind(1, pipeline)
            .bind(2, static_cast<std::int64_t>(include_replayed ? 1 : 0))
            .bind(3, sql_limit(limit));
        std::vector<DeadLetter> out;
        while (list_dead_letters_.step()) {
            const auto& s = list_dead_letters_;
            DeadLetter d;
            d.id = s.integer(0);
            d.pipeline = s.text(1);
            d.stage = s.text(2);
            d.plugin = s.text(3);
            d.reason = s.text(4);
            d.payload = object_from_json(s.text(5));
            d.meta.key = s.text(6);
            d.meta.source = s.text(7);
            d.meta.position = s.text(8);
            d.meta.attempts = static_cast<std::uint32_t>(s.integer(9));
            d.at = parse_time(s.text(10));
            d.replayed = s.integer(11) != 0;
            d.meta.received_at = parse_time(s.text(12));
            d.meta.error = s.text(13);
            d.meta.attributes = object_from_json(s.text(14));
            out.push_back(std::move(d));
        }
        return out;
    }

    void mark_replayed(const std::vector<std::int64_t>& ids) override {
        if (ids.empty()) return;
        std::lock_guard lock(mutex_);
        sqlite::Transaction tx(db(), conn_.path());
        for (const auto id : ids) {
            sqlite::ResetGuard g(mark_replayed_);
            mark_replayed_.bind(1, id).run();
        }
        tx.commit();
    }

    std::size_t count_dead_letters(std::string_view pipeline) override {
        std::lock_guard lock(mutex_);
        sqlite::ResetGuard g(count_dead_letters_);
        count_dead_letters_.bind(1, pipeline);
        return count_dead_letters_.step() ? static_cast<std::size_t>(count_dead_letters_.integer(0)) : 0;
    }

    std::size_t resolve_dead_letters(std::string_view pipeline, const std::vector<std::int64_t>& ids) override {
        if (ids.empty()) return 0;
        std::lock_guard lock(mutex_);
        sqlite::Transaction tx(db(), conn_.path());
        std::size_t changed = 0;
        for (const auto id : ids) {
            sqlite::ResetGuard g(resolve_dead_letter_);
            resolve_dead_letter_.bind(1, id).bind(2, pipeline).run();
            changed += static_cast<std::size_t>(sqlite3_changes(db()));
        }
        tx.commit();
        return changed;
    }

    std::int64_t begin_run(RunRecord& run) override {
        std::lock_guard lock(mutex_);
        if (run.started == Clock::time_point{}) run.started = Clock::now();
        const auto& self = self_identity();
        run.pid = self.pid;
        run.host = self.host;
        run.last_seen = Clock::now();
        sqlite::ResetGuard g(begin_run_);
        begin_run_.bind(1, run.pipeline)
            .bind(2, format_utc_ms(run.started))
            .bind(3, to_json(run.plugins))
            .bind(4, to_json(run.columns))
            .bind(5, run.outcome)
            .bind(6, self.pid)
            .bind(7, self.host)
            .bind(8, self.boot_id)
            .bind(9, self.start)
            .bind(10, format_utc_ms(*run.last_seen))
            .run();
        run.id = sqlite3_last_insert_rowid(db());
        return run.id;
    }

    void heartbeat_run(const RunBeat& beat) override {
        if (beat.run_id == 0) return;
        std::lock_guard lock(mutex_);
        bind_beat(beat, format_utc_ms(Clock::now())).run();
    }

    void interrupt_own_runs(std::string_view error) noexcept override {
        // Not through conn_: its mutex may be held by a thread that never gets to let go.
        sqlite3* db = nullptr;
        if (sqlite3_open_v2(conn_.path().c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr) ==
            SQLITE_OK) {
            sqlite3_busy_timeout(db, 1000);
            sqlite3_stmt* st = nullptr;
            const auto& self = self_identity();
            const auto now = format_utc_ms(Clock::now());
            if (sqlite3_prepare_v2(db,
                                   "UPDATE runs SET outcome = 'interrupted', finished = ?1, last_seen = ?1, error = ?2 "
                                   "WHERE outcome = 'running' AND pid = ?3 AND host = ?4 AND boot_id = ?5",
                                   -1, &st, nullptr) == SQLITE_OK) {
                sqlite3_bind_text(st, 1, now.c_str(), -1, SQLITE_TRANSIENT);
                sqlite3_bind_text(st, 2, error.data(), static_cast<int>(error.size()), SQLITE_TRANSIENT);
                sqlite3_bind_int64(st, 3, self.pid);
                sqlite3_bind_text(st, 4, self.host.c_str(), -1, SQLITE_TRANSIENT);
                sqlite3_bind_text(st, 5, self.boot_id.c_str(), -1, SQLITE_TRANSIENT);
                sqlite3_step(st);
            }
            sqlite3_finalize(st);
        }
        sqlite3_close_v2(db);
    }

    void finish_run(const RunRecord& run) override {
        std::lock_guard lock(mutex_);
        sqlite::ResetGuard g(finish_run_);
        finish_run_.bind(1, format_utc_ms(run.finished.value_or(Clock::now())))
            .bind(2, to_json(run.plugins))
            .bind(3, static_cast<std::int64_t>(run.read))
            .bind(4, static_cast<std::int64_t>(run.written))
            .bind(5, static_cast<std::int64_t>(run.invalid))
            .bind(6, static_cast<std::int64_t>(run.failed))
            .bind(7, to_json(run.columns))
            .bind(8, run.outcome)
            .bind(9, run.error)
            .bind(10, run.id)
            .bind(11, static_cast<std::int64_t>(run.released))
            .run();
        if (sqlite3_changes(db()) == 0)
            throw std::runtime_error("state store " + conn_.path() + ": no run with id " + std::to_string(run.id));
    }

    static RunRecord run_of(const Statement& s) {
        RunRecord r;
        r.id = s.integer(0);
        r.pipeline = s.text(1);
        r.started = parse_time(s.text(2));
        if (auto f = s.optional_text(3)) r.finished = parse_time(*f);
        r.plugins = strings_from_json(s.text(4));
        r.read = static_cast<std::uint64_t>(s.integer(5));
        r.written = static_cast<std::uint64_t>(s.integer(6));
        r.invalid = static_cast<std::uint64_t>(s.integer(7));
        r.failed = static_cast<std::uint64_t>(s.integer(8));
        r.columns = strings_from_json(s.text(9));
        r.outcome = s.text(10);
        r.error = s.text(11);
        r.released = static_cast<std::uint64_t>(s.integer(12));
        r.pid = s.integer(13);
        r.host = s.text(14);
        if (auto seen = s.optional_text(15)) r.last_seen = parse_time(*seen);
        return r;
    }

    std::vector<RunRecord> runs(std::optional<std::string_view> pipeline, std::size_t limit) override {
        std::lock_guard lock(mutex_);
        auto& s = pipeline ? list_runs_of_ : list_runs_;
        sqlite::ResetGuard g(s);
        int next = 1;
        if (pipeline) s.bind(next++, *pipeline);
        s.bind(next, sql_limit(limit));
        std::vector<RunRecord> out;
        while (s.step())
            out.push_back(run_of(s));
        return out;
    }

    std::optional<RunRecord> run(std::int64_t id) override {
        std::lock_guard lock(mutex_);
        sqlite::ResetGuard g(get_run_);
        get_run_.bind(1, id);
        if (!get_run_.step()) return std::nullopt;
        return run_of(get_run_);
    }

    void record_push(PushRecord& rec) override {
        std::lock_guard lock(mutex_);
        const auto& p = rec.push;
        sqlite::Transaction tx(db(), conn_.path());
        {
            sqlite::ResetGuard g(add_push_);
            if (rec.run_id != 0)
                add_push_.bind(1, rec.run_id);
            else
                add_push_.bind_null(1);
            add_push_.bind(2, rec.pipeline)
                .bind(3, rec.plugin)
                .bind(4, p.provider)
                .bind(5, p.target)
                .bind(6, format_utc_ms(p.sent_at == Clock::time_point{} ? Clock::now() : p.sent_at))
                .bind(7, static_cast<std::int64_t>(p.duration.count()))
                .bind(8, static_cast<std::int64_t>(p.rows))
                .bind(9, to_json(p.columns))
                .bind(10, std::int64_t{p.ok ? 1 : 0})
                .bind(11, p.error)
                .bind(12, p.request_id)
                .step();
        }
        rec.id = sqlite3_last_insert_rowid(db());
        // Ids only grow (AUTOINCREMENT), so this keeps at most max_pushes rows, one range delete.
        if (limits_.max_pushes > 0 && rec.id > static_cast<std::int64_t>(limits_.max_pushes)) {
            sqlite::ResetGuard g(trim_pushes_);
            trim_pushes_.bind(1, rec.id - static_cast<std::int64_t>(limits_.max_pushes)).step();
        }
        tx.commit();
    }

    std::vector<PushRecord> pushes(std::optional<std::string_view> pipeline, std::size_t limit) override {
        std::lock_guard lock(mutex_);
        auto& s = pipeline ? list_pushes_of_ : list_pushes_;
        sqlite::ResetGuard g(s);
        int next = 1;
        if (pipeline) s.bind(next++, *pipeline);
        s.bind(next, sql_limit(limit));
        std::vector<PushRecord> out;
        while (s.step()) {
            PushRecord r;
            r.id = s.integer(0);
            r.run_id = s.integer(1);  // NULL reads as 0
            r.pipeline = s.text(2);
            r.plugin = s.text(3);
            r.push.provider = s.text(4);
            r.push.target = s.text(5);
            r.push.sent_at = parse_time(s.text(6));
            r.push.duration = std::chrono::milliseconds(s.integer(7));
            r.push.rows = static_cast<std::uint64_t>(s.integer(8));
            r.push.columns = strings_from_json(s.text(9));
            r.push.ok = s.integer(10) != 0;
            r.push.error = s.text(11);
            r.push.request_id = s.text(12);
            out.push_back(std::move(r));
        }
        return out;
    }

    std::optional<RunHolder> claim_run(RunRecord& run) override {
        std::lock_guard lock(mutex_);
        const auto& self = self_identity();
        sqlite::Transaction tx(db(), conn_.path());
        // After the lock is ours: a run that held the pipeline has finished before this
        // one starts, in the history's times too (BEGIN IMMEDIATE may wait for the lock).
        const auto now = Clock::now();
        std::vector<std::pair<std::int64_t, std::int64_t>> gone;  // run id, pid
        std::optional<RunHolder> holder;
        {
            sqlite::ResetGuard g(running_of_);
            running_of_.bind(1, run.pipeline);
            while (!holder && running_of_.step()) {
                const auto& s = running_of_;
                const auto host = s.text(2);
                bool alive = true;
                if (host == self.host) {
                    alive = !owner_gone(s.integer(1), s.text(3), s.integer(4));
                } else if (auto seen = s.optional_text(6)) {
                    alive = now - parse_time(*seen) < other_host_stale;
                }
                if (alive)
                    holder = RunHolder{
                        .run_id = s.integer(0), .pid = s.integer(1), .host = host, .started = parse_time(s.text(5))};
                else if (host == self.host)
                    gone.emplace_back(s.integer(0), s.integer(1));
            }
        }
        if (holder) return holder;  // the transaction rolls back: nothing written
        for (const auto& [id, pid] : gone) {
            sqlite::ResetGuard g(interrupt_run_);
            interrupt_run_.bind(1, id).bind(2, gone_reason(pid, self.host)).run();
        }
        run.started = now;
        run.pid = self.pid;
        run.host = self.host;
        run.last_seen = now;
        {
            sqlite::ResetGuard g(begin_run_);
            begin_run_.bind(1, run.pipeline)
                .bind(2, format_utc_ms(run.started))
                .bind(3, to_json(run.plugins))
                .bind(4, to_json(run.columns))
                .bind(5, std::string_view("running"))
                .bind(6, self.pid)
                .bind(7, self.host)
                .bind(8, self.boot_id)
                .bind(9, self.start)
                .bind(10, format_utc_ms(now))
                .run();
        }
        run.id = sqlite3_last_insert_rowid(db());
        run.outcome = "running";
        tx.commit();
        return std::nullopt;
    }

    void discard_run(std::int64_t id) override {
        std::lock_guard lock(mutex_);
        sqlite::ResetGuard g(discard_run_);
        discard_run_.bind(1, id).run();
    }

private:
    [[nodiscard]] sqlite3* db() const noexcept { return conn_.get(); }

    void configure() {
        // Another process (the CLI listing dead letters) may hold the lock briefly.
        sqlite3_busy_timeout(db(), 5000);
        sqlite::exec(db(), "PRAGMA journal_mode=WAL", conn_.path(), "cannot enable WAL");
        sqlite::exec(db(), "PRAGMA synchronous=FULL", conn_.path(), "cannot set synchronous");
        sqlite::exec(db(), "PRAGMA foreign_keys=ON", conn_.path(), "cannot set foreign_keys");
    }

    void migrate() {
        // BEGIN IMMEDIATE also proves the file is writable before anyone relies on it.
        sqlite::Transaction tx(db(), conn_.path());
        Statement get(db(), "PRAGMA user_version", conn_.path());
        get.step();
        const auto version = get.integer(0);
        get.reset();
        if (version > static_cast<std::int64_t>(migrations.size()))
            throw sqlite::Error(conn_.path(), {},
                                "its schema version " + std::to_string(version) + " is newer than this build knows (" +
                                    std::to_string(migrations.size()) + "): use a newer junction");
        for (auto v = static_cast<std::size_t>(version); v < migrations.size(); ++v)
            sqlite::exec(db(), migrations[v], conn_.path(), "cannot migrate the schema");
        const std::string set = "PRAGMA user_version=" + std::to_string(migrations.size());
        sqlite::exec(db(), set.c_str(), conn_.path(), "cannot set the schema version");
        tx.commit();
    }

    // A run row stays `running` when its process dies: find those whose process of this
    // host is gone and say so. Rows of another host cannot be checked and are left alone.
    void interrupt_gone_runs() {
        struct Gone {
            std::int64_t id;
            std::string reason;
        };
        std::vector<Gone> gone;
        {
            Statement s(db(), "SELECT id, pid, host, boot_id, process_start FROM runs WHERE outcome = 'running'",
                        conn_.path());
            while (s.step()) {
                const auto host = s.text(2);
                if (host != self_identity().host) continue;
                if (owner_gone(s.integer(1), s.text(3), s.integer(4)))
                    gone.push_back({s.integer(0), gone_reason(s.integer(1), host)});
            }
        }
        if (gone.empty()) return;
        sqlite::Transaction tx(db(), conn_.path());
        Statement mark(db(),
                       "UPDATE runs SET outcome = 'interrupted', finished = COALESCE(last_seen, started), error = ?2 "
                       "WHERE id = ?1 AND outcome = 'running'",
                       conn_.path());
        for (const auto& g : gone) {
            sqlite::ResetGuard r(mark);
            mark.bind(1, g.id).bind(2, g.reason).run();
        }
        tx.commit();
    }

    Statement& bind_beat(const RunBeat& beat, const std::string& now) {
        return heartbeat_run_.bind(1, beat.run_id)
            .bind(2, now)
            .bind(3, static_cast<std::int64_t>(beat.read))
            .bind(4, static_cast<std::int64_t>(beat.written))
            .bind(5, static_cast<std::int64_t>(beat.invalid))
            .bind(6, static_cast<std::int64_t>(beat.released));
    }

    void prepare() {
        const auto& p = conn_.path();
        get_positions_ =
            Statement(db(), "SELECT partition, position FROM partition_positions WHERE pipeline = ?1", p);
        put_position_ = Statement(db(),
                                  "INSERT INTO partition_positions(pipeline, partition, position, updated_at) "
                                  "VALUES(?1, ?2, ?3, ?4) ON CONFLICT(pipeline, partition) DO UPDATE SET "
                                  "position = excluded.position, updated_at = excluded.updated_at",
                                  p);
        drop_position_ = Statement(db(), "DELETE FROM partition_positions WHERE pipeline = ?1 AND partition = ?2", p);
        erase_positions_ = Statement(db(), "DELETE FROM partition_positions WHERE pipeline = ?1", p);
        kv_get_ = Statement(db(), "SELECT value FROM kv WHERE scope = ?1 AND key = ?2", p);
        kv_put_ = Statement(db(),
                            "INSERT INTO kv(scope, key, value) VALUES(?1, ?2, ?3) "
                            "ON CONFLICT(scope, key) DO UPDATE SET value = excluded.value",
                            p);
        kv_erase_ = Statement(db(), "DELETE FROM kv WHERE scope = ?1 AND key = ?2", p);
        add_dead_letter_ = Statement(db(),
                                     "INSERT INTO dead_letters(pipeline, stage, plugin, reason, payload, key, source, "
                                     "position, attempts, at, replayed, received_at, error, attributes) "
                                     "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                                     p);
        list_dead_letters_ = Statement(db(),
                                       std::string("SELECT ") + dead_letter_columns +
                                           " FROM dead_letters WHERE pipeline = ?1 AND (?2 OR replayed = 0) "
                                           "ORDER BY id DESC LIMIT ?3",
                                       p);
        mark_replayed_ = Statement(db(), "UPDATE dead_letters SET replayed = 1 WHERE id = ?1", p);
        count_dead_letters_ =
            Statement(db(), "SELECT count(*) FROM dead_letters WHERE pipeline = ?1 AND replayed = 0", p);
        resolve_dead_letter_ = Statement(
            db(), "UPDATE dead_letters SET replayed = 1 WHERE id = ?1 AND pipeline = ?2 AND replayed = 0", p);
        begin_run_ = Statement(db(),
                               "INSERT INTO runs(pipeline, started, plugins, columns, outcome, pid, host, boot_id, "
                               "process_start, last_seen) VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                               p);
        // Only while running: a beat that comes after the end changes nothing.
        heartbeat_run_ = Statement(db(),
                                   "UPDATE runs SET last_seen = ?2, read = ?3, written = ?4, invalid = ?5, "
                                   "released = ?6 WHERE id = ?1 AND outcome = 'running'",
                                   p);
        finish_run_ = Statement(db(),
                                "UPDATE runs SET finished = ?1, plugins = ?2, read = ?3, written = ?4, invalid = ?5, "
                                "failed = ?6, columns = ?7, outcome = ?8, error = ?9, released = ?11, last_seen = ?1 "
                                "WHERE id = ?10",
                                p);
        list_runs_ = Statement(db(), std::string("SELECT ") + run_columns + " FROM runs ORDER BY id DESC LIMIT ?1", p);
        running_of_ = Statement(db(),
                                "SELECT id, pid, host, boot_id, process_start, started, last_seen FROM runs "
                                "WHERE outcome = 'running' AND pipeline = ?1 ORDER BY id",
                                p);
        interrupt_run_ = Statement(db(),
                                   "UPDATE runs SET outcome = 'interrupted', finished = COALESCE(last_seen, started), "
                                   "error = ?2 WHERE id = ?1 AND outcome = 'running'",
                                   p);
        discard_run_ = Statement(db(), "DELETE FROM runs WHERE id = ?1 AND outcome = 'running'", p);
        get_run_ = Statement(db(), std::string("SELECT ") + run_columns + " FROM runs WHERE id = ?1", p);
        list_runs_of_ = Statement(
            db(), std::string("SELECT ") + run_columns + " FROM runs WHERE pipeline = ?1 ORDER BY id DESC LIMIT ?2", p);
        add_push_ = Statement(db(),
                              "INSERT INTO pushes(run_id, pipeline, plugin, provider, target, sent_at, duration_ms, "
                              "rows, columns, ok, error, request_id) "
                              "VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                              p);
        trim_pushes_ = Statement(db(), "DELETE FROM pushes WHERE id <= ?1", p);
        list_pushes_ =
            Statement(db(), std::string("SELECT ") + push_columns + " FROM pushes ORDER BY id DESC LIMIT ?1", p);
        list_pushes_of_ = Statement(
            db(), std::string("SELECT ") + push_columns + " FROM pushes WHERE pipeline = ?1 ORDER BY id DESC LIMIT ?2",
            p);
    }

    Connection conn_;
    std::mutex mutex_;
    Statement get_positions_, put_position_, drop_position_, erase_positions_;
    Statement kv_get_, kv_put_, kv_erase_;
    Statement add_dead_letter_, list_dead_letters_, mark_replayed_, count_dead_letters_, resolve_dead_letter_;
    Statement begin_run_, heartbeat_run_, finish_run_, list_runs_, list_runs_of_, get_run_;
    Statement add_push_, trim_pushes_, list_pushes_, list_pushes_of_;
    StoreLimits limits_;
    Statement running_of_, interrupt_run_, discard_run_;
};

}  // namespace

std::unique_ptr<StateStore> StateStore::open(const std::filesystem::path& file, const StoreLimits& limits) {
    return std::make_unique<SqliteStateStore>(file, limits);
}

}  // namespace junction::core
