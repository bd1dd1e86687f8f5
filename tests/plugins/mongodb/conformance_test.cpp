// The mongodb reader held to the reader vocabulary it shares with the docstore
// (../reader_conformance.hpp), against the MongoDB-wire test server (or MONGO_URI), one
// fresh database per case.
#include <memory>

#include <boost/json/serialize.hpp>

#include "mongo_fixture.hpp"
#include "reader.hpp"

#include "../reader_conformance.hpp"

namespace {

using namespace junction;

struct MongoBackend {
    static constexpr const char* name = "mongodb";

    [[nodiscard]] sdk::OptionSchema reader_schema() const { return mongodb::reader_options(); }
    [[nodiscard]] sdk::OptionSchema writer_schema() const { return mongodb::writer_options(); }
    [[nodiscard]] sdk::Status check_reader(const sdk::Options& o) const { return mongodb::check_reader_config(o); }
    [[nodiscard]] sdk::Status check_writer(const sdk::Options& o) const { return mongodb::check_writer_config(o); }
    [[nodiscard]] boost::json::object store_options() const {
        return test::common_options(test::mongo_server().uri(), database, "docs");
    }
    void insert(const boost::json::object& document) const {
        test::Direct direct(test::mongo_server().uri(), database, "docs");
        const auto inserted = direct.insert(boost::json::serialize(document));  // {code, message}
        REQUIRE_MESSAGE(inserted.first == 0, inserted.second);
    }
    [[nodiscard]] std::unique_ptr<sdk::Reader> reader() const { return std::make_unique<mongodb::MongoReader>(); }

    std::string database = test::unique_db("conformance");
};

}  // namespace

JUNCTION_READER_CONFORMANCE(MongoBackend);
