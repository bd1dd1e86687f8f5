#include "reader.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <exception>
#include <optional>
#include <set>

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include "common/iso8601.hpp"
#include "file_ops.hpp"
#include "json_text.hpp"
#include "name_filter.hpp"

namespace junction::files {

namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

// How long read() may work before handing back what it has, so the engine can stop.
constexpr auto read_budget = std::chrono::milliseconds(500);

// State key: the position of the last record of the last file that left the folder.
constexpr std::string_view gone_key = "gone_position";

std::string now_iso() {
    const auto now =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch());
    return common::format_iso8601_ms(now.count());
}

}  // namespace

bool parse_position(std::string_view position, std::string& name, std::uint64_t& offset) {
    const auto colon = position.rfind(':');
    if (colon == std::string_view::npos || colon == 0) return false;
    const auto digits = position.substr(colon + 1);
    const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), offset);
    if (ec != std::errc{} || end != digits.data() + digits.size() || digits.empty()) return false;
    name = position.substr(0, colon);
    return true;
}

sdk::Status FilesReader::open(sdk::Context& context) {
    context_ = &context;
    if (auto s = parse_reader_config(context.options(), context.base_dir(), config_); !s.is_ok()) return s;
    // A missing inbound folder is created (as writers create theirs): a daemon started
    // before the folder exists, e.g. on a fresh volume, must not stop that pipeline.
    std::error_code ec;
    if (!fs::exists(config_.dir, ec)) fs::create_directories(config_.dir, ec);
    if (!fs::is_directory(config_.dir, ec))
        return sdk::Status::fatal("files: " + config_.dir.string() + " is not a folder and cannot be created" +
                                  (ec ? ": " + ec.message() : ""));
    files_ = list_files();

    if (const auto committed = context.committed_position()) {
        std::string name;
        std::uint64_t offset = 0;
        if (!parse_position(*committed, name, offset)) {
            context.log().warn("ignoring committed position \"" + *committed + "\": not <file>:<offset>");
        } else {
            // With after=keep every file sorting before the committed one is done; with
            // move/delete those are gone, and one still here arrived later: read it.
            if (config_.after == AfterRead::keep) std::erase_if(files_, [&](const std::string& f) { return f < name; });
            // The committed file itself is resumed after the offset, unless this reader saw
            // it leave the folder (processed, quarantined or deleted): a file there now under
            // that name is a new one (an update, a corrected file) and is read whole.
            std::optional<std::string> gone;
            try {
                gone = context.state().get(gone_key);
            } catch (const std::exception& e) {
                context.log().warn(std::string("cannot read the reader's state: ") + e.what());
            }
            if (gone != committed) {
                resume_file_ = name;
                resume_offset_ = offset;
            }
        }
    }
    context.log().debug("found " + std::to_string(files_.size()) + " file(s) matching " + config_.pattern + " in " +
                        config_.dir.string());
    return sdk::Status::ok();
}

std::vector<std::string> FilesReader::list_files() const {
    std::vector<std::string> names;
    std::error_code ec;
    const auto processed = config_.processed_dir.lexically_normal();
    const auto quarantine = config_.quarantine_dir.lexically_normal();
    for (fs::directory_iterator it(config_.dir, ec), end; !ec && it != end; it.increment(ec)) {
        const std::string name = it->path().filename().string();
        if (is_ignored_name(name) || !glob_match(config_.pattern, name)) continue;
        const auto path = it->path().lexically_normal();
        if (path == processed || path == quarantine) continue;
        names.push_back(name);
    }
    if (ec) context_->log().error("cannot list " + config_.dir.string() + ": " + ec.message());
    std::sort(names.begin(), names.end());
    return names;
}

bool FilesReader::settled(const fs::path& path, const std::string& name) const {
    if (config_.settle_ms <= 0) return true;
    std::error_code ec;
    const auto modified = fs::last_write_time(path, ec);
    if (ec) return true;  // unreadable: let the read report it
    const auto age =
        std::chrono::duration_cast<std::chrono::milliseconds>(fs::file_time_type::clock::now() - modified).count();
    if (age >= config_.settle_ms) return true;
    context_->log().debug("skipping " + name + " this run: modified " + std::to_string(age) + " ms ago, settle_ms is " +
                          std::to_string(config_.settle_ms));
    return false;
}

sdk::Status FilesReader::read(sdk::Batch& out, std::size_t max_records, bool& end_of_input) {
    end_of_input = false;
    const auto started = std::chrono::steady_clock::now();
    while (out.size() < max_records) {
        if (stop_.load() || context_->stop_token().stop_requested()) return sdk::Status::ok();
        if (std::chrono::steady_clock::now() - started > read_budget) return sdk::Status::ok();
        if (!current_) {
            if (next_file_ >= files_.size()) {
                end_of_input = true;
                return sdk::Status::ok();
            }
            current_name_ = files_[next_file_++];
            const fs::path path = config_.dir / current_name_;
            if (!settled(path, current_name_)) continue;
            const std::uint64_t resume = current_name_ == resume_file_ ? resume_offset_ : 0;
            current_ = std::make_unique<RecordSource>(path, current_name_, config_.format, resume);
            pending_[current_name_] = Pending{};
        }

        SourceItem item;
        auto& pending = pending_[current_name_];
        if (!current_->next(item)) {
            pending.read_done = true;
            current_.reset();
            if (pending.acknowledged >= pending.emitted) {
                finish(current_name_, pending);
                // Nothing read: done in an earlier run up to the committed position.
                if (current_name_ == resume_file_) remember_gone(resume_file_ + ":" + std::to_string(resume_offset_));
                pending_.erase(current_name_);
            }
            continue;
        }

        sdk::Record record;
        record.meta.source = item.number > 0 ? current_name_ + "#" + std::to_string(item.number) : current_name_;
        record.meta.position = current_name_ + ":" + std::to_string(item.end_offset);
        record.meta.received_at = std::chrono::system_clock::now();
        if (item.error.empty()) {
            record.payload = std::move(item.payload);
        } else {
            record.meta.error = item.error;
            auto& p = record.payload;
            p["file"] = current_name_;
            p["path"] = (config_.dir / current_name_).string();
            if (item.number > 0)
                p[current_->format() == FileFormat::ndjson ? "line" : "element"] =
                    static_cast<std::int64_t>(item.number);
            p["error"] = item.error;
            if (!item.text.empty()) p["text"] = item.text;
        }
        if (pending.emitted == 0) pending.single = !current_->multi_record() || item.whole_file;
        ++pending.emitted;
        out.push_back(std::move(record));
    }
    return sdk::Status::ok();
}

