#include "intake.hpp"

#include <chrono>
#include <map>
#include <string>

#include <junction/sdk/iso8601.hpp>

namespace junction::docstore {
namespace {

std::int64_t ms_of(std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t.time_since_epoch()).count();
}

std::chrono::system_clock::time_point time_of(std::int64_t ms) {
    return std::chrono::system_clock::time_point(std::chrono::milliseconds(ms));
}

// One mutex per file (by its absolute, normal path), shared by the instances of this
// process and kept while any of them lives.
std::shared_ptr<std::mutex> mutex_for(const std::filesystem::path& file) {
    static std::mutex guard;
    static std::map<std::string, std::weak_ptr<std::mutex>> mutexes;
    std::error_code ec;
    auto key = std::filesystem::weakly_canonical(file, ec).string();
    if (ec) key = file.lexically_normal().string();
    std::lock_guard lock(guard);
    auto& slot = mutexes[key];
    auto m = slot.lock();
    if (!m) {
        m = std::make_shared<std::mutex>();
        slot = m;
    }
    return m;
}

}  // namespace

sdk::Status DocstoreIntake::open(sdk::Context& context) {
    config_ = collection_config(context.options());
    try {
        store_ = std::make_unique<DocStore>(config_.path, config_.collection);
        store_->ensure_intake();
    } catch (const StoreError& e) {
        return status_of(e);
    }
    file_mutex_ = mutex_for(config_.path);
    context.log().debug("docstore intake: " + config_.path.string() + " collection " + config_.collection);
    return sdk::Status::ok();
}

sdk::Status DocstoreIntake::submit(const sdk::Submission& s, sdk::Receipt& out) {
    if (!store_) return sdk::Status::fatal("docstore: submit() before a successful open()");
    IntakeRow row{.identity = s.identity,
                  .received_at = sdk::format_iso8601_ms(ms_of(s.received_at)),
                  .received_ms = ms_of(s.received_at),
                  .payload = s.payload,
                  .key = s.idempotency_key,
                  .fingerprint = s.fingerprint,
                  .keys_expire_ms = ms_of(s.keys_expire_before)};
    IntakeOutcome done;
    try {
        std::lock_guard lock(*file_mutex_);
        done = store_->submit(row);
    } catch (const StoreError& e) {
        return status_of(e);
    }
    switch (done.result) {
        case IntakeResult::stored:
            out.admission = sdk::Admission::stored;
            break;
        case IntakeResult::duplicate:
            out.admission = sdk::Admission::duplicate;
            break;
        case IntakeResult::replayed:
            out.admission = sdk::Admission::replayed;
            break;
        case IntakeResult::key_reused:
            out.admission = sdk::Admission::key_reused;
            break;
    }
    out.id = std::move(done.id);
    out.first_was_duplicate = done.first_was_duplicate;
    return sdk::Status::ok();
}

sdk::Status DocstoreIntake::find(std::string_view id, std::optional<sdk::StoredSubmission>& out) {
    if (!store_) return sdk::Status::fatal("docstore: find() before a successful open()");
    out.reset();
    try {
        auto doc = store_->find(id);
        if (!doc) return sdk::Status::ok();
        sdk::StoredSubmission found;
        found.id = doc->id;
        if (const auto* p = doc->body.if_contains("payload"); p != nullptr && p->is_object())
            found.payload = p->get_object();
        if (const auto* v = doc->body.if_contains("identity"); v != nullptr && v->is_string())
            found.identity = v->get_string();
        if (const auto* v = doc->body.if_contains("received_at"); v != nullptr && v->is_string()) {
            if (const auto ms = sdk::parse_iso8601_ms(std::string_view(v->get_string()))) found.received_at = time_of(*ms);
        }
        found.published = !store_->in_outbox(id);
        if (const auto* v = doc->body.if_contains("published_at"); v != nullptr && v->is_string()) {
            if (const auto ms = sdk::parse_iso8601_ms(std::string_view(v->get_string())))
                found.published_at = time_of(*ms);
        }
        out = std::move(found);
    } catch (const StoreError& e) {
        return status_of(e);
    }
    return sdk::Status::ok();
}

sdk::Status DocstoreIntake::close() {
    store_.reset();
    return sdk::Status::ok();
}

}  // namespace junction::docstore
