#include "reader.hpp"

#include <algorithm>
#include <charconv>

#include <boost/json/parse.hpp>
#include <junction/sdk/json_text.hpp>

#include "link_header.hpp"
#include "request.hpp"

namespace junction::rest {

namespace json = boost::json;

namespace {

// "1 record", "3 records".
std::string count(std::size_t n, const char* noun) {
    return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}

std::optional<json::value> parse_body(const std::string& body, std::string& problem) {
    boost::system::error_code ec;
    auto v = json::parse(body, ec);
    if (ec) {
        problem = body.empty() ? "the body is empty, not JSON" : "the body is not JSON (" + ec.message() + ")";
        return std::nullopt;
    }
    return v;
}

// GitHub's primary rate limit: 403 (or 429) with x-ratelimit-remaining: 0 and the reset
// time in epoch seconds. A wait, not a refusal.
std::optional<std::chrono::milliseconds> rate_limit_wait(const sdk::HttpResponse& r, sdk::Clock& clock) {
    if (r.status != 403 && r.status != 429) return std::nullopt;
    const auto* remaining = r.header("x-ratelimit-remaining");
    if (remaining == nullptr || *remaining != "0") return std::nullopt;
    std::int64_t reset = 0;
    const auto* h = r.header("x-ratelimit-reset");
    if (h == nullptr || std::from_chars(h->data(), h->data() + h->size(), reset).ec != std::errc{})
        return std::chrono::milliseconds(60000);
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(clock.now().time_since_epoch()).count();
    return std::chrono::milliseconds(std::max<std::int64_t>(1, reset - now) * 1000);
}

}  // namespace

sdk::Status RestReader::open(sdk::Context& context) {
    context_ = &context;
    if (auto problem = make_config(context.options(), config_); !problem.empty()) return sdk::Status::fatal(problem);
    pending_.clear();
    queue_.clear();
    seen_.clear();
    current_.reset();
    parent_done_ = true;
    if (!config_.partitions) {
        queue_.push_back({});
    } else if (config_.partitions->parent) {
        parent_paginator_ = std::make_unique<Paginator>(config_.partitions->parent->paginator);
        parent_done_ = false;
    } else {
        for (const auto& fields : config_.partitions->values) {
            Partition p{partition_name(fields), fields};
            if (seen_.insert(p.name).second) queue_.push_back(std::move(p));
        }
    }
    return sdk::Status::ok();
}

std::string RestReader::where(const Stream* s) const {
    if (s == nullptr) return "partitions.parent: ";
    if (!config_.partitions) return "";
    return "partition " + s->partition.name + ": ";
}

void RestReader::start_stream(Partition partition) {
    Stream s;
    s.partition = std::move(partition);
    s.paginator = std::make_unique<Paginator>(config_.paginator);
    if (config_.incremental) {
        const auto& inc = *config_.incremental;
        if (auto committed = context_->committed_position(s.partition.name); committed && !committed->empty()) {
            s.max = parse_position(*committed, inc);
            if (s.max)
                s.committed_position = *committed;
            else
                context_->log().warn(
                    "rest: " + where(&s) +
                    "ignoring a committed position that is not a cursor of this config: " + *committed);
        }
        s.cursor_start = start_text(s.max, inc);
    }
    current_ = std::move(s);
}

void RestReader::emit(Stream& s, sdk::Record record) {
    ++s.records;
    if (config_.incremental && config_.incremental->sorted) {
        record.meta.position = s.max ? position_text(*s.max, *config_.incremental) : s.committed_position;
    } else if (config_.incremental) {
        if (s.held) {
            s.held->meta.position = s.committed_position;
            pending_.push_back(std::move(*s.held));
        }
        s.held = std::move(record);
        return;
    }
    pending_.push_back(std::move(record));
}

void RestReader::finish_stream(bool advance) {
    auto& s = *current_;
    if (s.held) {
        s.held->meta.position = advance && s.max ? position_text(*s.max, *config_.incremental) : s.committed_position;
        pending_.push_back(std::move(*s.held));
        s.held.reset();
    }
    if (advance)
        context_->log().info("rest: " + where(&s) + "done: " + count(s.records, "record") + ", " +
                             count(s.pages, "page"));
    current_.reset();
}

sdk::Status RestReader::refused(const Stream* s, const sdk::Status& status, const sdk::HttpResponse& response) {
    if (status.code() == sdk::Code::retry) return status;
    if (auto wait = rate_limit_wait(response, context_->clock()))
        return sdk::Status::retry(where(s) + status.message() + " (rate limit exhausted; waiting for its reset)", wait);
    if (status.code() == sdk::Code::reject && s != nullptr && config_.partitions &&
        std::find(config_.partitions->skip_statuses.begin(), config_.partitions->skip_statuses.end(),
                  response.status) != config_.partitions->skip_statuses.end()) {
        context_->log().warn("rest: " + where(s) + "skipped: " + status.message() +
                             "; nothing committed for it, the others go on");
        context_->metrics()
            .counter("partitions_skipped_total", "partitions skipped for an HTTP status in skip_statuses")
            .add();
        finish_stream(false);
        return sdk::Status::ok();
    }
    return sdk::Status::fatal(where(s) + status.message());
}

sdk::Status RestReader::fetch_page() {
    auto& s = *current_;
    Scope scope{.vars = &config_.vars, .partition = &s.partition.fields, .cursor_start = s.cursor_start};
    std::string problem;
    auto request = build_request(config_, config_.request, config_.paginator, *s.paginator, scope, problem);
    if (!problem.empty()) return sdk::Status::fatal(where(&s) + problem);
    if (s.pages == 0) s.origin = origin_of(request.url);
    sdk::HttpResponse response;
    if (auto st = context_->http().send(request, response); !st.is_ok()) return refused(&s, st, response);

    const std::string url = response.effective_url.empty() ? request.url : response.effective_url;
    const std::string shown = request.method + " " + without_query(url);
    auto body = parse_body(response.body, problem);
    if (!body) return sdk::Status::fatal(where(&s) + shown + ": " + problem);
    auto records = take_records(*body, config_.records.path, problem);
    if (!records) return sdk::Status::fatal(where(&s) + shown + ": " + problem);

    ++s.pages;
    const sdk::MetricLabels labels{{"stream", s.partition.name}};
    context_->metrics().counter("pages_total", "pages read, per stream", labels).add();
    const auto now = context_->clock().now();
    std::size_t kept = 0;
    for (std::size_t i = 0; i < records->size(); ++i) {
        auto& element = (*records)[i];
        sdk::Record record;
        record.meta.partition = s.partition.name;
        record.meta.source = shown;
        record.meta.received_at = now;
        if (!element.is_object()) {
            record.meta.error = shown + ": record " + std::to_string(i) + " of page " + std::to_string(s.pages) +
                                " is " + sdk::json_type_name(element) + ", not an object";
            record.payload["value"] = std::move(element);
            emit(s, std::move(record));
            continue;
        }
        if (!meets(element, config_.records.filter)) continue;
        if (config_.key)
            if (const auto* k = config_.key->find(element)) record.meta.key = value_text(*k).value_or("");
        if (config_.incremental) {
            const auto* field = config_.incremental->cursor_field.find(element);
            if (auto cv = field ? cursor_value(*field, *config_.incremental) : std::nullopt) {
                if (!s.max || compare(*cv, *s.max, config_.incremental->type) > 0) s.max = std::move(cv);
            }
        }
        record.payload = std::move(element.get_object());
        emit(s, std::move(record));
        ++kept;
    }
    context_->metrics().counter("records_total", "records read, per stream", labels).add(static_cast<double>(kept));

    std::string warning;
    const PageInfo page{.link_header = response.header("Link"), .body = &*body, .records = records->size(), .url = url};
    bool more = s.paginator->advance(page, warning);
    if (!warning.empty()) context_->log().warn("rest: " + where(&s) + shown + ": " + warning);
    if (more && config_.paginator.type == PaginatorType::link && s.paginator->next_url() &&
        origin_of(*s.paginator->next_url()) != s.origin)
        return sdk::Status::fatal(where(&s) + shown + ": the Link header's next page is on another origin (" +
                                  origin_of(*s.paginator->next_url()) +
                                  "); refused, the connection's credentials would go there");
    if (more && config_.max_pages > 0 && s.pages >= static_cast<std::size_t>(config_.max_pages)) {
        context_->log().warn(
            "rest: " + where(&s) + "stopped after max_pages (" + std::to_string(config_.max_pages) +
            ") pages; the rest is read next run" +
            (config_.incremental && !config_.incremental->sorted ? " (the cursor does not advance)" : ""));
        if (config_.incremental && !config_.incremental->sorted) {
            finish_stream(false);
            return sdk::Status::ok();
        }
        more = false;
    }
    if (!more) finish_stream(true);
    return sdk::Status::ok();
}

sdk::Status RestReader::fetch_parent_page() {
    const auto& parent = *config_.partitions->parent;
    Scope scope{.vars = &config_.vars, .partition = nullptr, .cursor_start = std::nullopt};
    std::string problem;
    auto request = build_request(config_, parent.request, parent.paginator, *parent_paginator_, scope, problem);
    if (!problem.empty()) return sdk::Status::fatal(where(nullptr) + problem);
    sdk::HttpResponse response;
    if (auto st = context_->http().send(request, response); !st.is_ok()) return refused(nullptr, st, response);
    const std::string url = response.effective_url.empty() ? request.url : response.effective_url;
    const std::string shown = request.method + " " + without_query(url);
    auto body = parse_body(response.body, problem);
    if (!body) return sdk::Status::fatal(where(nullptr) + shown + ": " + problem);
    auto records = take_records(*body, parent.records.path, problem);
    if (!records) return sdk::Status::fatal(where(nullptr) + shown + ": " + problem);
    ++parent_pages_;
    for (const auto& r : *records) {
        if (!r.is_object() || !meets(r, parent.records.filter)) continue;
        Partition p;
        bool complete = true;
        for (const auto& [field, path] : parent.fields) {
            const auto* v = path.find(r);
            if (v == nullptr || v->is_null()) {
                complete = false;
                break;
            }
            p.fields[field] = *v;
        }
        if (!complete) {
            context_->log().warn("rest: " + where(nullptr) + shown +
                                 ": a record without every field of `fields`; no partition "
                                 "for it");
            continue;
        }
        p.name = partition_name(p.fields);
        if (seen_.insert(p.name).second) {
            queue_.push_back(std::move(p));
            ++parent_partitions_;
        }
    }
    std::string warning;
    const PageInfo page{.link_header = response.header("Link"), .body = &*body, .records = records->size(), .url = url};
    const bool more = parent_paginator_->advance(page, warning);
    if (!warning.empty()) context_->log().warn("rest: " + where(nullptr) + shown + ": " + warning);
    if (more && parent.paginator.type == PaginatorType::link && parent_paginator_->next_url() &&
        origin_of(*parent_paginator_->next_url()) != origin_of(request.url))
        return sdk::Status::fatal(where(nullptr) + shown + ": the Link header's next page is on another origin (" +
                                  origin_of(*parent_paginator_->next_url()) +
                                  "); refused, the connection's credentials would go there");
    if (!more) {
        parent_done_ = true;
        context_->log().info("rest: partitions.parent done: " + count(parent_partitions_, "partition") + ", " +
                             count(parent_pages_, "page"));
    }
    return sdk::Status::ok();
}

sdk::Status RestReader::read(sdk::Batch& out, std::size_t max_records, bool& end_of_input) {
    end_of_input = false;
    if (context_ == nullptr) return sdk::Status::fatal("rest reader: read() before a successful open()");
    if (context_->stop_requested()) return sdk::Status::ok();
    if (pending_.empty()) {
        // At most one request per call, so read() returns within one exchange's time.
        if (!current_ && queue_.empty() && !parent_done_) {
            if (auto st = fetch_parent_page(); !st.is_ok()) return st;
        } else {
            if (!current_ && !queue_.empty()) {
                start_stream(std::move(queue_.front()));
                queue_.pop_front();
            }
            if (current_)
                if (auto st = fetch_page(); !st.is_ok()) return st;
        }
    }
    while (!pending_.empty() && out.size() < max_records) {
        out.push_back(std::move(pending_.front()));
        pending_.pop_front();
    }
    end_of_input = pending_.empty() && !current_ && queue_.empty() && parent_done_;
    return sdk::Status::ok();
}

sdk::Status RestReader::close() {
    pending_.clear();
    current_.reset();
    return sdk::Status::ok();
}

}  // namespace junction::rest
