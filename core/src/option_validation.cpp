// The host's side of option validation: the SDK's checker, with its errors as config errors.
#include "junction/core/option_validation.hpp"

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

boost::json::object redact(const sdk::OptionSchema& schema, const boost::json::object& options) {
    return sdk::detail::redact(schema, options);
}

}  // namespace junction::core
