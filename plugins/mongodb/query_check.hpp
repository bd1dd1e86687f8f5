// The shape of a reader `filter` that MongoDB would refuse at the first find (an unknown
// or misused operator, an empty field name, operators mixed with plain keys), checked
// without a server so that `junction validate` refuses it before any run.
#pragma once

#include <string>

#include <boost/json/object.hpp>

namespace junction::mongodb {

// Why MongoDB would refuse the query, as "filter: ..." (one line), or empty.
std::string query_problem(const boost::json::object& filter);

}  // namespace junction::mongodb
