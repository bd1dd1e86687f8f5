// "testqueue": a reader that behaves as a queue for the engine's tests: it redelivers
// what the engine releases (after the delay, with the delivery count raised), holds a
// lease on what is in flight (keep_alive counts the extensions), and ends the run once
// every message is settled. Its counts go to the state store at close.
#include <chrono>
#include <deque>
#include <map>
#include <string>

#include <junction/sdk/sdk.hpp>

namespace sdk = junction::sdk;
using sdk::OptionType;

namespace {

class QueueReader final : public sdk::Reader {
public:
    sdk::Status open(sdk::Context& c) override {
        ctx_ = &c;
        const auto count = c.options().get_int("count");
        for (std::int64_t n = 0; n < count; ++n)
            ready_.push_back({n, 0, {}});
        lease_ = std::chrono::milliseconds(c.options().get_int("lease_ms"));
        delay_ = std::chrono::milliseconds(c.options().get_int("delay_ms"));
        return sdk::Status::ok();
    }
    sdk::Status read(sdk::Batch& out, std::size_t max, bool& end) override {
        if (delay_.count() > 0) ctx_->clock().sleep_for(delay_);
        const auto now = std::chrono::steady_clock::now();
        for (auto it = ready_.begin(); it != ready_.end() && out.size() < max;) {
            if (it->visible_at > now) {
                ++it;
                continue;
            }
            sdk::Record r;
            r.payload = {{"n", it->n}};
            r.meta.key = std::to_string(it->n);
            r.meta.source = "testqueue";
            r.meta.attempts = it->attempts + 1;
            in_flight_.emplace(it->n, it->attempts + 1);
            out.push_back(std::move(r));
            it = ready_.erase(it);
        }
        ++delivered_;
        end = ready_.empty() && in_flight_.empty();
        return sdk::Status::ok();
    }
    sdk::Status acknowledge(const sdk::Acknowledgements& acks) override {
        for (const auto& a : acks.records()) {
            const auto n = std::stoll(a.meta.key);
            const auto attempts = in_flight_[n];
            in_flight_.erase(n);
            switch (a.outcome) {
                case sdk::Outcome::written:
                    ++written_;
                    break;
                case sdk::Outcome::rejected:
                    ++rejected_;
                    break;
                case sdk::Outcome::released:
                    ++released_;
                    ready_.push_back({n, attempts, std::chrono::steady_clock::now() + a.redeliver_after});
                    break;
            }
        }
        return sdk::Status::ok();
    }
    sdk::Status keep_alive() override {
        if (!in_flight_.empty()) ++keep_alives_;
        return sdk::Status::ok();
    }
    std::chrono::milliseconds keep_alive_interval() const noexcept override { return lease_; }
    sdk::Status close() override {
        if (ctx_ == nullptr) return sdk::Status::ok();
        auto& kv = ctx_->state();
        kv.put("written", std::to_string(written_));
        kv.put("rejected", std::to_string(rejected_));
        kv.put("released", std::to_string(released_));
        kv.put("keep_alives", std::to_string(keep_alives_));
        kv.put("left", std::to_string(ready_.size() + in_flight_.size()));
        return sdk::Status::ok();
    }

private:
    struct Message {
        std::int64_t n;
        std::uint32_t attempts;
        std::chrono::steady_clock::time_point visible_at;
    };
    sdk::Context* ctx_ = nullptr;
    std::deque<Message> ready_;
    std::map<std::int64_t, std::uint32_t> in_flight_;  // n -> deliveries
    std::chrono::milliseconds lease_{0}, delay_{0};
    std::uint64_t written_ = 0, rejected_ = 0, released_ = 0, keep_alives_ = 0, delivered_ = 0;
};

class Factory final : public sdk::PluginFactory {
public:
    sdk::PluginInfo info() const override {
        return {.description = "engine test queue: redelivers released messages, keeps leases",
                .status = sdk::Maturity::experimental,
                .components = {{.kind = sdk::Kind::reader,
                                .description = "messages {n}",
                                .options = {{.name = "count", .type = OptionType::integer, .default_value = 10},
                                            {.name = "lease_ms", .type = OptionType::integer, .default_value = 0},
                                            {.name = "delay_ms", .type = OptionType::integer, .default_value = 0}},
                                .redelivers = true}}};
    }
    std::unique_ptr<sdk::Component> create(sdk::Kind kind) override {
        if (kind == sdk::Kind::reader) return std::make_unique<QueueReader>();
        return nullptr;
    }
};

}  // namespace

JUNCTION_PLUGIN(Factory, "testqueue", "0.1.0")
