// "testkit": a plugin for the engine's tests. Its reader generates numbered records,
// its translator can reject and jitter, its writer appends NDJSON and can be told to
// fail, so every failure path of the engine can be driven from a config file.
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <random>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include <boost/json/serialize.hpp>
#include <junction/sdk/sdk.hpp>

namespace sdk = junction::sdk;
using sdk::OptionType;

namespace {

class GenerateReader final : public sdk::Reader {
public:
    sdk::Status open(sdk::Context& c) override {
        ctx_ = &c;
        const auto& o = c.options();
        next_ = o.get_int("start");
        end_ = next_ + o.get_int("count");
        partitions_ = o.get_int("partitions");
        // Each partition resumes after its own committed record: start at the earliest.
        if (partitions_ <= 1) {
            if (auto pos = c.committed_position()) next_ = std::stoll(*pos);
        } else {
            std::int64_t earliest = end_;
            for (std::int64_t p = 0; p < partitions_; ++p) {
                const auto pos = c.committed_position(partition_name(p));
                resume_.push_back(pos ? std::stoll(*pos) : next_);
                earliest = std::min(earliest, resume_.back());
            }
            next_ = std::max(next_, earliest);
        }
        delay_ = std::chrono::milliseconds(o.get_int("delay_ms"));
        error_every_ = o.get_int("error_every");
        if (o.has("fetch")) {  // the host's HTTP client and credentials, through the context
            sdk::HttpRequest request;
            request.url = o.get_string("fetch");
            request.connection = o.get_string("connection");
            sdk::HttpResponse response;
            auto st = c.http().send(request, response);
            if (!st.is_ok()) return st;
            c.state().put("fetched", response.body);
        }
        return sdk::Status::ok();
    }
    sdk::Status read(sdk::Batch& out, std::size_t max, bool& end) override {
        if (delay_.count() > 0) std::this_thread::sleep_for(delay_);
        for (std::size_t i = 0; i < max && next_ < end_ && !ctx_->stop_requested(); ++next_) {
            const std::int64_t part = partitions_ > 1 ? next_ % partitions_ : 0;
            if (partitions_ > 1 && next_ < resume_[static_cast<std::size_t>(part)]) continue;  // committed already
            ++i;
            sdk::Record r;
            r.meta.partition = partitions_ > 1 ? partition_name(part) : "";
            r.payload = {
                {"n", next_}, {"key", std::to_string(next_ % 10)}, {"text", "record " + std::to_string(next_)}};
            r.meta.key = std::to_string(next_ % 10);
            r.meta.source = "testkit";
            r.meta.position = std::to_string(next_ + 1);
            if (error_every_ > 0 && next_ % error_every_ == 0)
                r.meta.error = "unreadable input #" + std::to_string(next_);
            out.push_back(std::move(r));
        }
        read_ += out.size();
        max_in_flight_ = std::max(max_in_flight_, read_ - acked_);
        end = next_ >= end_;
        return sdk::Status::ok();
    }
    sdk::Status acknowledge(const sdk::Acknowledgements& acks) override {
        acked_ += acks.records().size();
        for (const auto& a : acks.records())
            if (a.outcome == sdk::Outcome::rejected) ++rejected_;
        // What the engine says it committed must be the last position of each partition.
        for (const auto& c : acks.committed()) {
            std::string last;
            for (const auto& a : acks.records())
                if (a.meta.partition == c.partition) last = a.meta.position;
            if (last != c.offset) ++commit_mismatches_;
        }
        return sdk::Status::ok();
    }
    sdk::Status close() override {
        if (ctx_ != nullptr) {
            ctx_->state().put("max_in_flight", std::to_string(max_in_flight_));
            ctx_->state().put("acked", std::to_string(acked_));
            ctx_->state().put("acked_rejected", std::to_string(rejected_));
            ctx_->state().put("commit_mismatches", std::to_string(commit_mismatches_));
        }
        return sdk::Status::ok();
    }

private:
    sdk::Context* ctx_ = nullptr;
    std::int64_t next_ = 0, end_ = 0, error_every_ = 0;
    std::uint64_t read_ = 0, acked_ = 0, rejected_ = 0, max_in_flight_ = 0, commit_mismatches_ = 0;
    std::int64_t partitions_ = 1;
    std::vector<std::int64_t> resume_;
    std::chrono::milliseconds delay_{0};

