#include "writer.hpp"

#include <algorithm>
#include <fstream>
#include <iterator>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace junction::databox {
namespace {

namespace json = boost::json;

bool all_digits(std::string_view s) {
    return !s.empty() && s.size() < 19 && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::string dataset_key(std::string_view title) {
    return "dataset_id:" + std::string(title);
}
std::string schema_key(std::string_view dataset_id) {
    return "schema:" + std::string(dataset_id);
}

// An open() step that failed: retry stays retry (the engine retries the open), anything
// else stops the run with one line.
sdk::Status failed(const ApiResult& r, const std::string& what) {
    if (r.status.code() == sdk::Code::retry)
        return sdk::Status::retry("databox: " + what + ": " + r.error, r.status.retry_after());
    return sdk::Status::fatal("databox: " + what + ": " + r.error);
}

const json::array* array_at(const json::object& o, std::string_view key) {
    const auto* v = o.if_contains(key);
    return v != nullptr && v->is_array() ? &v->get_array() : nullptr;
}

std::string id_text(const json::value& v) {
    if (v.is_string()) return std::string(v.get_string());
    if (v.is_int64() || v.is_uint64()) return json::serialize(v);
    return {};
}

}  // namespace

std::string DataboxWriter::target() const {
    return config_.dataset_title + " (" + dataset_id_ + ")";
}

sdk::Status DataboxWriter::open(sdk::Context& context) {
    context_ = &context;
    const std::filesystem::path file = context.options().get_string("schema");
    try {
        schema_ = load_checked_schema(file);
        std::ifstream in(file, std::ios::binary);
        const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
        schema_json_ = json::serialize(json::parse(text));
    } catch (const sdk::SchemaError& e) {
        return sdk::Status::fatal(std::string("databox: schema: ") + e.what());
    } catch (const std::exception& e) {
        return sdk::Status::fatal("databox: schema: " + file.string() + ": " + e.what());
    }
    config_ = writer_config(context.options(), schema_);
    client_ = std::make_unique<Client>(context.http(), config_.base_url, config_.connection, config_.timeout);

    if (auto r = client_->call("GET", "/v1/auth/validate-key"); !r.status.is_ok()) {
        if (r.http_status != 401 && r.http_status != 403) return failed(r, "cannot validate the API key");
        return sdk::Status::fatal("databox: the API key of connection '" + config_.connection +
                                  "' was refused: " + r.error);
    }
    std::int64_t account = 0, data_source = 0;
    if (auto s = resolve_account(account); !s.is_ok()) return s;
    if (auto s = resolve_data_source(account, data_source); !s.is_ok()) return s;
    if (auto s = resolve_dataset(data_source); !s.is_ok()) return s;
    if (auto s = check_history(); !s.is_ok()) return s;
    context.log().info("databox: pushing rows of " + schema_.dataset + " v" + std::to_string(schema_.version) +
                       " to dataset " + target() + " in batches of " + std::to_string(config_.batch_rows));
    return sdk::Status::ok();
}

sdk::Status DataboxWriter::resolve_account(std::int64_t& out) {
    if (config_.account_id) {
        out = *config_.account_id;
        return sdk::Status::ok();
    }
    const auto r = client_->call("GET", "/v1/accounts");
    if (!r.status.is_ok()) return failed(r, "cannot list the key's accounts");
    const auto* accounts = array_at(r.body, "accounts");
    std::vector<std::string> ids;
    if (accounts != nullptr)
        for (const auto& a : *accounts)
            if (a.is_object())
                if (const auto* id = a.get_object().if_contains("id"); id != nullptr && id->is_int64())
                    ids.push_back(std::to_string(id->get_int64()));
    if (ids.size() == 1) {
        out = std::stoll(ids.front());
        return sdk::Status::ok();
    }
    if (ids.empty()) return sdk::Status::fatal("databox: the API key reaches no account (GET /v1/accounts)");
    std::string list;
    for (const auto& id : ids)
        list += (list.empty() ? "" : ", ") + id;
    return sdk::Status::fatal("account_id: the API key reaches " + std::to_string(ids.size()) + " accounts (" + list +
                              "): set account_id to one of them");
}

sdk::Status DataboxWriter::resolve_data_source(std::int64_t account, std::int64_t& out) {
    if (all_digits(config_.data_source)) {
        out = std::stoll(config_.data_source);
        return sdk::Status::ok();
    }
    const auto path = "/v1/accounts/" + std::to_string(account) + "/data-sources";
    const auto r = client_->call("GET", path);
    if (!r.status.is_ok()) return failed(r, "cannot list the data sources of account " + std::to_string(account));
    if (const auto* sources = array_at(r.body, "dataSources"))
        for (const auto& s : *sources) {
            if (!s.is_object()) continue;
            const auto* title = s.get_object().if_contains("title");
            const auto* id = s.get_object().if_contains("id");
            if (title != nullptr && title->is_string() && title->get_string() == config_.data_source && id != nullptr &&
                id->is_int64()) {
                out = id->get_int64();
                return sdk::Status::ok();
            }
        }
    if (!config_.create)
        return sdk::Status::fatal("data_source: no data source titled '" + config_.data_source + "' in account " +
                                  std::to_string(account) + "; create it, or set create: true");
    const json::value body = {{"accountId", account}, {"title", config_.data_source}, {"timezone", "UTC"}};
    const auto c = client_->call("POST", "/v1/data-sources", &body);
    if (!c.status.is_ok()) return failed(c, "cannot create the data source '" + config_.data_source + "'");
    const auto* id = c.body.if_contains("id");
    if (id == nullptr || !id->is_int64())
        return sdk::Status::fatal("databox: POST /v1/data-sources answered without an id");
    out = id->get_int64();
    context_->log().info("databox: created data source '" + config_.data_source + "' (" + std::to_string(out) +
                         ") in account " + std::to_string(account));
    return sdk::Status::ok();
}

sdk::Status DataboxWriter::resolve_dataset(std::int64_t data_source) {
    auto& state = context_->state();
    const auto known = state.get(dataset_key(config_.dataset_title));
    const auto r = client_->call("GET", "/v1/data-sources/" + std::to_string(data_source) + "/datasets");
    if (!r.status.is_ok()) return failed(r, "cannot list the datasets of data source " + std::to_string(data_source));
    std::string by_title;
    if (const auto* datasets = array_at(r.body, "datasets"))
        for (const auto& d : *datasets) {
            if (!d.is_object()) continue;
            const auto* id = d.get_object().if_contains("id");
            const auto* title = d.get_object().if_contains("title");
            const std::string id_s = id != nullptr ? id_text(*id) : std::string();
            if (id_s.empty()) continue;
            if (known && *known == id_s) {
                dataset_id_ = id_s;
                return sdk::Status::ok();
            }
            if (by_title.empty() && title != nullptr && title->is_string() &&
                title->get_string() == config_.dataset_title)
                by_title = id_s;
        }
    if (!by_title.empty()) {
        dataset_id_ = by_title;
        state.put(dataset_key(config_.dataset_title), dataset_id_);
        return sdk::Status::ok();
    }
    if (!config_.create)
        return sdk::Status::fatal("dataset_title: no dataset titled '" + config_.dataset_title + "' in data source " +
                                  std::to_string(data_source) + "; create it, or set create: true");
    json::array keys;
    for (const auto& k : schema_.primary_key)
        keys.emplace_back(k);
    const json::value body = {
        {"title", config_.dataset_title}, {"dataSourceId", data_source}, {"primaryKeys", std::move(keys)}};
    const auto c = client_->call("POST", "/v1/datasets", &body);
    if (!c.status.is_ok()) return failed(c, "cannot create the dataset '" + config_.dataset_title + "'");
    const auto* id = c.body.if_contains("id");
    dataset_id_ = id != nullptr ? id_text(*id) : std::string();
    if (dataset_id_.empty()) return sdk::Status::fatal("databox: POST /v1/datasets answered without an id");
    state.put(dataset_key(config_.dataset_title), dataset_id_);
    // a dataset of another life under the same id (never, but cheap to rule out)
    state.erase(schema_key(dataset_id_));
    context_->log().info("databox: created dataset " + target() + " with primary key " + schema_.primary_key.front() +
                         (schema_.primary_key.size() > 1 ? " (and more)" : ""));
    return sdk::Status::ok();
}

sdk::Status DataboxWriter::check_history() {
    const auto stored = context_->state().get(schema_key(dataset_id_));
    if (!stored) return sdk::Status::ok();
    sdk::DatasetSchema before;
    try {
        before = sdk::parse_dataset_schema(*stored);
    } catch (const sdk::SchemaError&) {
        return sdk::Status::ok();  // written by a newer plugin, say: nothing to compare with
    }
    schema_stored_ = *stored == schema_json_;
    const auto problems = sdk::check_evolution(before, schema_);
    if (problems.empty()) return sdk::Status::ok();
    return sdk::Status::fatal("schema: dataset " + target() + " was last pushed with " + before.dataset + " v" +
                              std::to_string(before.version) + ", and " + config_.schema_file.filename().string() +
                              " is not a compatible evolution of it: " + problems.front());
}

sdk::Status DataboxWriter::write(std::span<const sdk::Record> batch, std::vector<sdk::Rejection>& rejected) {
    if (!client_) return sdk::Status::fatal("databox: write() before a successful open()");
    json::array rows;
    std::vector<std::size_t> indexes;
    for (std::size_t i = 0; i < batch.size(); ++i) {
        auto row = sdk::extract_row(schema_, batch[i].payload);
        if (const auto problems = sdk::check_row(schema_, row); !problems.empty()) {
            rejected.push_back({.index = i,
                                .reason = "does not fit dataset schema " + schema_.dataset + " v" +
                                          std::to_string(schema_.version) + ": " + sdk::describe(problems)});
            continue;
        }
        sdk::normalize_row(schema_, row);
        rows.emplace_back(std::move(row));
        indexes.push_back(i);
        if (rows.size() == config_.batch_rows) {
            if (auto s = push(std::move(rows), indexes, rejected); !s.is_ok()) return s;
            rows = {};
            indexes.clear();
        }
    }
    if (!rows.empty()) return push(std::move(rows), indexes, rejected);
    return sdk::Status::ok();
}

sdk::Status DataboxWriter::push(json::array rows, const std::vector<std::size_t>& indexes,
                                std::vector<sdk::Rejection>& rejected) {
    auto& clock = context_->clock();
    sdk::Push p{.provider = "databox",
                .target = target(),
                .sent_at = clock.now(),
                .duration = {},
                .rows = rows.size(),
                .columns = schema_.field_names(),
                .ok = false,
                .error = {},
                .request_id = {}};
    const json::value body = {{"records", std::move(rows)}};
    const auto started = clock.monotonic();
    // Rows are keyed by the dataset's primary key: an ingestion sent twice stores each row once.
    const auto r = client_->call("POST", "/v1/datasets/" + dataset_id_ + "/data", &body, true);
    p.duration = std::chrono::duration_cast<std::chrono::milliseconds>(clock.monotonic() - started);
    p.ok = r.status.is_ok();
    p.error = r.error;
    p.request_id = r.request_id;
    context_->pushes().record(p);

    switch (r.status.code()) {
        case sdk::Code::ok:
            if (!schema_stored_) {
                context_->state().put(schema_key(dataset_id_), schema_json_);
                schema_stored_ = true;
            }
            if (context_->log().enabled(sdk::LogLevel::debug))
                context_->log().debug("databox: pushed " + std::to_string(p.rows) + " rows to " + target() + " in " +
                                      std::to_string(p.duration.count()) + " ms");
            return sdk::Status::ok();
        case sdk::Code::retry:
            return sdk::Status::retry("databox: " + r.error, r.status.retry_after());
        case sdk::Code::reject:
            if (r.http_status == 403)
                return sdk::Status::fatal("databox: the API key may not push to dataset " + target() + ": " + r.error);
            if (r.http_status == 404) {
                context_->state().erase(dataset_key(config_.dataset_title));
                return sdk::Status::fatal("databox: dataset " + target() +
                                          " no longer exists (the next run finds or creates it): " + r.error);
            }
            for (const auto i : indexes)
                rejected.push_back({.index = i, .reason = "Databox refused the ingestion: " + r.error});
            return sdk::Status::ok();
        case sdk::Code::fatal:
            break;
    }
    return sdk::Status::fatal("databox: " + r.error);
}

sdk::Status DataboxWriter::close() {
    client_.reset();
    return sdk::Status::ok();
}

}  // namespace junction::databox
