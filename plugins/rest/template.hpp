// `${scope.name}` templates of the rest reader's requests: parsed once from the config,
// checked against the names the config defines, expanded per request. Pure: no I/O.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace junction::rest {

// One reference: ${vars.owner} is {"vars", "owner"}; ${cursor.start} is {"cursor", "start"}.
struct TemplateRef {
    std::string scope;
    std::string name;
};

class Template {
public:
    Template() = default;
    // Parses `text`; on a malformed reference (an unclosed "${", an empty or undotted
    // name) returns nothing and sets `problem`.
    static std::optional<Template> parse(std::string_view text, std::string& problem);

    [[nodiscard]] std::vector<TemplateRef> refs() const;
    // True when the whole text is one reference ("${cursor.start}").
    [[nodiscard]] bool is_single_ref() const noexcept { return parts_.size() == 1 && parts_[0].ref; }
    [[nodiscard]] bool has_refs() const noexcept;

    // The value of a reference, or nothing when it has none (an absent cursor start).
    using Lookup = std::function<std::optional<std::string>(const TemplateRef&)>;
    // How a referenced value is written into the text (URL-encoded in a path or a query).
    using Encode = std::function<std::string(std::string_view)>;
    // The text with every reference replaced (an absent one by ""); `absent` is set when
    // some reference had no value.
    [[nodiscard]] std::string expand(const Lookup& lookup, const Encode& encode, bool& absent) const;

private:
    struct Part {
        bool ref = false;
        std::string text;  // literal text, or unused for a reference
        TemplateRef target;
    };
    std::vector<Part> parts_;
};

// Percent-encoding of everything but RFC 3986's unreserved characters (A-Z a-z 0-9 - . _ ~);
// `keep_slash` leaves '/' as it is (values spliced into a URL path: "acme/widgets").
std::string url_encode(std::string_view s, bool keep_slash = false);

// "${a.b}, ${c.d}": the scopes and names a template may use, for messages.
std::string refs_text(const std::vector<std::string>& allowed);

}  // namespace junction::rest
