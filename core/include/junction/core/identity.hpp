// A submission's identity in substance (issue 12), declared in the config: which fields
// make two submissions the same, and how each is compared. For the formula example, the
// set of materials, each name trimmed and case-folded, each concentration an exact
// decimal, whatever their order and whatever the formula's name:
//
//   {"fields": {"materials": {"set_of": {"fields": {"name": "folded_text",
//                                                    "concentration": "decimal"}}}}}
//
// A spec is one of:
//   "text"          a string as it is
//   "folded_text"   a string trimmed, in Unicode NFC, case-folded (Boost.Locale, ICU)
//   "decimal"       a number, exactly, from the document's text: 15.5 = 15.50 = 1.55e1
//   "exact"         any value: objects with sorted keys, numbers as exact decimals
//   {"fields": {NAME: SPEC, ...}}  an object's named fields (others ignored; absent: null)
//   {"set_of": SPEC}   an array as a set: order and repeats ignored
//   {"list_of": SPEC}  an array in order
// canonical() writes the compared form as JSON text; key() is its SHA-256 in hex.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include "json_schema.hpp"

namespace junction::core {

class IdentitySpec {
public:
    // Empty, with each mistake at its path in the spec, when it is not a valid spec.
    static std::optional<IdentitySpec> compile(const boost::json::value& spec, std::vector<SchemaProblem>& problems);

    // The document's compared form; empty, with `problem` set (its path and what was
    // expected), when a field does not have the declared kind. `number_texts`:
    // sdk::number_texts() of the document's text (without them, doubles' shortest texts).
    [[nodiscard]] std::optional<std::string> canonical(const boost::json::value& document,
                                                       const std::map<std::string, std::string>* number_texts,
                                                       SchemaProblem& problem) const;

    // SHA-256 of canonical(), 64 hex digits.
    [[nodiscard]] std::optional<std::string> key(const boost::json::value& document,
                                                 const std::map<std::string, std::string>* number_texts,
                                                 SchemaProblem& problem) const;

    struct Node;

private:
    std::shared_ptr<const Node> root_;
};

}  // namespace junction::core
