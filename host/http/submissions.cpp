#include "submissions.hpp"

#include <unistd.h>
#include <csignal>
#include <thread>

#include <boost/json.hpp>
#include <junction/core/digest.hpp>
#include <junction/core/logging.hpp>
#include <junction/sdk/decimal.hpp>

namespace junction::http {
namespace json = boost::json;

namespace {

constexpr std::size_t max_key_length = 255;

// "application/json", with parameters ("; charset=utf-8") and in any case.
bool is_json(std::string_view content_type) {
    const auto semi = content_type.find(';');
    auto type = content_type.substr(0, semi);
    while (!type.empty() && (type.back() == ' ' || type.back() == '\t'))
        type.remove_suffix(1);
    static constexpr std::string_view want = "application/json";
    if (type.size() != want.size()) return false;
    for (std::size_t i = 0; i < want.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(type[i])) != want[i]) return false;
    return true;
}

// The Idempotency-Key's value: an sf-string ("...", as the draft defines the header) or,
// as clients commonly send it, the bare text; 1 to 255 printable ASCII characters.
std::optional<std::string> idempotency_key(std::string_view v) {
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
    if (v.empty() || v.size() > max_key_length) return std::nullopt;
    for (const char c : v)
        if (c < 0x20 || c > 0x7E || c == '"' || c == '\\') return std::nullopt;
    return std::string(v);
}

json::object problem_json(const core::SchemaProblem& p) {
    return {{"path", p.path}, {"message", p.message}};
}

Response invalid(const std::vector<core::SchemaProblem>& problems) {
    std::string message = "the submission has " + std::to_string(problems.size()) + " problems";
    if (problems.size() == 1) {
        const auto& p = problems.front();
        message = "the submission has 1 problem: " + (p.path.empty() ? "" : p.path + ": ") + p.message;
    }
    auto body = Response::error_body("invalid", message);
    json::array list;
    for (const auto& p : problems)
        list.push_back(problem_json(p));
    body["error"].as_object()["problems"] = std::move(list);
    return Response::json(400, body);
}

std::string location(const SubmissionRouteConfig& c, const std::string& id) {
    return "/api/v1/submissions/" + c.route + "/" + id;
}

// The answer to a stored or duplicate submission: the same text for the first request and
// for every replay of its key.
Response accepted(const SubmissionRouteConfig& c, const std::string& id, bool duplicate) {
    auto r = Response::json(duplicate ? 200 : 202,
                            json::object{{"id", id}, {"duplicate", duplicate}, {"location", location(c, id)}});
    r.headers.emplace_back("Location", location(c, id));
    return r;
}

core::IdentitySpec exact_spec() {
    std::vector<core::SchemaProblem> problems;
    return *core::IdentitySpec::compile(json::value("exact"), problems);
}

}  // namespace

class SubmissionRoute::KeyClaim {
public:
    KeyClaim(SubmissionRoute& route, std::string key) : route_(route), key_(std::move(key)) {
        if (key_.empty()) return;
        std::lock_guard lock(route_.in_flight_mutex_);
        held_ = route_.in_flight_.insert(key_).second;
    }
    ~KeyClaim() {
        if (key_.empty() || !held_) return;
        std::lock_guard lock(route_.in_flight_mutex_);
        route_.in_flight_.erase(key_);
    }
    KeyClaim(const KeyClaim&) = delete;
    KeyClaim& operator=(const KeyClaim&) = delete;
    // False when another request holds the key.
    [[nodiscard]] bool held() const noexcept { return key_.empty() || held_; }

private:
    SubmissionRoute& route_;
    std::string key_;
    bool held_ = false;
};

SubmissionRoute::SubmissionRoute(const SubmissionRouteConfig& config, const core::ResolvedStage& stage,
                                 core::StateStore& store, core::HostServices& services, std::filesystem::path base_dir,
                                 std::stop_token stop, std::size_t max_instances, IntakeFault fault)
    : config_(config),
      stage_(stage),
      store_(store),
      services_(services),
      base_dir_(std::move(base_dir)),
      stop_(stop),
      fault_(fault),
      exact_(exact_spec()),
      pool_(max_instances,
            [this](sdk::Status& status) {
                auto c = core::OpenedIntake::open(stage_, "submissions/" + config_.route, base_dir_, store_, services_,
                                                  stop_, status);
                if (!c)
                    core::log_warn("http: submissions " + config_.route + " (" + config_.plugin +
                                   ") cannot be opened: " + status.message());
                return c;
            }),
      metrics_(services.metrics()) {}

SubmissionRoute::~SubmissionRoute() = default;

Response SubmissionRoute::count(Response r, const char* result) {
    metrics_
        .counter("submissions_total",  // exported as junction_submissions_total
                 "Submissions to intake routes, by result: stored, duplicate, replayed, invalid, key_reused, "
                 "in_flight, unsupported_media_type, failed",
                 {{"route", config_.route}, {"result", result}})
        .add();
    return r;
}

