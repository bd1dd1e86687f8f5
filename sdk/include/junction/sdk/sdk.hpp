// Everything a connector author needs: include this one header.
#pragma once

#include "abi.hpp"
#include "components.hpp"
#include "context.hpp"
#include "json_types.hpp"
#include "options.hpp"
#include "plugin.hpp"
#include "record.hpp"
#include "services.hpp"
#include "status.hpp"
