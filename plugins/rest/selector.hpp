// The record selector: JSON paths in the `$` / `$.a.b` form into a response body, the
// records array they point at, and the filter conditions a record must meet. Pure.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

namespace junction::rest {

// "$" (the whole body) or "$.a.b" (dotted keys below it).
class JsonPath {
public:
    JsonPath() = default;
    // Nothing, with `problem` set, when `text` is not one of those forms.
    static std::optional<JsonPath> parse(std::string_view text, std::string& problem);

    [[nodiscard]] const boost::json::value* find(const boost::json::value& root) const;
    [[nodiscard]] const std::string& text() const noexcept { return text_; }
    [[nodiscard]] bool is_root() const noexcept { return dotted_.empty(); }

private:
    std::string text_ = "$";
    std::string dotted_;  // "a.b", or "" for $
};

// One condition of `records.filter`; a record is kept when it meets all of them.
struct Condition {
    enum class Op : unsigned char { exists, absent, equals, not_equals, in };
    JsonPath path;
    Op op = Op::exists;
    boost::json::value value;  // equals / not_equals: a value; in: an array
};

[[nodiscard]] bool meets(const boost::json::value& record, const std::vector<Condition>& conditions);

// The records at `path` in `body`: an array (moved out of body), or null/absent as none.
// Anything else: nothing, with `problem` set ("$.results is an object, not an array").
std::optional<boost::json::array> take_records(boost::json::value& body, const JsonPath& path, std::string& problem);

// A value as text for templates, keys and tokens: a string as it is, null as nothing,
// anything else as compact JSON.
std::optional<std::string> value_text(const boost::json::value& v);

}  // namespace junction::rest