Response SubmissionRoute::submit(const Request& req) {
    const auto content_type = req.header("content-type");
    if (!content_type || !is_json(*content_type))
        return count(Response::error(415, "unsupported_media_type",
                                     "send the submission as JSON, with Content-Type: application/json"),
                     "unsupported_media_type");
    std::string key;
    if (const auto h = req.header("idempotency-key")) {
        const auto parsed = idempotency_key(*h);
        if (!parsed)
            return count(Response::error(400, "bad_idempotency_key",
                                         "Idempotency-Key must be 1 to 255 printable ASCII characters (no quotes "
                                         "or backslashes inside), e.g. a UUID"),
                         "invalid");
        key = *parsed;
    } else if (config_.require_idempotency_key) {
        return count(Response::error(400, "idempotency_key_required",
                                     "this route needs an Idempotency-Key header: a unique value per submission, "
                                     "e.g. a UUID, sent again with each retry"),
                     "invalid");
    }

    // The numbers' own texts first: the schema's bounds, the checks and the identity
    // compare decimals exactly from them.
    std::error_code text_ec;
    const auto texts = sdk::number_texts(req.body, text_ec);
    boost::system::error_code ec;
    json::parse_options opts;
    opts.max_depth = 64;
    auto payload = text_ec ? json::value() : json::parse(req.body, ec, {}, opts);
    if (text_ec || ec)
        return count(invalid({{"", "is not JSON: " + (text_ec ? text_ec.message() : ec.message())}}), "invalid");
    if (!payload.is_object()) return count(invalid({{"", "must be a JSON object"}}), "invalid");
    std::vector<core::SchemaProblem> problems;
    if (config_.schema) problems = config_.schema->validate(payload, &texts);
    if (problems.empty())
        for (const auto& c : config_.checks)
            c.check(payload, &texts, problems);
    if (!problems.empty()) return count(invalid(problems), "invalid");
    // The request's fingerprint is the payload in substance ("exact", which takes any
    // value); without a declared identity it is the identity too.
    core::SchemaProblem problem;
    const auto fingerprint = exact_.key(payload, &texts, problem).value_or("");
    const auto identity = config_.identity ? config_.identity->key(payload, &texts, problem) : fingerprint;
    if (!identity) return count(invalid({problem}), "invalid");

    KeyClaim claim(*this, key);
    if (!claim.held()) {
        auto r = Response::error(409, "in_flight",
                                 "a request with this Idempotency-Key is still being processed: retry later");
        r.headers.emplace_back("Retry-After", "1");
        return count(std::move(r), "in_flight");
    }

    const auto now = std::chrono::system_clock::now();
    sdk::Submission s{.payload = std::move(payload.as_object()),
                      .identity = *identity,
                      .received_at = now,
                      .idempotency_key = key,
                      .fingerprint = fingerprint,
                      .keys_expire_before = now - config_.idempotency_window};
    if (fault_ == IntakeFault::kill_before_submit) ::kill(::getpid(), SIGKILL);
    if (fault_ == IntakeFault::slow_submit) std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    sdk::Status st;
    auto intake = pool_.acquire(st);
    if (!intake) return count(store_error(st, "submissions " + config_.route), "failed");
    sdk::Receipt receipt;
    st = intake->submit(s, receipt);
    pool_.release(std::move(intake));
    if (!st.is_ok()) {
        core::log_warn("http: submissions " + config_.route + ": " + st.message());
        return count(store_error(st, "submissions " + config_.route), "failed");
    }
    if (fault_ == IntakeFault::kill_after_submit) ::kill(::getpid(), SIGKILL);
    switch (receipt.admission) {
        case sdk::Admission::stored:
            return count(accepted(config_, receipt.id, false), "stored");
        case sdk::Admission::duplicate:
            return count(accepted(config_, receipt.id, true), "duplicate");
        case sdk::Admission::replayed: {
            auto r = accepted(config_, receipt.id, receipt.first_was_duplicate);
            r.headers.emplace_back("Idempotent-Replayed", "true");
            return count(std::move(r), "replayed");
        }
        case sdk::Admission::key_reused:
            break;
    }
    return count(Response::error(422, "idempotency_key_reused",
                                 "this Idempotency-Key was used for a different submission: use a new key for a "
                                 "new submission"),
                 "key_reused");
}

Response SubmissionRoute::get(const Request& req) {
    const auto it = req.params.find("id");
    const std::string id = it == req.params.end() ? "" : it->second;
    sdk::Status st;
    auto intake = pool_.acquire(st);
    if (!intake) return store_error(st, "submissions " + config_.route);
    std::optional<sdk::StoredSubmission> found;
    st = intake->find(id, found);
    pool_.release(std::move(intake));
    if (!st.is_ok()) return store_error(st, "submissions " + config_.route);
    if (!found) return Response::error(404, "not_found", "no submission " + id + " in " + config_.route);
    json::object body{
        {"id", found->id},
        {"route", config_.route},
        {"state", found->published ? "published" : "pending"},
        {"received_at", time_text(found->received_at)},
        {"published_at", found->published_at ? json::value(time_text(*found->published_at)) : json::value(nullptr)},
        {"identity", found->identity},
        {"payload", std::move(found->payload)}};
    return Response::json(200, body);
}

std::string SubmissionRoute::check() {
    sdk::Status st;
    auto intake = pool_.acquire(st);
    if (!intake) return "its store cannot be opened: " + st.message();
    pool_.release(std::move(intake));
    return {};
}

void add_submission_routes(Router& router, ApiContext& api, std::vector<std::unique_ptr<SubmissionRoute>>& routes) {
    for (auto& r : routes) {
        auto* route = r.get();
        const auto& cfg = route->config();
        router.add(Method::post, "/api/v1/submissions/" + cfg.route, cfg.scope,
                   "Submit to " + cfg.route + " (" + cfg.plugin +
                       "): JSON checked against the route's schema and checks; 202 stored, 200 a duplicate in "
                       "substance (its id), Idempotency-Key replays the first answer",
                   [route](Request& req) { return route->submit(req); });
        router.add(Method::get, "/api/v1/submissions/" + cfg.route + "/{id}", cfg.read_scope,
                   "One submission to " + cfg.route + ": its state (pending or published) and payload",
                   [route](Request& req) { return route->get(req); });
        api.readiness.push_back({"submissions " + cfg.route, [route] { return route->check(); }});
    }
}

}  // namespace junction::http
