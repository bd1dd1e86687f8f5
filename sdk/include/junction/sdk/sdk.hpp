// Everything a connector author needs: include this one header. (The test harness,
// testing.hpp, is included by tests alone.)
#pragma once

#include "abi.hpp"
#include "collection.hpp"
#include "components.hpp"
#include "intake.hpp"
#include "context.hpp"
#include "iso8601.hpp"
#include "json_path.hpp"
#include "json_text.hpp"
#include "json_types.hpp"
#include "options.hpp"
#include "plugin.hpp"
#include "record.hpp"
#include "services.hpp"
#include "source_tracker.hpp"
#include "status.hpp"
