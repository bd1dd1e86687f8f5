// The test executables' precompiled header (tests/CMakeLists.txt): what nearly every test
// file parses, parsed once a build instead of once a file. Only third-party, standard and
// SDK headers (none of core/ or the plugins), which the tests include anyway. A test still
// includes what it uses: with -DJUNCTION_PCH=OFF it compiles without this header.
#pragma once

#include <doctest/doctest.h>

#include <boost/json.hpp>

#include <junction/sdk/sdk.hpp>
#include <junction/sdk/testing.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <vector>
