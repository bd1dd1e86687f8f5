// A JSON Schema (draft 2020-12) subset, for payloads that arrive over HTTP (the
// submissions intake): type, enum, const; properties, required, additionalProperties;
// items, minItems, maxItems; minLength, maxLength (in Unicode code points), pattern
// (ECMAScript, Boost.Regex); minimum, maximum, exclusiveMinimum, exclusiveMaximum; and
// the annotations $schema, $id, $comment, title, description, default, examples.
//
// Why not a library: Debian 12 packages no C++ JSON Schema validator for Boost.JSON
// values, and this subset is what a config author needs to describe a payload.
//
// Numbers are compared exactly, as decimals (sdk::Decimal), from the payload's own text
// when number_texts() of it are given: `"maximum": 100` refuses 100.000000000000001,
// which as a double is 100. Any other keyword in a schema is an error when it is
// compiled, so a typo ("minLenght") does not silently check nothing.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

namespace junction::core {

struct SchemaProblem {
    std::string path;     // JSON Pointer into the document ("" the whole; "/materials/0/name")
    std::string message;  // one line
};

class JsonSchema {
public:
    // The compiled schema; empty, with a problem for each mistake (paths into the schema),
    // when the schema itself is not valid.
    static std::optional<JsonSchema> compile(const boost::json::value& schema, std::vector<SchemaProblem>& problems);

    // Every problem of `document`, in document order. `number_texts` (sdk::number_texts()
    // of the document's text) makes numeric checks exact; without it the doubles are used.
    [[nodiscard]] std::vector<SchemaProblem> validate(
        const boost::json::value& document, const std::map<std::string, std::string>* number_texts = nullptr) const;

    struct Node;

private:
    std::shared_ptr<const Node> root_;
};

}  // namespace junction::core