    static std::string partition_name(std::int64_t p) {
        std::string name = "p";  // not "p" + to_string(p): GCC 12 warns of a false -Wrestrict there
        name += std::to_string(p);
        return name;
    }
};

class CheckTranslator final : public sdk::Translator {
public:
    sdk::Status open(sdk::Context& c) override {
        reject_every_ = c.options().get_int("reject_every");
        jitter_us_ = c.options().get_int("jitter_us");
        fatal_at_ = c.options().get_int("fatal_at", -1);
        return sdk::Status::ok();
    }
    sdk::Status translate(sdk::Record& r) override {
        const auto n = r.payload.at("n").to_number<std::int64_t>();
        if (jitter_us_ > 0) {
            thread_local std::mt19937 rng{std::random_device{}()};
            std::this_thread::sleep_for(std::chrono::microseconds(rng() % jitter_us_));
        }
        if (n == fatal_at_) return sdk::Status::fatal("translator refuses record " + std::to_string(n));
        if (reject_every_ > 0 && n % reject_every_ == 0)
            return sdk::Status::reject("n=" + std::to_string(n) + " is divisible by " + std::to_string(reject_every_));
        r.payload["checked"] = true;
        return sdk::Status::ok();
    }

private:
    std::int64_t reject_every_ = 0, jitter_us_ = 0, fatal_at_ = -1;
};

class NdjsonWriter final : public sdk::Writer {
public:
    sdk::Status open(sdk::Context& c) override {
        const auto& o = c.options();
        std::string file = o.get_string("file");
        if (!file.empty() && file[0] != '/') file = (std::filesystem::path(std::string(c.base_dir())) / file).string();
        fd_ = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
        static std::map<std::string, std::set<std::int64_t>> released_by_file;
        static std::mutex released_mutex;
        {
            std::lock_guard lock(released_mutex);
            released_ = &released_by_file[file];
        }
        if (fd_ < 0) return sdk::Status::fatal("cannot open " + file);
        fail_first_ = o.get_int("fail_first");
        retry_after_ = o.get_int("retry_after_ms");
        fatal_at_ = o.get_int("fatal_at", -1);
        reject_every_ = o.get_int("reject_every");
        release_every_ = o.get_int("release_every");
        delay_ = std::chrono::milliseconds(o.get_int("delay_ms"));
        push_provider_ = o.get_string("push_provider");
        token_ = o.get_string("token");
        context_ = &c;
        if (o.get_bool("fail_open")) return sdk::Status::retry("testkit: open refused (fail_open)");
        return sdk::Status::ok();
    }
    sdk::Status write(std::span<const sdk::Record> batch, std::vector<sdk::Rejection>& rejected) override {
        const auto sent_at = std::chrono::system_clock::now();
        auto st = write_batch(batch, rejected);
        if (!push_provider_.empty()) {  // the push log, as a writer to an ingestion API keeps it
            std::set<std::string> names;
            for (const auto& r : batch)
                for (const auto& kv : r.payload)
                    names.emplace(kv.key());
            sdk::Push push{.provider = push_provider_,
                           .target = "numbers",
                           .sent_at = sent_at,
                           .duration = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now() - sent_at),
                           .rows = batch.size() - rejected.size(),
                           .columns = {names.begin(), names.end()},
                           .ok = st.is_ok(),
                           // A careless plugin's message with its secret in it: the host scrubs it.
                           .error = st.is_ok() ? "" : st.message() + (token_.empty() ? "" : " (token " + token_ + ")"),
                           .request_id = "req-" + std::to_string(calls_)};
            context_->pushes().record(push);
        }
        return st;
    }

private:
    sdk::Status write_batch(std::span<const sdk::Record> batch, std::vector<sdk::Rejection>& rejected) {
        if (delay_.count() > 0) std::this_thread::sleep_for(delay_);
        if (calls_++ < fail_first_)
            return sdk::Status::retry(
                "testkit: simulated outage " + std::to_string(calls_),
                retry_after_ > 0 ? std::optional(std::chrono::milliseconds(retry_after_)) : std::nullopt);
        std::string buf;
        for (std::size_t i = 0; i < batch.size(); ++i) {
            const auto n = batch[i].payload.at("n").to_number<std::int64_t>();
            if (n == fatal_at_)
                return sdk::Status::fatal("testkit: bad credentials (fatal_at " + std::to_string(n) + ")");
            if (reject_every_ > 0 && n % reject_every_ == 0) {
                rejected.push_back({i, "writer refuses n=" + std::to_string(n)});
                continue;
            }
            if (release_every_ > 0 && n % release_every_ == 0 && released_->insert(n).second) {
                rejected.push_back({i, "writer busy with n=" + std::to_string(n), std::chrono::milliseconds(1)});
                continue;
            }
            buf += boost::json::serialize(batch[i].payload);
            buf += '\n';
        }
        if (::write(fd_, buf.data(), buf.size()) != static_cast<ssize_t>(buf.size()))
            return sdk::Status::retry("testkit: short write");
        return sdk::Status::ok();
    }

public:
    sdk::Status flush() override { return ::fsync(fd_) == 0 ? sdk::Status::ok() : sdk::Status::retry("fsync failed"); }
    sdk::Status close() override {
        if (fd_ >= 0) ::close(fd_);
        fd_ = -1;
        return sdk::Status::ok();
    }

private:
    int fd_ = -1;
    std::int64_t calls_ = 0, fail_first_ = 0, retry_after_ = 0, fatal_at_ = -1, reject_every_ = 0, release_every_ = 0;
    // Each record is released once, then written: by every instance writing to the same
    // file in this process (a queue redelivers it to the next run's writer).
    std::set<std::int64_t>* released_ = nullptr;
    std::chrono::milliseconds delay_{0};
    std::string push_provider_, token_;
    sdk::Context* context_ = nullptr;
};

