#include "queue_config.hpp"

#include "common/queue_options.hpp"

namespace junction::queue {
namespace {

using sdk::OptionSpec;
using sdk::OptionType;

sdk::OptionSchema common_schema() {
    return {
        {.name = "path",
         .type = OptionType::path,
         .default_value = "junction-queue.db",
         .description = "The SQLite file holding the queue (many queues may share one); a relative path resolves "
                        "against the config file's folder. Created if missing."},
        {.name = "queue",
         .type = OptionType::string,
         .required = true,
         .max = 200,
         .pattern = "[A-Za-z0-9_.-]+",
         .description = "The queue's name (letters, digits, _ . -), as a JetStream subject names a stream."},
    };
}

}  // namespace

sdk::OptionSchema writer_schema() {
    auto schema = common_schema();
    schema.push_back(queue_options::dedup_id_option(
        "A message whose id was published within dedup_window_s is dropped (the publish still succeeds): a relay "
        "that republishes after a crash publishes once."));
    schema.push_back(queue_options::key_field_option("its ordering key, for a reader's fifo_by_key"));
    schema.push_back({.name = "dedup_window_s",
                      .type = OptionType::integer,
                      .default_value = 120,
                      .min = 1,
                      .max = 31 * 86400,
                      .description = "How long a deduplication id is remembered, in seconds (JetStream's "
                                     "duplicate window; its default is 2 minutes)."});
    schema.push_back({.name = "max_age_s",
                      .type = OptionType::integer,
                      .default_value = 7 * 86400,
                      .min = 0,
                      .description = "How long a message is kept, acknowledged or not, in seconds (0: for ever); "
                                     "older ones go with each publish."});
    return schema;
}

sdk::OptionSchema reader_schema() {
    auto schema = common_schema();
    schema.push_back({.name = "consumer",
                      .type = OptionType::string,
                      .default_value = "default",
                      .max = 200,
                      .pattern = "[A-Za-z0-9_.-]+",
                      .description = "The durable consumer: each consumer gets every message; the pipelines (and "
                                     "processes) reading with the same consumer share its messages."});
    schema.push_back({.name = "ack_wait_ms",
                      .type = OptionType::integer,
                      .default_value = 30000,
                      .min = 100,
                      .max = 12 * 3600 * 1000,
                      .description = "The visibility timeout: a message not acknowledged within it is delivered "
                                     "again (the engine extends it while a batch takes long)."});
    schema.push_back({.name = "fifo_by_key",
                      .type = OptionType::boolean,
                      .default_value = false,
                      .description = "Deliver the messages of one key in order, one at a time: a message waits "
                                     "while an earlier one with its key is unfinished (released ones included)."});
    schema.push_back({.name = "deliver",
                      .type = OptionType::string,
                      .default_value = "all",
                      .allowed = {"all", "new"},
                      .description = "Where a new consumer starts: all (the first retained message) or new (the "
                                     "next one published)."});
    schema.push_back(queue_options::backoff_option(""));
    return schema;
}

sdk::Status check_writer_config(const sdk::Options& options) {
    if (auto s = queue_options::check_field(options, "dedup_id"); !s.is_ok()) return s;
    return queue_options::check_field(options, "key_field");
}

sdk::Status check_reader_config(const sdk::Options&) {
    return sdk::Status::ok();
}

WriterConfig writer_config(const sdk::Options& options) {
    return {.path = options.get_string("path"),
            .queue = options.get_string("queue"),
            .dedup_id = options.get_string("dedup_id"),
            .key_field = options.get_string("key_field"),
            .dedup_window = std::chrono::seconds(options.get_int("dedup_window_s")),
            .max_age = std::chrono::seconds(options.get_int("max_age_s"))};
}

ReaderConfig reader_config(const sdk::Options& options) {
    ReaderConfig c{.path = options.get_string("path"),
                   .queue = options.get_string("queue"),
                   .consumer = options.get_string("consumer"),
                   .ack_wait = std::chrono::milliseconds(options.get_int("ack_wait_ms")),
                   .fifo_by_key = options.get_bool("fifo_by_key"),
                   .from_start = options.get_string("deliver") != "new",
                   .backoff = queue_options::backoff_of(options)};
    return c;
}

}  // namespace junction::queue
