// How messages name a JSON value's type ("expected integer, got string"): one vocabulary
// for the host's config errors and the plugins' reject reasons.
#pragma once

#include <boost/json/value.hpp>

namespace junction::sdk {

inline const char* json_type_name(const boost::json::value& v) noexcept {
    switch (v.kind()) {
        case boost::json::kind::null:
            return "null";
        case boost::json::kind::bool_:
            return "boolean";
        case boost::json::kind::int64:
        case boost::json::kind::uint64:
            return "integer";
        case boost::json::kind::double_:
            return "number";
        case boost::json::kind::string:
            return "string";
        case boost::json::kind::array:
            return "array";
        case boost::json::kind::object:
            return "object";
    }
    return "unknown";
}

}  // namespace junction::sdk
