// The bundled plugins' tests use the same harness an outside author gets installed
// (junction/sdk/testing.hpp); this header only brings its names into junction::test.
#pragma once

#include <vector>

#include <junction/sdk/testing.hpp>

namespace junction::test {

using sdk::testing::AckBatch;
using sdk::testing::MemoryKeyValueStore;
using sdk::testing::RecordingLogger;
using sdk::testing::TestContext;
using sdk::testing::with_defaults;

// Acknowledgements as the engine hands them: these records, and each partition's last
// position as committed.
inline AckBatch Acks(std::vector<sdk::Acknowledgement> records) {
    AckBatch acks;
    for (auto& a : records)
        acks.add(std::move(a));
    acks.commit_positions();
    return acks;
}

}  // namespace junction::test
