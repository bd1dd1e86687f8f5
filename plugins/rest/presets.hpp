// The rest reader's presets: bundled descriptions of known API endpoints (a JSON file
// each in plugins/rest/presets/, embedded at build time: nothing to ship beside the .so).
// A preset is options; the host merges the user's over them before validating
// (junction/sdk/detail/option_check.hpp, merge_over), so a preset is checked like them.
#pragma once

#include <span>

#include <boost/json/object.hpp>

namespace junction::rest {

struct PresetText {
    const char* name;  // the file's name without .json: what `preset` names
    const char* json;  // {"description": "...", "options": {...}}, comments allowed
};

// The embedded texts, sorted by name.
std::span<const PresetText> preset_texts();

// The presets as the `preset` option's extra["presets"]: {name: {"description", "options"}}.
// A text that does not parse is left out (a unit test parses every one).
boost::json::object presets();

}  // namespace junction::rest
