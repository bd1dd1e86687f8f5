// Re-running dead letters through a pipeline's translators and writer.
#include <algorithm>

#include "engine_run.hpp"
#include "junction/core/logging.hpp"

namespace junction::core {

RunSummary replay_dead_letters(const ResolvedPipeline& pipeline, StateStore& store, const RunOptions& options,
                               const std::vector<std::int64_t>& only_ids, std::stop_token stop) {
    const auto started = std::chrono::steady_clock::now();
    auto letters = store.dead_letters(pipeline.config->name, false, 1000000);
    std::vector<DeadLetter> todo;
    std::uint64_t skipped = 0;
    for (auto& d : letters) {
        if (!only_ids.empty() && std::find(only_ids.begin(), only_ids.end(), d.id) == only_ids.end()) continue;
        if (d.stage == "reader") {  // no record to replay: the input itself was unreadable
            ++skipped;
            continue;
        }
        todo.push_back(std::move(d));
    }
    if (skipped > 0)
        log_warn(std::to_string(skipped) + (skipped == 1 ? " dead letter comes" : " dead letters come") +
                     " from unreadable input and cannot be replayed: fix the input where the reader set it "
                     "aside and feed it to the reader again",
                 {{"pipeline", pipeline.config->name}});

    PipelineRun run(pipeline, store, options, stop);
    if (!todo.empty() && run.open_translators_and_writer()) {
        const std::size_t batch = pipeline.config->batch_size;
        for (std::size_t start = 0; start < todo.size() && !run.failed() && !stop.stop_requested(); start += batch) {
            const std::size_t end = std::min(todo.size(), start + batch);
            std::vector<std::int64_t> ids;
            std::vector<Work> works;  // one record each: each re-enters at its own translator
            bool ok = true;
            for (std::size_t i = start; i < end && ok && !stop.stop_requested(); ++i) {
                auto& d = todo[i];
                // Re-enter at the translator that rejected it (translators leave a rejected
                // record unchanged), or go straight to the writer. When the pipeline no
                // longer has exactly one translator of that plugin, where to re-enter is
                // unknown: leave the letter alone rather than write a half-translated record.
                std::size_t first = pipeline.translators.size();
                if (d.stage == "translator") {
                    std::size_t matches = 0;
                    for (std::size_t t = 0; t < pipeline.translators.size(); ++t)
                        if (pipeline.translators[t].config->plugin == d.plugin) {
                            first = t;
                            ++matches;
                        }
                    if (matches != 1) {
                        log_warn("dead letter #" + std::to_string(d.id) + " not replayed: the pipeline has " +
                                     std::to_string(matches) + " translators of plugin " + d.plugin +
                                     ", so where it re-enters is ambiguous",
                                 {{"pipeline", pipeline.config->name}});
                        continue;
                    }
                }
                Work w;
                sdk::Record r{std::move(d.payload), d.meta};
                r.meta.attempts += 1;
                r.meta.error.clear();
                w.records.push_back(std::move(r));
                run.add_read(1);
                ok = run.translate(w, first);
                works.push_back(std::move(w));
                ids.push_back(d.id);
            }
            // One write, flush and dead-letter commit for the page, as a run does for a group.
            ok = ok && (works.empty() || run.write_group(std::span<Work>(works), false));
            if (ok && !ids.empty()) store.mark_replayed(ids);
            if (!ok) break;
        }
    }
    run.close_all();
    auto s = run.summary(started);
    log_summary(s);
    return s;
}

}  // namespace junction::core
