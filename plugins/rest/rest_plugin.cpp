// The rest plugin: manifest and factory only.
#include <junction/sdk/sdk.hpp>

#include "reader.hpp"
#include "rest_config.hpp"

namespace junction::rest {

class RestFactory final : public sdk::PluginFactory {
public:
    [[nodiscard]] sdk::PluginInfo info() const override {
        return {
            .description =
                "Declarative REST APIs on the host's HTTP client: requests with templates, pagination "
                "(Link, cursor, offset, page), partitions, incremental sync",
            .status = sdk::Maturity::beta,
            .components = {{.kind = sdk::Kind::reader,
                            .description = "one stream per partition, one page per read; the cursor's maximum is "
                                           "committed with the partition's position after the write",
                            .options = reader_options()}},
        };
    }
    std::unique_ptr<sdk::Component> create(sdk::Kind kind) override {
        if (kind == sdk::Kind::reader) return std::make_unique<RestReader>();
        return nullptr;
    }
    // Templates that name nothing, JSON paths, a paginator's own keys: refused at validate.
    [[nodiscard]] sdk::Status check_options(sdk::Kind kind, const sdk::Options& options) const override {
        return kind == sdk::Kind::reader ? check_reader_config(options) : sdk::Status::ok();
    }
};

}  // namespace junction::rest

JUNCTION_PLUGIN(junction::rest::RestFactory, "rest", "0.1.0")
