#include "junction/core/identity.hpp"

#include <algorithm>
#include <set>
#include <stdexcept>

#include <boost/json.hpp>
#include <boost/locale/conversion.hpp>
#include <boost/locale/generator.hpp>
#include <junction/sdk/decimal.hpp>
#include <junction/sdk/json_types.hpp>

#include "junction/core/digest.hpp"

namespace junction::core {
namespace json = boost::json;

struct IdentitySpec::Node {
    enum class Kind { text, folded_text, decimal, exact, fields, set_of, list_of } kind = Kind::exact;
    std::map<std::string, std::shared_ptr<const Node>> fields;  // sorted: the canonical order
    std::shared_ptr<const Node> element;                        // set_of, list_of
};

namespace {

using Node = IdentitySpec::Node;

std::shared_ptr<const Node> compile_node(const json::value& s, const std::string& path,
                                         std::vector<SchemaProblem>& problems) {
    auto n = std::make_shared<Node>();
    if (const auto* name = s.if_string()) {
        if (*name == "text")
            n->kind = Node::Kind::text;
        else if (*name == "folded_text")
            n->kind = Node::Kind::folded_text;
        else if (*name == "decimal")
            n->kind = Node::Kind::decimal;
        else if (*name == "exact")
            n->kind = Node::Kind::exact;
        else
            problems.push_back({path, "unknown kind " + json::serialize(s) +
                                          " (valid: text, folded_text, decimal, exact, or an object with fields, "
                                          "set_of or list_of)"});
        return n;
    }
    const auto* o = s.if_object();
    if (o == nullptr || o->size() != 1) {
        problems.push_back({path, "expected a kind (\"text\", \"folded_text\", \"decimal\", \"exact\") or an object "
                                  "with one of fields, set_of, list_of"});
        return n;
    }
    const auto& [key, value] = *o->begin();
    const std::string at = path + "/" + sdk::json_pointer_token(key);
    if (key == "fields") {
        n->kind = Node::Kind::fields;
        if (!value.is_object() || value.get_object().empty()) {
            problems.push_back({at, "expected an object of field names and their kinds"});
            return n;
        }
        for (const auto& f : value.get_object())
            n->fields.emplace(std::string(f.key()), compile_node(f.value(), at + "/" + sdk::json_pointer_token(f.key()), problems));
    } else if (key == "set_of" || key == "list_of") {
        n->kind = key == "set_of" ? Node::Kind::set_of : Node::Kind::list_of;
        n->element = compile_node(value, at, problems);
    } else {
        problems.push_back({at, "unknown key (valid: fields, set_of, list_of)"});
    }
    return n;
}

// Trimmed of white space, Unicode NFC, case-folded: "  Iso E Super " and "ISO E SUPER"
// are one name; "Café" (é as one code point or as e + U+0301) another.
std::string folded(std::string_view s) {
    static const std::locale loc = boost::locale::generator()("en_US.UTF-8");
    const auto b = s.find_first_not_of(" \t\r\n\f\v");
    if (b == std::string_view::npos) return {};
    const auto e = s.find_last_not_of(" \t\r\n\f\v");
    const std::string trimmed(s.substr(b, e - b + 1));
    return boost::locale::fold_case(boost::locale::normalize(trimmed, boost::locale::norm_nfc, loc), loc);
}

class Canonicalizer {
public:
    explicit Canonicalizer(const std::map<std::string, std::string>* texts) : texts_(texts) {}

