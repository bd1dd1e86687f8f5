// The exact sum check of a submission's payload (see junction/core/sum_check.hpp).
#include "junction/core/sum_check.hpp"

#include <functional>

namespace junction::core {
namespace {

std::optional<sdk::Decimal> bound_of(const boost::json::value& v) {
    if (v.is_string()) return sdk::Decimal::parse(std::string_view(v.get_string()));
    return sdk::decimal_of(v, "", nullptr);
}

// "~1" is "/", "~0" is "~" (RFC 6901); empty when the escape is bad.
std::optional<std::string> unescape(std::string_view token) {
    std::string out;
    for (std::size_t i = 0; i < token.size(); ++i) {
        if (token[i] != '~') {
            out += token[i];
            continue;
        }
        if (i + 1 >= token.size() || (token[i + 1] != '0' && token[i + 1] != '1')) return std::nullopt;
        out += token[i + 1] == '0' ? '~' : '/';
        ++i;
    }
    return out;
}

}  // namespace

std::optional<SumCheck> SumCheck::compile(const boost::json::value& spec, const std::string& path,
                                          std::vector<SchemaProblem>& problems) {
    const auto before = problems.size();
    const auto problem = [&](const std::string& at, std::string message) {
        problems.push_back({path + at, std::move(message)});
    };
    if (!spec.is_object()) {
        problem("", "a check must be an object, e.g. {\"sum\": \"/materials/*/concentration\", \"at_most\": 100}");
        return std::nullopt;
    }
    SumCheck out;
    for (const auto& member : spec.get_object()) {
        const std::string key = member.key();
        const auto& v = member.value();
        if (key == "sum") {
            if (!v.is_string() || v.get_string().empty() || v.get_string()[0] != '/') {
                problem(".sum", "must be a JSON Pointer to the numbers, starting with '/' ('*' for every element)");
                continue;
            }
            out.pattern_ = v.get_string();
            std::string_view rest = std::string_view(out.pattern_).substr(1);
            for (;;) {
                const auto slash = rest.find('/');
                const auto token = unescape(rest.substr(0, slash));
                if (!token) {
                    problem(".sum", "'~' must be followed by 0 or 1 in a JSON Pointer");
                    break;
                }
                out.tokens_.push_back(*token);
                if (slash == std::string_view::npos) break;
                rest.remove_prefix(slash + 1);
            }
        } else if (key == "at_most" || key == "at_least") {
            const auto d = bound_of(v);
            if (!d) {
                problem("." + key, "must be a number (or a number's text, e.g. \"100\")");
                continue;
            }
            (key == "at_most" ? out.at_most_ : out.at_least_) = d;
        } else if (key == "message") {
            if (!v.is_string()) {
                problem(".message", "must be a string");
                continue;
            }
            out.message_ = v.get_string();
        } else {
            problem("." + key, "unknown key: a check has sum, at_most, at_least and message");
        }
    }
    if (out.pattern_.empty() && problems.size() == before) problem("", "sum is required");
    if (!out.at_most_ && !out.at_least_ && problems.size() == before) problem("", "at_most or at_least is required");
    if (out.at_most_ && out.at_least_ && *out.at_most_ < *out.at_least_ && problems.size() == before)
        problem("", "at_most is less than at_least");
    if (problems.size() != before) return std::nullopt;
    return out;
}

sdk::Decimal SumCheck::sum(const boost::json::value& document,
                           const std::map<std::string, std::string>* number_texts) const {
    sdk::Decimal total;
    const std::function<void(const boost::json::value&, std::size_t, const std::string&)> walk =
        [&](const boost::json::value& v, std::size_t depth, const std::string& pointer) {
            if (depth == tokens_.size()) {
                if (const auto d = sdk::decimal_of(v, pointer, number_texts)) {
                    if (auto s = total + *d) total = *s;
                }
                return;
            }
            const auto& token = tokens_[depth];
            if (v.is_object()) {
                for (const auto& member : v.get_object()) {
                    const std::string key = member.key();
                    if (token == "*" || token == key)
                        walk(member.value(), depth + 1, pointer + "/" + sdk::json_pointer_token(key));
                }
            } else if (v.is_array()) {
                const auto& a = v.get_array();
                for (std::size_t i = 0; i < a.size(); ++i)
                    if (token == "*" || token == std::to_string(i))
                        walk(a[i], depth + 1, pointer + "/" + std::to_string(i));
            }
        };
    walk(document, 0, "");
    return total;
}

void SumCheck::check(const boost::json::value& document, const std::map<std::string, std::string>* number_texts,
                     std::vector<SchemaProblem>& problems) const {
    const auto total = sum(document, number_texts);
    std::string where;  // the pattern up to its first wildcard
    for (const auto& token : tokens_) {
        if (token == "*") break;
        where += '/';
        where += sdk::json_pointer_token(token);
    }
    const auto fail = [&](const char* relation, const sdk::Decimal& bound) {
        problems.push_back({where, !message_.empty() ? message_
                                                     : "the sum of " + pattern_ + " is " + total.canonical() + ", " +
                                                           relation + " " + bound.canonical()});
    };
    if (at_most_ && total > *at_most_) fail("more than", *at_most_);
    if (at_least_ && total < *at_least_) fail("less than", *at_least_);
}

}  // namespace junction::core