class Factory final : public sdk::PluginFactory {
public:
    sdk::PluginInfo info() const override {
        sdk::PluginInfo i;
        i.description = "engine test kit: numbered records, failures on demand";
        i.status = sdk::Maturity::experimental;
        i.components = {
            {.kind = sdk::Kind::reader,
             .description = "generates records {n, key, text}",
             .options = {{.name = "count", .type = OptionType::integer, .default_value = 100, .min = 0},
                         {.name = "start", .type = OptionType::integer, .default_value = 0},
                         {.name = "delay_ms", .type = OptionType::integer, .default_value = 0, .min = 0},
                         {.name = "error_every", .type = OptionType::integer, .default_value = 0, .min = 0},
                         {.name = "partitions", .type = OptionType::integer, .default_value = 1, .min = 1},
                         {.name = "fetch", .type = OptionType::string, .description = "a URL to GET at open"},
                         {.name = "connection", .type = OptionType::string}}},
            {.kind = sdk::Kind::translator,
             .description = "rejects multiples, jitters, can fail",
             .options = {{.name = "reject_every", .type = OptionType::integer, .default_value = 0, .min = 0},
                         {.name = "jitter_us", .type = OptionType::integer, .default_value = 0, .min = 0},
                         {.name = "fatal_at", .type = OptionType::integer, .default_value = -1}},
             .thread_safe = true},
            {.kind = sdk::Kind::writer,
             .description = "appends NDJSON to a file",
             .options = {{.name = "file", .type = OptionType::string, .required = true},
                         {.name = "fail_first", .type = OptionType::integer, .default_value = 0, .min = 0},
                         {.name = "retry_after_ms", .type = OptionType::integer, .default_value = 0, .min = 0},
                         {.name = "fatal_at", .type = OptionType::integer, .default_value = -1},
                         {.name = "reject_every", .type = OptionType::integer, .default_value = 0, .min = 0},
                         {.name = "release_every", .type = OptionType::integer, .default_value = 0, .min = 0},
                         {.name = "delay_ms", .type = OptionType::integer, .default_value = 0, .min = 0},
                         {.name = "fail_open", .type = OptionType::boolean, .default_value = false},
                         {.name = "token", .type = OptionType::string, .secret = true},
                         {.name = "push_provider",
                          .type = OptionType::string,
                          .description = "record each write in the push log as a push to this provider"}}}};
        return i;
    }
    std::unique_ptr<sdk::Component> create(sdk::Kind kind) override {
        switch (kind) {
            case sdk::Kind::reader:
                return std::make_unique<GenerateReader>();
            case sdk::Kind::translator:
                return std::make_unique<CheckTranslator>();
            case sdk::Kind::writer:
                return std::make_unique<NdjsonWriter>();
            case sdk::Kind::collection:  // not declared in its manifest
            case sdk::Kind::intake:
                break;
        }
        return nullptr;
    }
};

}  // namespace

JUNCTION_PLUGIN(Factory, "testkit", "0.1.0")
