// A check on a payload that JSON Schema cannot express: the sum of the numbers found at a
// JSON Pointer pattern, where `*` stands for every element of an array (or member of an
// object), is within bounds. The formula example's "the concentrations add up to at most
// 100" is {"sum": "/materials/*/concentration", "at_most": "100"}.
//
// The sum is exact: each number is an sdk::Decimal from the payload's own text, so
// 33.3 + 33.3 + 33.4 is 100 (as doubles it is 100.00000000000001). Values at the pattern
// that are not numbers are left to the schema (they are skipped here).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/value.hpp>
#include <junction/sdk/decimal.hpp>

#include "json_schema.hpp"

namespace junction::core {

class SumCheck {
public:
    // {"sum": "/a/*/b", "at_most": "100", "at_least": "0", "message": "..."} (bounds as
    // strings or numbers; at least one bound). Empty, with each mistake at its path
    // (under `path`, e.g. "http.submissions[0].checks[0]"), when it is not valid.
    static std::optional<SumCheck> compile(const boost::json::value& spec, const std::string& path,
                                           std::vector<SchemaProblem>& problems);

    // Appends a problem when the sum is out of bounds: at the pattern's fixed prefix
    // ("/materials"), saying the sum and the bound.
    void check(const boost::json::value& document, const std::map<std::string, std::string>* number_texts,
               std::vector<SchemaProblem>& problems) const;

    // The exact sum of the numbers at the pattern in `document`.
    [[nodiscard]] sdk::Decimal sum(const boost::json::value& document,
                                   const std::map<std::string, std::string>* number_texts) const;

private:
    std::string pattern_;
    std::vector<std::string> tokens_;  // unescaped; "*" a wildcard
    std::optional<sdk::Decimal> at_most_, at_least_;
    std::string message_;
};

}  // namespace junction::core
