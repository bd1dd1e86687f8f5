// `junction check`: open and close each reader and writer once.
#include "junction/core/engine.hpp"
#include "stage_context.hpp"

namespace junction::core {

std::vector<CheckResult> check_pipeline(const ResolvedPipeline& p, StateStore& store, const RunOptions& options) {
    std::vector<CheckResult> out;
    std::stop_source stop;
    auto check = [&](const ResolvedStage& s, const char* kind, auto instance) {
        CheckResult r{kind, s.config->plugin, sdk::Status::ok()};
        if (!instance) {
            r.status = sdk::Status::fatal("the plugin created no " + std::string(kind));
        } else {
            StageContext ctx(s.options, p.config->name, s.config->plugin, kind, store, stop.get_token(),
                             options.base_dir, std::nullopt);
            r.status = instance->open(ctx);
            (void)instance->close();
        }
        out.push_back(std::move(r));
    };
    check(p.reader, "reader", p.reader.plugin->create_reader());
    check(p.writer, "writer", p.writer.plugin->create_writer());
    return out;
}

}  // namespace junction::core
