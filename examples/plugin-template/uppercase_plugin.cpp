// The "uppercase" plugin: a translator that upper-cases the string fields it is told to.
// A starting point for your own plugin; see README.md.
#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include <junction/sdk/sdk.hpp>

namespace {

using namespace junction::sdk;

class UppercaseTranslator final : public Translator {
public:
    // Options arrive validated against the schema below, with defaults applied.
    Status open(Context& context) override {
        fields_ = context.options().get_strings("fields");
        strict_ = context.options().get_bool("strict", false);
        return Status::ok();
    }

    // Called from several threads at once (thread_safe below): only reads members.
    Status translate(Record& record) override {
        for (const auto& field : fields_) {
            auto* value = record.payload.if_contains(field);
            if (value == nullptr || value->is_null()) {
                if (strict_) return Status::reject("field '" + field + "' is missing");
                continue;
            }
            if (!value->is_string()) return Status::reject("field '" + field + "' is not a string");
            std::string text(value->get_string());
            std::transform(text.begin(), text.end(), text.begin(),
                           [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
            *value = text;
        }
        return Status::ok();
    }

private:
    std::vector<std::string> fields_;
    bool strict_ = false;
};

class UppercaseFactory final : public PluginFactory {
public:
    PluginInfo info() const override {
        PluginInfo info;
        info.description = "Upper-cases chosen string fields of each record (ASCII letters).";
        info.status = Maturity::experimental;
        info.components.push_back({.kind = Kind::translator,
                                   .description = "Upper-cases the configured fields.",
                                   .options = {{.name = "fields",
                                                .type = OptionType::string_list,
                                                .required = true,
                                                .description = "Names of the top-level fields to upper-case."},
                                               {.name = "strict",
                                                .type = OptionType::boolean,
                                                .default_value = false,
                                                .description = "Reject a record that lacks one of the fields."}},
                                   .thread_safe = true});
        return info;
    }
    std::unique_ptr<Component> create(Kind kind) override {
        if (kind == Kind::translator) return std::make_unique<UppercaseTranslator>();
        return nullptr;  // a kind this plugin does not provide
    }
};

}  // namespace

// The registry name ("uppercase") and this plugin's version; the one export of the library.
JUNCTION_PLUGIN(UppercaseFactory, "uppercase", "0.1.0")
