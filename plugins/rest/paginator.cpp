#include "paginator.hpp"

#include <cmath>

#include "link_header.hpp"

namespace junction::rest {

namespace json = boost::json;

namespace {

// The total at total_path as an integer; nothing when absent or not a number.
std::optional<std::int64_t> total_of(const PaginatorConfig& c, const json::value* body) {
    if (!c.total_path || body == nullptr) return std::nullopt;
    const auto* v = c.total_path->find(*body);
    if (v == nullptr) return std::nullopt;
    if (v->is_int64()) return v->get_int64();
    if (v->is_uint64()) return static_cast<std::int64_t>(std::min<std::uint64_t>(v->get_uint64(), INT64_MAX));
    if (v->is_double() && std::isfinite(v->get_double()) && std::fabs(v->get_double()) < 9e18)
        return static_cast<std::int64_t>(v->get_double());
    return std::nullopt;
}

}  // namespace

Paginator::Paginator(const PaginatorConfig& config) : config_(&config), page_(config.start) {}

std::vector<std::pair<std::string, json::value>> Paginator::params() const {
    std::vector<std::pair<std::string, json::value>> out;
    switch (config_->type) {
        case PaginatorType::cursor:
            if (cursor_) out.emplace_back(config_->param, cursor_value_);
            break;
        case PaginatorType::offset:
            out.emplace_back(config_->limit_param, config_->limit);
            out.emplace_back(config_->offset_param, offset_);
            break;
        case PaginatorType::page:
            out.emplace_back(config_->page_param, page_);
            if (!config_->size_param.empty() && config_->page_size > 0)
                out.emplace_back(config_->size_param, config_->page_size);
            break;
        case PaginatorType::link:
        case PaginatorType::none:
            break;
    }
    return out;
}

std::optional<std::string> Paginator::token() const {
    switch (config_->type) {
        case PaginatorType::cursor:
            return cursor_;
        case PaginatorType::offset:
            return std::to_string(offset_);
        case PaginatorType::page:
            return std::to_string(page_);
        case PaginatorType::link:
            return next_url_;
        case PaginatorType::none:
            break;
    }
    return std::nullopt;
}

bool Paginator::advance(const PageInfo& page, std::string& warning) {
    const auto& c = *config_;
    switch (c.type) {
        case PaginatorType::none:
            return false;
        case PaginatorType::link: {
            if (page.link_header == nullptr) return false;
            const auto next = find_link(*page.link_header, "next");
            if (!next || next->empty()) return false;
            auto url = resolve_url(page.url, *next);
            if (url == page.url || (next_url_ && url == *next_url_)) {
                warning = "the Link header's next page is the page just read; stopping there";
                return false;
            }
            next_url_ = std::move(url);
            return true;
        }
        case PaginatorType::cursor: {
            const auto* v = page.body == nullptr ? nullptr : c.cursor_path.find(*page.body);
            if (v == nullptr || v->is_null() || (v->is_string() && v->get_string().empty())) return false;
            if (v->is_object() || v->is_array() || v->is_bool()) {
                warning = c.cursor_path.text() + " is not a string nor a number; stopping there";
                return false;
            }
            auto text = value_text(*v);
            if (cursor_ && text == cursor_) {
                warning = "the next cursor at " + c.cursor_path.text() + " is the one just used; stopping there";
                return false;
            }
            cursor_ = std::move(text);
            cursor_value_ = *v;
            return true;
        }
        case PaginatorType::offset: {
            if (page.records == 0 || page.records < static_cast<std::size_t>(c.limit)) return false;
            offset_ += c.limit;
            if (const auto total = total_of(c, page.body); total && offset_ >= *total) return false;
            return true;
        }
        case PaginatorType::page: {
            if (page.records == 0) return false;
            if (c.page_size > 0 && page.records < static_cast<std::size_t>(c.page_size)) return false;
            const auto read =
                (page_ - c.start + 1) * (c.page_size > 0 ? c.page_size : static_cast<std::int64_t>(page.records));
            ++page_;
            if (const auto total = total_of(c, page.body); total && read >= *total) return false;
            return true;
        }
    }
    return false;
}

}  // namespace junction::rest
