// Shared by the docstore tests: a fresh temporary folder, records and contexts.
#pragma once

#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <junction/sdk/record.hpp>

#include "docstore_config.hpp"
#include "test_context.hpp"

#include "temp_dir.hpp"

namespace docstore_test {

namespace fs = std::filesystem;

// The shared temporary folder, with the docstore file the tests use in it.
struct TempDir : junction::test::TempDir {
    [[nodiscard]] std::string db() const { return (path() / "docs.db").string(); }
};

inline junction::sdk::Record record(boost::json::object payload) {
    junction::sdk::Record r;
    r.payload = std::move(payload);
    return r;
}

inline junction::sdk::Batch work_orders(int from, int to, bool synced = false) {
    junction::sdk::Batch batch;
    for (int n = from; n <= to; ++n)
        batch.push_back(record({{"number", n},
                                {"title", "order " + std::to_string(n)},
                                {"status", "pending"},
                                {"isSynced", synced},
                                {"createdAt", "2024-03-01T10:00:00.000Z"}}));
    return batch;
}

inline junction::test::TestContext writer_context(const std::string& db, std::string collection = "orders",
                                                  std::string base_dir = ".") {
    return {junction::docstore::writer_schema(),
            {{"path", db}, {"collection", std::move(collection)}, {"upsert_key", boost::json::array{"number"}}},
            std::move(base_dir)};
}

inline junction::test::TestContext reader_context(const std::string& db, boost::json::object extra = {}) {
    boost::json::object options{{"path", db}, {"collection", "orders"}};
    for (auto& [k, v] : extra)
        options[k] = v;
    return {junction::docstore::reader_schema(), std::move(options)};
}

inline void write_garbage(const fs::path& file) {
    std::ofstream out(file, std::ios::binary);
    for (int i = 0; i < 400; ++i)
        out << "definitely not SQLite ";
}

}  // namespace docstore_test
