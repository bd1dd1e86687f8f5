// The docstore reader held to the reader vocabulary it shares with mongodb
// (../reader_conformance.hpp), on a SQLite file in a fresh folder.
#include <memory>

#include "docstore_config.hpp"
#include "reader.hpp"
#include "store.hpp"
#include "temp_dir.hpp"

#include "../reader_conformance.hpp"

namespace {

using namespace junction;

struct DocstoreBackend {
    static constexpr const char* name = "docstore";

    [[nodiscard]] sdk::OptionSchema reader_schema() const { return docstore::reader_schema(); }
    [[nodiscard]] sdk::OptionSchema writer_schema() const { return docstore::writer_schema(); }
    [[nodiscard]] sdk::Status check_reader(const sdk::Options& o) const { return docstore::check_reader_config(o); }
    [[nodiscard]] sdk::Status check_writer(const sdk::Options& o) const { return docstore::check_writer_config(o); }
    [[nodiscard]] boost::json::object store_options() const {
        return {{"path", (dir.path() / "docs.db").string()}, {"collection", "docs"}};
    }
    void insert(const boost::json::object& document) const {
        docstore::DocStore store(dir.path() / "docs.db", "docs");
        const std::vector<sdk::Record> one{sdk::Record{document, {}}};
        REQUIRE(store.upsert(one, {"_id"}).front().result == docstore::UpsertResult::inserted);
    }
    [[nodiscard]] std::unique_ptr<sdk::Reader> reader() const { return std::make_unique<docstore::DocstoreReader>(); }

    test::TempDir dir;
};

}  // namespace

JUNCTION_READER_CONFORMANCE(DocstoreBackend);
