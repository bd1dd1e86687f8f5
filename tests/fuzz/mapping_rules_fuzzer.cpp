// Fuzzes the mapping translator: its options go through the host's validator, the
// plugin's check_options and parse_config, then the rules run on a record, as in
// MappingTranslator::translate. The input is one JSON object {"options": ..., "record": ...}.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include <boost/json/parse.hpp>
#include <junction/sdk/detail/option_check.hpp>

#include "mapping_config.hpp"
#include "mapping_rules.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    namespace json = boost::json;
    namespace mapping = junction::mapping;
    json::parse_options relaxed;
    relaxed.allow_comments = true;
    relaxed.allow_trailing_commas = true;
    boost::system::error_code ec;
    auto value = json::parse(std::string_view(reinterpret_cast<const char*>(data), size), ec, {}, relaxed);
    if (ec || !value.is_object()) return 0;
    const auto* options_in = value.get_object().if_contains("options");
    const auto* record = value.get_object().if_contains("record");
    if (options_in == nullptr || !options_in->is_object() || record == nullptr || !record->is_object()) return 0;

    static const auto schema = mapping::translator_options();
    std::vector<junction::sdk::detail::OptionError> errors;
    const auto options = junction::sdk::detail::validate_options(schema, options_in->get_object(),
                                                                 "pipelines[0].translators[0].options", "/fuzz", errors);
    if (!errors.empty() || !mapping::check_config(options).is_ok()) return 0;
    const auto config = mapping::parse_config(options);
    json::object payload = record->get_object();
    std::string key;
    (void)mapping::apply_rules(config, payload, key);
    return 0;
}
