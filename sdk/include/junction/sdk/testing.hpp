// The harness an author unit-tests a component with, no host needed: a TestContext whose
// options go through the host's own validator, test doubles of every host service, a
// writer into memory, hand-built acknowledgements, and read_all() to drive a reader.
// For tests only: a plugin's own code never includes it.
//
//   junction::sdk::testing::TestContext ctx(MyFactory().info().find(Kind::reader)->options,
//                                           {{"dir", "in"}}, tmp.string());
//   MyReader reader;
//   REQUIRE(reader.open(ctx).is_ok());
//   auto records = junction::sdk::testing::read_all(reader, ctx);
#pragma once

#include "testing/components.hpp"
#include "testing/services.hpp"
#include "testing/test_context.hpp"
