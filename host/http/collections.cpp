#include "collections.hpp"

#include <algorithm>
#include <charconv>

#include <boost/json.hpp>
#include <boost/url/url.hpp>
#include <junction/core/digest.hpp>
#include <junction/core/logging.hpp>

namespace junction::http {
namespace json = boost::json;

namespace {

constexpr std::size_t max_cached_pages = 1000;


bool etag_matches(std::string_view if_none_match, std::string_view etag) {
    if (if_none_match == "*") return true;
    // A list of tags, weak or strong: compared weakly (RFC 9110, 13.1.2).
    std::size_t i = 0;
    while (i < if_none_match.size()) {
        auto j = if_none_match.find(',', i);
        if (j == std::string_view::npos) j = if_none_match.size();
        auto t = if_none_match.substr(i, j - i);
        while (!t.empty() && (t.front() == ' ' || t.front() == '\t'))
            t.remove_prefix(1);
        while (!t.empty() && (t.back() == ' ' || t.back() == '\t'))
            t.remove_suffix(1);
        if (t.rfind("W/", 0) == 0) t.remove_prefix(2);
        if (t == etag) return true;
        i = j + 1;
    }
    return false;
}

}  // namespace

ServedCollection::ServedCollection(const CollectionConfig& config, const core::ResolvedStage& stage,
                                   core::StateStore& store, core::HostServices& services,
                                   std::filesystem::path base_dir, std::stop_token stop, std::size_t max_instances)
    : config_(config),
      stage_(stage),
      store_(store),
      services_(services),
      base_dir_(std::move(base_dir)),
      stop_(stop),
      pool_(max_instances, [this](sdk::Status& status) {
          auto c = core::OpenedCollection::open(
              stage_, {.name = config_.path.substr(1), .max_limit = config_.max_limit, .base_dir = base_dir_}, store_,
              services_, stop_, status);
          if (!c)
              core::log_warn("http: collection " + config_.path + " (" + config_.plugin + ") cannot be opened: " +
                             status.message());
          return c;
      }) {
    hits_ = &services.metrics().counter("http_cache_requests_total", "Served-collection requests, by cache result",
                                        {{"collection", config.path}, {"result", "hit"}});
    misses_ = &services.metrics().counter("http_cache_requests_total", "Served-collection requests, by cache result",
                                          {{"collection", config.path}, {"result", "miss"}});
}

ServedCollection::~ServedCollection() = default;

json::object ServedCollection::project(json::object doc) const {
    if (config_.fields.empty()) {
        doc.erase("_id");  // the store's own key; the entity carries its id
        return doc;
    }
    json::object out;
    for (const auto& f : config_.fields)
        if (const auto* v = doc.if_contains(f)) out[f] = *v;
    return out;
}

Response ServedCollection::answer(const Request& req, const std::string& cache_key,
                                  const std::function<Response(core::OpenedCollection&)>& fetch) {
    const auto now = std::chrono::steady_clock::now();
    std::optional<Response> hit;
    std::chrono::steady_clock::time_point expires{};
    if (config_.cache_ttl.count() > 0) {
        std::lock_guard lock(mutex_);
        if (auto it = cache_.find(cache_key); it != cache_.end()) {
            if (it->second.expires > now) {
                hit = it->second.response;
                expires = it->second.expires;
            } else {
                cache_.erase(it);
            }
        }
    }
    Response r;
    if (hit) {
        hits_->add();
        r = std::move(*hit);
        // What is left of the TTL, so that no client keeps it past the server's bound.
        const auto left = std::chrono::duration_cast<std::chrono::seconds>(expires - now).count();
        for (auto& [k, v] : r.headers)
            if (k == "Cache-Control") v = "private, max-age=" + std::to_string(left);
    } else {
        misses_->add();
        sdk::Status st;
        auto c = pool_.acquire(st);
        if (!c) return store_error(st, config_.path);
        r = fetch(*c);
        pool_.release(std::move(c));
        if (r.status != 200 && r.status != 404) return r;
        std::string etag = "\"";  // appended: GCC 12 warns of a false -Wrestrict on "\"" + std::string
        etag += core::hex(core::sha256(r.body), 16);
        etag += '"';
        r.headers.emplace_back("ETag", std::move(etag));
        const auto secs = std::chrono::duration_cast<std::chrono::seconds>(config_.cache_ttl).count();
        // private: the answer depends on the API key's access; max-age: the server's own TTL.
        r.headers.emplace_back("Cache-Control", "private, max-age=" + std::to_string(secs));
        if (config_.cache_ttl.count() > 0) {
            std::lock_guard lock(mutex_);
            if (cache_.size() >= max_cached_pages) {
                for (auto it = cache_.begin(); it != cache_.end();)
                    it = it->second.expires <= now ? cache_.erase(it) : std::next(it);
                if (cache_.size() >= max_cached_pages) cache_.clear();
            }
            cache_[cache_key] = Cached{r, now + config_.cache_ttl};
        }
    }
    if (auto inm = req.header("if-none-match")) {
        for (const auto& [k, v] : r.headers)
            if (k == "ETag" && etag_matches(*inm, v)) {
                Response not_modified;
                not_modified.status = 304;
                not_modified.content_type = r.content_type;
                for (const auto& h : r.headers)
                    if (h.first == "ETag" || h.first == "Cache-Control") not_modified.headers.push_back(h);
                return not_modified;
            }
    }
    return r;
}

Response ServedCollection::list(const Request& req) {
    sdk::CollectionQuery q;
    q.limit = config_.default_limit;
    std::vector<std::pair<std::string, std::string>> key_parts;
    for (const auto& [k, v] : req.query) {
        if (k == "limit") {
            std::size_t n = 0;
            const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
            if (ec != std::errc{} || p != v.data() + v.size() || n == 0 || n > config_.max_limit)
                return Response::error(400, "bad_request",
                                       "limit must be a whole number from 1 to " + std::to_string(config_.max_limit));
            q.limit = n;
        } else if (k == "after") {
            q.after = v;
        } else if (std::find(config_.filters.begin(), config_.filters.end(), k) != config_.filters.end()) {
            q.equals.push_back({k, json::value(v)});
        } else {
            std::string allowed = "limit, after";
            for (const auto& f : config_.filters)
                allowed += ", " + f;
            return Response::error(400, "bad_request",
                                   "unknown query parameter \"" + k + "\"; valid: " + allowed);
        }
        key_parts.emplace_back(k, v);
    }
    std::sort(key_parts.begin(), key_parts.end());
    std::string key = "list";
    for (const auto& [k, v] : key_parts)
        key += "&" + k + "=" + v;
    return answer(req, key, [&](core::OpenedCollection& c) {
        sdk::CollectionPage page;
        const auto st = c.list(q, page);
        if (!st.is_ok()) return store_error(st, config_.path);
        json::array items;
        for (auto& d : page.items)
            items.push_back(project(std::move(d)));
        json::object body{{"items", std::move(items)},
                          {"limit", q.limit},
                          {"next_after", page.next_after.empty() ? json::value(nullptr) : json::value(page.next_after)}};
        auto r = Response::json(200, body);
        if (!page.next_after.empty()) {
            std::string next = config_.path + "?limit=" + std::to_string(q.limit) + "&after=" + page.next_after;
            for (const auto& e : q.equals) {
                boost::urls::url u;  // percent-encode the filter value
                u.params().append({e.field, std::string(e.value.as_string())});
                next += '&';
                next += std::string_view(u.encoded_query());
            }
            r.headers.emplace_back("Link", "<" + next + ">; rel=\"next\"");
        }
        return r;
    });
}

Response ServedCollection::get(const Request& req) {
    const auto it = req.params.find("id");
    const std::string id = it == req.params.end() ? "" : it->second;
    return answer(req, "get&" + id, [&](core::OpenedCollection& c) {
        std::optional<json::object> doc;
        if (config_.id_field.empty()) {
            const auto st = c.get(id, doc);
            if (!st.is_ok()) return store_error(st, config_.path);
        } else {
            // The entity's id, as a string, else as a whole number ("101" or 101).
            std::vector<json::value> candidates{json::value(id)};
            std::int64_t n = 0;
            const auto [p, ec] = std::from_chars(id.data(), id.data() + id.size(), n);
            if (ec == std::errc{} && p == id.data() + id.size()) candidates.emplace_back(n);
            for (const auto& v : candidates) {
                sdk::CollectionPage page;
                const auto st = c.list({.equals = {{config_.id_field, v}}, .after = "", .limit = 1}, page);
                if (!st.is_ok()) return store_error(st, config_.path);
                if (!page.items.empty()) {
                    doc = std::move(page.items.front());
                    break;
                }
            }
        }
        if (!doc) return Response::error(404, "not_found", "no item " + id + " in " + config_.path);
        return Response::json(200, project(std::move(*doc)));
    });
}

std::string ServedCollection::check() {
    sdk::Status st;
    auto c = pool_.acquire(st);
    if (!c) return "its store cannot be opened: " + st.message();
    sdk::CollectionPage page;
    st = c->list({.equals = {}, .after = "", .limit = 1}, page);
    pool_.release(std::move(c));
    return st.is_ok() ? "" : "its store cannot be read: " + st.message();
}

void add_collection_routes(Router& router, ApiContext& api, std::vector<std::unique_ptr<ServedCollection>>& served) {
    for (auto& s : served) {
        auto* c = s.get();
        const auto& cfg = c->config();
        router.add(Method::get, cfg.path, cfg.scope,
                   "Served collection (" + cfg.plugin + "): a page of items by id; ?limit, ?after (the previous "
                   "page's next_after) and equality filters on: " +
                       [&] {
                           std::string f;
                           for (const auto& x : cfg.filters)
                               f += (f.empty() ? "" : ", ") + x;
                           return f.empty() ? std::string("(none)") : f;
                       }(),
                   [c](Request& req) { return c->list(req); });
        router.add(Method::get, cfg.path + "/{id}", cfg.scope, "One item of " + cfg.path + " by its id",
                   [c](Request& req) { return c->get(req); });
        api.readiness.push_back({"collection " + cfg.path, [c] { return c->check(); }});
    }
}

}  // namespace junction::http
