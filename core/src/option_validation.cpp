// The host's side of option validation: the SDK's checker, with its errors as config errors.
#include "junction/core/option_validation.hpp"

#include <unistd.h>

#include <algorithm>
#include <string_view>

#include <junction/sdk/detail/option_check.hpp>

namespace junction::core {

sdk::Options validate_options(const sdk::OptionSchema& schema, const boost::json::object& input,
                              const std::string& path, const std::filesystem::path& base_dir,
                              std::vector<ConfigError>& errors) {
    std::vector<sdk::detail::OptionError> found;
    auto options = sdk::detail::validate_options(schema, input, path, base_dir.string(), found);
    for (auto& e : found)
        errors.push_back({std::move(e.path), std::move(e.message)});
    return options;
}

ConfigError check_options_error(const sdk::OptionSchema& schema, const std::string& options_path,
                                const std::string& message) {
    const auto colon = message.find(": ");
    if (colon != std::string::npos) {
        const std::string_view where = std::string_view(message).substr(0, colon);
        const std::string_view name = where.substr(0, where.find_first_of(".["));
        // A name with a space in it is prose ("option x: ..."), not an option.
        const bool option = where.find(' ') == std::string_view::npos &&
                            std::any_of(schema.begin(), schema.end(), [&](const auto& s) { return s.name == name; });
        if (option) return {options_path + "." + std::string(where), message.substr(colon + 2)};
    }
    return {options_path, message};
}

std::string path_problem(const std::filesystem::path& path) {
    namespace fs = std::filesystem;
    std::error_code ec;
    const auto status = fs::status(path, ec);
    if (fs::exists(status)) {
        const int need = fs::is_directory(status) ? R_OK | X_OK : R_OK;
        if (::access(path.c_str(), need) != 0) return "cannot read " + path.string() + ": permission denied";
        return {};
    }
    for (auto at = path.parent_path(); !at.empty(); at = at.parent_path()) {
        const auto s = fs::status(at, ec);
        if (!fs::exists(s)) {
            if (at == at.parent_path()) break;
            continue;
        }
        if (!fs::is_directory(s))
            return "cannot create " + path.string() + ": " + at.string() + " is a file, not a folder";
        if (::access(at.c_str(), W_OK | X_OK) != 0)
            return "cannot create " + path.string() + ": no permission to write in " + at.string();
        return {};
    }
    return {};
}

boost::json::object redact(const sdk::OptionSchema& schema, const boost::json::object& options) {
    return sdk::detail::redact(schema, options);
}

namespace {

void collect_secrets(const sdk::OptionSpec& spec, const boost::json::value& v, bool secret,
                     std::vector<std::string>& out);

void collect_fields(const sdk::OptionSchema& schema, const boost::json::object& o, std::vector<std::string>& out) {
    for (const auto& spec : schema)
        if (const auto* v = o.if_contains(spec.name)) collect_secrets(spec, *v, spec.secret, out);
}

// Mirrors redact(): whatever it would hide is collected, the strings of a secret at any depth.
void collect_secrets(const sdk::OptionSpec& spec, const boost::json::value& v, bool secret,
                     std::vector<std::string>& out) {
    if (secret) {
        if (v.is_string()) {
            out.emplace_back(v.get_string());
        } else if (v.is_array()) {
            for (const auto& e : v.get_array())
                collect_secrets(spec, e, true, out);
        } else if (v.is_object()) {
            for (const auto& kv : v.get_object())
                collect_secrets(spec, kv.value(), true, out);
        }
        return;
    }
    if (spec.type == sdk::OptionType::object && v.is_object()) {
        collect_fields(spec.fields, v.get_object(), out);
    } else if ((spec.type == sdk::OptionType::array || spec.type == sdk::OptionType::map) && !spec.items.empty()) {
        const auto& item = spec.items.front();
        if (v.is_array())
            for (const auto& e : v.get_array())
                collect_secrets(item, e, item.secret, out);
        else if (v.is_object())
            for (const auto& kv : v.get_object())
                collect_secrets(item, kv.value(), item.secret, out);
    }
}

}  // namespace

std::vector<std::string> secret_values(const sdk::OptionSchema& schema, const boost::json::object& options) {
    std::vector<std::string> out;
    collect_fields(schema, options, out);
    return out;
}

}  // namespace junction::core
