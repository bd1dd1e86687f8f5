// `junction check`: open and close each reader and writer once.
#include "junction/core/engine.hpp"
#include "stage_context.hpp"

namespace junction::core {

std::vector<CheckResult> check_pipeline(const ResolvedPipeline& p, StateStore& store, const RunOptions& options) {
    std::vector<CheckResult> out;
    std::stop_source stop;
    std::unique_ptr<HostServices> own;
    HostServices* services = options.services;
    if (services == nullptr) services = (own = std::make_unique<HostServices>()).get();
    // The context outlives the instance opened with it (the instance may log as it goes).
    auto check = [&](const ResolvedStage& s, const char* kind, auto make) {
        CheckResult r{kind, s.config->plugin, sdk::Status::ok()};
        StageContext ctx(s.options, StageIdentity{p.config->name, s.config->plugin, kind}, store, *services,
                         stop.get_token(), options.base_dir, {});
        if (auto instance = make(); !instance) {
            r.status = sdk::Status::fatal("the plugin created no " + std::string(kind));
        } else {
            r.status = instance->open(ctx);
            (void)instance->close();
        }
        out.push_back(std::move(r));
    };
    check(p.reader, "reader", [&] { return p.reader.plugin->create_reader(); });
    check(p.writer, "writer", [&] { return p.writer.plugin->create_writer(); });
    return out;
}

}  // namespace junction::core
