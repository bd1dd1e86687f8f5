// The two work-order mappings of SPEC.md section 1, customer <-> TracOS, as pure
// functions over JSON objects (no I/O, no clock: `now` is passed in).
#pragma once

#include <cstdint>
#include <string>

#include <boost/json/object.hpp>

namespace junction::tracos {

// A translated document, or the reasons it was refused ("orderNo: expected integer,
// got string; creationDate: required"), each naming the field.
struct MappingResult {
    boost::json::object document;
    std::string key;    // the business key, the order number as text
    std::string error;  // empty when the mapping succeeded
    [[nodiscard]] bool ok() const noexcept { return error.empty(); }
};

// Customer work order -> TracOS document. Inbound writes mark the document synced
// (isSynced = true) because the customer already holds this version, so outbound never
// echoes it back. syncedAt is the customer's lastUpdateDate, the version both sides now
// hold, rather than the clock: the mapping is deterministic, so re-delivering the same
// file changes nothing in TracOS.
MappingResult to_tracos(const boost::json::object& customer);

// TracOS document -> customer work order (the document's _id and syncedAt are dropped).
MappingResult to_customer(const boost::json::object& tracos);

}  // namespace junction::tracos