    // Appends v's canonical form under n to out; false with problem set when v does not fit.
    bool write(const Node& n, const json::value& v, const std::string& path, std::string& out) {
        using K = Node::Kind;
        switch (n.kind) {
            case K::text:
            case K::folded_text:
                if (!v.is_string()) return fail(path, "expected text for the identity, got " + type_of(v));
                out += json::serialize(json::value(n.kind == K::text ? std::string(v.get_string())
                                                                     : folded(v.get_string())));
                return true;
            case K::decimal:
                if (!v.is_number()) return fail(path, "expected a number for the identity, got " + type_of(v));
                return write_decimal(v, path, out);
            case K::exact:
                return write_exact(v, path, out);
            case K::fields: {
                if (!v.is_object()) return fail(path, "expected an object for the identity, got " + type_of(v));
                out += '{';
                bool first = true;
                for (const auto& [name, spec] : n.fields) {
                    if (!first) out += ',';
                    first = false;
                    out += json::serialize(json::value(name));
                    out += ':';
                    const auto* f = v.get_object().if_contains(name);
                    if (f == nullptr || f->is_null()) {
                        out += "null";
                    } else if (!write(*spec, *f, path + "/" + sdk::json_pointer_token(name), out)) {
                        return false;
                    }
                }
                out += '}';
                return true;
            }
            case K::set_of:
            case K::list_of: {
                if (!v.is_array()) return fail(path, "expected an array for the identity, got " + type_of(v));
                std::vector<std::string> items;
                const auto& a = v.get_array();
                for (std::size_t i = 0; i < a.size(); ++i) {
                    std::string item;
                    if (!write(*n.element, a[i], path + "/" + std::to_string(i), item)) return false;
                    items.push_back(std::move(item));
                }
                if (n.kind == K::set_of) {
                    std::sort(items.begin(), items.end());
                    items.erase(std::unique(items.begin(), items.end()), items.end());
                }
                out += '[';
                for (std::size_t i = 0; i < items.size(); ++i)
                    out += (i ? "," : "") + items[i];
                out += ']';
                return true;
            }
        }
        return fail(path, "unknown kind");
    }

    SchemaProblem problem;

private:
    static std::string type_of(const json::value& v) { return sdk::json_type_name(v); }

    bool fail(const std::string& path, std::string message) {
        problem = {path, std::move(message)};
        return false;
    }

    bool write_decimal(const json::value& v, const std::string& path, std::string& out) {
        const auto d = sdk::decimal_of(v, path, texts_);
        if (!d) return fail(path, "is a number outside what this host compares exactly (10^-1000 to 10^1000)");
        out += d->canonical();
        return true;
    }

    bool write_exact(const json::value& v, const std::string& path, std::string& out) {
        if (v.is_number()) return write_decimal(v, path, out);
        if (v.is_object()) {
            std::map<std::string, const json::value*> sorted;
            for (const auto& kv : v.get_object())
                sorted.emplace(std::string(kv.key()), &kv.value());
            out += '{';
            bool first = true;
            for (const auto& [k, e] : sorted) {
                if (!first) out += ',';
                first = false;
                out += json::serialize(json::value(k));
                out += ':';
                if (!write_exact(*e, path + "/" + sdk::json_pointer_token(k), out)) return false;
            }
            out += '}';
            return true;
        }
        if (v.is_array()) {
            out += '[';
            const auto& a = v.get_array();
            for (std::size_t i = 0; i < a.size(); ++i) {
                if (i) out += ',';
                if (!write_exact(a[i], path + "/" + std::to_string(i), out)) return false;
            }
            out += ']';
            return true;
        }
        out += json::serialize(v);
        return true;
    }

    const std::map<std::string, std::string>* texts_;
};

}  // namespace

std::optional<IdentitySpec> IdentitySpec::compile(const json::value& spec, std::vector<SchemaProblem>& problems) {
    const auto before = problems.size();
    auto root = compile_node(spec, "", problems);
    if (problems.size() != before) return std::nullopt;
    IdentitySpec s;
    s.root_ = std::move(root);
    return s;
}

std::optional<std::string> IdentitySpec::canonical(const json::value& document,
                                                   const std::map<std::string, std::string>* number_texts,
                                                   SchemaProblem& problem) const {
    Canonicalizer c(number_texts);
    std::string out;
    if (!c.write(*root_, document, "", out)) {
        problem = c.problem;
        return std::nullopt;
    }
    return out;
}

std::optional<std::string> IdentitySpec::key(const json::value& document,
                                             const std::map<std::string, std::string>* number_texts,
                                             SchemaProblem& problem) const {
    const auto text = canonical(document, number_texts, problem);
    if (!text) return std::nullopt;
    return hex(sha256(*text));
}

}  // namespace junction::core
