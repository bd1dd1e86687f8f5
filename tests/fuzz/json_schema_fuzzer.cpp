// Fuzzes what issue 12's intake does with a payload: core::JsonSchema,
// core::IdentitySpec and core::SumCheck. Input: a schema, a newline, a document (when there is no newline,
// the formula example's schema checks the whole input). What it checks:
// - a schema either compiles or is refused with problems, each at a JSON Pointer ("" or
//   starting with "/") with a one-line message;
// - validating never throws; every problem has such a path and message, and there are at
//   most 101 (100, and one line for the rest);
// - the formula identity and the "exact" identity of a document either name a problem
//   at a path, or give canonical JSON text that parses, and the exact identity of that
//   text is the text itself (canonical forms are fixed points);
// - the formula's sum check ("/materials/*/concentration" at most 100) names its problems
//   at "/materials" with a one-line message, and the exact sum of the "exact" canonical
//   text is the document's own (the canonical form keeps every number exactly).
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <boost/json.hpp>
#include <junction/core/identity.hpp>
#include <junction/core/json_schema.hpp>
#include <junction/core/sum_check.hpp>
#include <junction/sdk/decimal.hpp>

namespace {

using junction::core::IdentitySpec;
using junction::core::JsonSchema;
using junction::core::SchemaProblem;
using junction::core::SumCheck;
namespace json = boost::json;

void check(bool ok) {
    if (!ok) __builtin_trap();
}

void check_problem(const SchemaProblem& p) {
    check(p.path.empty() || p.path[0] == '/');
    check(!p.message.empty() && p.message.find('\n') == std::string::npos);
}

const char* formula_schema = R"({"type": "object", "required": ["name", "materials"], "additionalProperties": false,
  "properties": {"name": {"type": "string", "minLength": 1, "maxLength": 200},
    "materials": {"type": "array", "minItems": 1, "items": {"type": "object", "required": ["name", "concentration"],
      "additionalProperties": false, "properties": {"name": {"type": "string", "minLength": 1, "pattern": "\\S"},
        "concentration": {"type": "number", "exclusiveMinimum": 0, "maximum": 100}}}}}})";

struct Fixture {
    JsonSchema formula;
    IdentitySpec formula_identity;
    IdentitySpec exact;
    SumCheck sum;
    Fixture() {
        std::vector<SchemaProblem> problems;
        sum = *SumCheck::compile(json::parse(R"({"sum": "/materials/*/concentration", "at_most": "100"})"), "",
                                 problems);
        formula = *JsonSchema::compile(json::parse(formula_schema), problems);
        formula_identity = *IdentitySpec::compile(
            json::parse(R"({"fields": {"materials": {"set_of": {"fields": {"name": "folded_text",
                                                                              "concentration": "decimal"}}}}})"),
            problems);
        exact = *IdentitySpec::compile(json::parse(R"("exact")"), problems);
        check(problems.empty());
    }
};

std::optional<json::value> parse(std::string_view text, std::map<std::string, std::string>& texts) {
    std::error_code ec;
    texts = junction::sdk::number_texts(text, ec);
    boost::system::error_code jec;
    auto v = json::parse(text, jec);
    check(!ec == !jec);
    if (jec) return std::nullopt;
    return v;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    static const Fixture f;
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const auto newline = input.find('\n');
    std::optional<JsonSchema> own;
    std::string_view document_text = input;
    if (newline != std::string_view::npos) {
        boost::system::error_code jec;
        const auto schema = json::parse(input.substr(0, newline), jec);
        if (jec) return 0;
        std::vector<SchemaProblem> problems;
        own = JsonSchema::compile(schema, problems);
        check(own.has_value() == problems.empty());
        for (const auto& p : problems)
            check_problem(p);
        document_text = input.substr(newline + 1);
    }
    std::map<std::string, std::string> texts;
    const auto document = parse(document_text, texts);
    if (!document) return 0;
    const auto problems = (own ? *own : f.formula).validate(*document, &texts);
    check(problems.size() <= 101);
    for (const auto& p : problems)
        check_problem(p);
    std::vector<SchemaProblem> sum_problems;
    f.sum.check(*document, &texts, sum_problems);
    check(sum_problems.size() <= 1);
    for (const auto& p : sum_problems) {
        check_problem(p);
        check(p.path == "/materials");
    }

    for (const auto* spec : {&f.formula_identity, &f.exact}) {
        SchemaProblem problem;
        const auto canonical = spec->canonical(*document, &texts, problem);
        if (!canonical) {
            check_problem(problem);
            continue;
        }
        std::map<std::string, std::string> canonical_texts;
        const auto again = parse(*canonical, canonical_texts);
        check(again.has_value());
        SchemaProblem second;
        const auto fixed = f.exact.canonical(*again, &canonical_texts, second);
        check(fixed.has_value() && *fixed == *canonical);
        if (spec == &f.exact) check(f.sum.sum(*again, &canonical_texts) == f.sum.sum(*document, &texts));
    }
    return 0;
}
