// Times as the host writes them everywhere (logs, the state store, listings):
// ISO 8601 in UTC with milliseconds and Z, whatever the machine's zone; sorts as text.
#pragma once

#include <chrono>
#include <string>

namespace junction::core {

std::string format_utc_ms(std::chrono::system_clock::time_point t);

}  // namespace junction::core