sdk::Status FilesReader::acknowledge(std::span<const sdk::Acknowledgement> acks) {
    std::set<std::string> touched;
    for (const auto& ack : acks) {
        std::string name;
        std::uint64_t offset = 0;
        if (!parse_position(ack.meta.position, name, offset)) continue;
        auto it = pending_.find(name);
        if (it == pending_.end()) continue;
        ++it->second.acknowledged;
        it->second.last_position = ack.meta.position;
        if (ack.outcome == sdk::Outcome::rejected) {
            std::string reason = !ack.reason.empty() ? ack.reason : ack.meta.error;
            it->second.rejected.push_back({ack.meta.source, reason.empty() ? "rejected" : std::move(reason)});
        }
        touched.insert(name);
    }
    // The engine commits the position of the last acknowledgement.
    std::string committed;
    for (auto it = acks.rbegin(); it != acks.rend() && committed.empty(); ++it)
        committed = it->meta.position;
    for (const auto& name : touched) {
        auto it = pending_.find(name);
        if (it == pending_.end() || !it->second.read_done || it->second.acknowledged < it->second.emitted) continue;
        finish(name, it->second);
        if (it->second.last_position == committed) remember_gone(committed);
        pending_.erase(it);
    }
    return sdk::Status::ok();
}

void FilesReader::remember_gone(const std::string& position) {
    if (!gone_) return;
    gone_ = false;
    try {
        context_->state().put(gone_key, position);
    } catch (const std::exception& e) {
        context_->log().warn("cannot keep the reader's state: " + std::string(e.what()) +
                             "; a new file named like the last one may be taken for it");
    }
}

void FilesReader::finish(const std::string& name, const Pending& pending) {
    gone_ = false;
    if (pending.single && !pending.rejected.empty())
        quarantine(name, pending.rejected.front().reason);
    else
        after_read(name, pending);
}

void FilesReader::quarantine(const std::string& name, const std::string& reason) {
    const auto moved = move_into(config_.dir / name, config_.quarantine_dir);
    if (!moved.ok()) {
        // Left in place and not retried in this run (its state is dropped by the caller).
        context_->log().error("cannot quarantine " + name + " (" + reason + "): " + moved.error);
        return;
    }
    gone_ = true;
    const json::object sidecar{{"file", name}, {"reason", reason}, {"time", now_iso()}};
    const auto sidecar_path = moved.to.string() + ".error.json";
    if (auto error = write_file_atomic(sidecar_path, json::serialize(sidecar) + "\n", true); !error.empty())
        context_->log().error("cannot write " + sidecar_path + ": " + error);
    // The engine already logged the rejection (file and reason) as the one warning line.
    context_->log().debug("quarantined " + name + ": " + reason);
}

void FilesReader::after_read(const std::string& name, const Pending& pending) {
    const fs::path path = config_.dir / name;
    switch (config_.after) {
        case AfterRead::keep:
            return;
        case AfterRead::remove: {
            std::error_code ec;
            fs::remove(path, ec);
            if (ec) context_->log().error("cannot delete " + name + ": " + ec.message());
            gone_ = !ec;
            return;
        }
        case AfterRead::move:
            break;
    }
    const auto moved = move_into(path, config_.processed_dir);
    if (!moved.ok()) {
        context_->log().error("cannot move " + name + " to " + config_.processed_dir.string() + ": " + moved.error);
        return;
    }
    gone_ = true;
    if (pending.rejected.empty()) return;
    // The rejected records are in the dead-letter store; the sidecar says which, beside the file.
    json::array rejected;
    for (const auto& r : pending.rejected)
        rejected.push_back(json::object{{"source", r.source}, {"reason", r.reason}});
    const json::object sidecar{{"file", name}, {"rejected", std::move(rejected)}, {"time", now_iso()}};
    const auto sidecar_path = moved.to.string() + ".rejected.json";
    if (auto error = write_file_atomic(sidecar_path, json::serialize(sidecar) + "\n", true); !error.empty())
        context_->log().error("cannot write " + sidecar_path + ": " + error);
    context_->log().warn("processed " + name + " with " + std::to_string(pending.rejected.size()) + " of " +
                         std::to_string(pending.emitted) + " records rejected (listed in " +
                         moved.to.filename().string() + ".rejected.json)");
}

}  // namespace junction::files
