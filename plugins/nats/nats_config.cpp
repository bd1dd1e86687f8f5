#include "nats_config.hpp"

#include <junction/sdk/json_path.hpp>

#include "common/queue_options.hpp"

namespace junction::nats {
namespace {

using sdk::OptionSpec;
using sdk::OptionType;

// NATS names: streams, consumers and KV buckets take no spaces, dots, '*' or '>'.
constexpr const char* name_pattern = "[A-Za-z0-9_-]+";
// A subject: tokens of printable characters separated by dots (wildcards allowed where
// the server allows them: in a stream's subjects and a consumer's filter).
constexpr const char* subject_pattern = "[!-~]+";

sdk::OptionSchema common_schema() {
    return {
        {.name = "servers",
         .type = OptionType::string_list,
         .default_value = boost::json::array{"nats://127.0.0.1:4222"},
         .min = 1,
         .description = "The NATS servers to connect to (nats://host:port; the client reconnects to any of them and "
                        "learns the rest of the cluster from the first it reaches)."},
        {.name = "user", .type = OptionType::string, .default_value = "", .description = "User name, with password."},
        {.name = "password",
         .type = OptionType::string,
         .default_value = "",
         .description = "Password for user (write it as ${NATS_PASSWORD}, from the environment).",
         .secret = true},
        {.name = "token",
         .type = OptionType::string,
         .default_value = "",
         .description = "An authentication token, instead of user and password (write it as ${NATS_TOKEN}, from the environment).",
         .secret = true},
        {.name = "credentials_file",
         .type = OptionType::path,
         .description = "A NATS .creds file (a user JWT and its NKey seed), for servers with decentralized auth."},
        {.name = "connect_timeout_ms",
         .type = OptionType::integer,
         .default_value = 2000,
         .min = 100,
         .max = 60000,
         .description = "How long to wait for a server to answer a connection."},
        {.name = "request_timeout_ms",
         .type = OptionType::integer,
         .default_value = 5000,
         .min = 100,
         .max = 120000,
         .description = "How long to wait for JetStream's answer to an API call or a publish."},
        {.name = "create",
         .type = OptionType::boolean,
         .default_value = true,
         .description = "Create the stream (and the reader's consumer) when missing, and update their settings "
                        "when the config changes them; false: they must exist, and `junction check` names those "
                        "that do not."},
        {.name = "stream",
         .type = OptionType::string,
         .required = true,
         .max = 200,
         .pattern = name_pattern,
         .description = "The JetStream stream (letters, digits, _ and -)."},
        {.name = "subjects",
         .type = OptionType::string_list,
         .default_value = boost::json::array{},
         .pattern = subject_pattern,
         .description = "The subjects the stream stores, when it is created (wildcards allowed); empty: "
                        "\"<stream>.>\"."},
        {.name = "retention",
         .type = OptionType::string,
         .default_value = "limits",
         .allowed = {"limits", "workqueue", "interest"},
         .description = "When messages leave the stream: limits (max_age_s; every consumer reads them all), "
                        "workqueue (once acknowledged by the one consumer of each subject), interest (once every "
                        "consumer acknowledged them)."},
        {.name = "replicas",
         .type = OptionType::integer,
         .default_value = 1,
         .min = 1,
         .max = 5,
         .description = "Copies of the stream in a cluster (3 survives the loss of one server)."},
        {.name = "max_age_s",
         .type = OptionType::integer,
         .default_value = 7 * 86400,
         .min = 0,
         .description = "How long the stream keeps a message, in seconds (0: no age limit)."},
        {.name = "duplicate_window_s",
         .type = OptionType::integer,
         .default_value = 120,
         .min = 1,
         .max = 7 * 86400,
         .description = "How long the stream remembers a Nats-Msg-Id, in seconds: a message published again "
                        "with the same id within it is dropped."},
        {.name = "storage",
         .type = OptionType::string,
         .default_value = "file",
         .allowed = {"file", "memory"},
         .description = "Where the stream keeps its messages."},
    };
}

std::chrono::milliseconds ms(const sdk::Options& o, const char* name) {
    return std::chrono::milliseconds(o.get_int(name));
}

ConnectionSpec connection_spec(const sdk::Options& o) {
    ConnectionSpec c;
    c.servers = o.get_strings("servers");
    c.user = o.get_string("user");
    c.password = o.get_string("password");
    c.token = o.get_string("token");
    c.credentials_file = o.get_string("credentials_file");
    c.connect_timeout = ms(o, "connect_timeout_ms");
    c.request_timeout = ms(o, "request_timeout_ms");
    c.create = o.get_bool("create");
    auto& s = c.stream;
    s.name = o.get_string("stream");
    s.subjects = o.get_strings("subjects");
    if (s.subjects.empty()) s.subjects.push_back(s.name + ".>");
    const auto retention = o.get_string("retention");
    s.retention = retention == "workqueue"   ? Retention::workqueue
                  : retention == "interest" ? Retention::interest
                                            : Retention::limits;
    s.replicas = static_cast<int>(o.get_int("replicas"));
    s.max_age = std::chrono::seconds(o.get_int("max_age_s"));
    s.duplicate_window = std::chrono::seconds(o.get_int("duplicate_window_s"));
    s.memory = o.get_string("storage") == "memory";
    return c;
}

}  // namespace

std::vector<SubjectPart> parse_subject(const std::string& subject, std::string& error) {
    std::vector<SubjectPart> parts;
    std::string literal;
    for (std::size_t i = 0; i < subject.size(); ++i) {
        const char c = subject[i];
        if (c == '{') {
            const auto close = subject.find('}', i);
            if (close == std::string::npos) {
                error = "subject \"" + subject + "\": '{' at " + std::to_string(i) + " is not closed";
                return {};
            }
            auto field = subject.substr(i + 1, close - i - 1);
            if (field.empty() || !sdk::is_valid_path(field)) {
                error = "subject \"" + subject + "\": {" + field + "} is not a field path";
                return {};
            }
            if (!literal.empty()) parts.push_back({false, std::move(literal)});
            literal.clear();
            parts.push_back({true, std::move(field)});
            i = close;
        } else if (c == '}' || c == '*' || c == '>' || c <= ' ' || c > '~') {
            error = "subject \"" + subject + "\": '" + std::string(1, c) +
                    "' is not allowed in a subject one publishes to (no wildcards, spaces or braces)";
            return {};
        } else {
            literal += c;
        }
    }
    if (!literal.empty()) parts.push_back({false, std::move(literal)});
    if (parts.empty()) error = "subject is empty";
    return parts;
}

sdk::OptionSchema writer_schema() {
    auto schema = common_schema();
    schema.push_back({.name = "subject",
                      .type = OptionType::string,
                      .default_value = "",
                      .max = 1000,
                      .description = "The subject each record is published to: fixed (\"orders.new\") or a template "
                                     "naming fields (\"orders.{region}\"); a record without the field is dead-lettered. "
                                     "Empty: \"<stream>.records\"."});
    schema.push_back(queue_options::dedup_id_option(
        "Its value is the message's Nats-Msg-Id: JetStream drops a message whose id it stored within "
        "duplicate_window_s, so a batch published again after a crash or a retry is stored once."));
    schema.push_back(queue_options::key_field_option("the Junction-Key header, the reader's record key"));
    schema.push_back({.name = "max_pending",
                      .type = OptionType::integer,
                      .default_value = 4000,
                      .min = 1,
                      .max = 1000000,
                      .description = "Publishes in flight before the writer waits for acknowledgements (a batch's "
                                     "acknowledgements are all awaited before its write returns)."});
    return schema;
}

sdk::OptionSchema reader_schema() {
    auto schema = common_schema();
    schema.push_back({.name = "consumer",
                      .type = OptionType::string,
                      .default_value = "junction",
                      .max = 200,
                      .pattern = name_pattern,
                      .description = "The durable pull consumer: each consumer gets every message (of its filter); "
                                     "the pipelines and hosts reading with the same consumer share its messages."});
    schema.push_back({.name = "filter_subject",
                      .type = OptionType::string,
                      .default_value = "",
                      .pattern = "([!-~]+)?",
                      .description = "Only messages of this subject (wildcards allowed); empty: all of the stream."});
    schema.push_back({.name = "ack_wait_ms",
                      .type = OptionType::integer,
                      .default_value = 30000,
                      .min = 100,
                      .max = 12 * 3600 * 1000,
                      .description = "The visibility timeout (AckWait): a message not acknowledged within it is "
                                     "delivered again; the engine extends it (in-progress acks) while a batch takes "
                                     "long."});
    schema.push_back({.name = "max_deliver",
                      .type = OptionType::integer,
                      .default_value = 10,
                      .min = 1,
                      .max = 1000000,
                      .description = "Deliveries after which a message that keeps coming back (its lease lapsing: a "
                                     "host dying on it) is dead-lettered with its attempt count. Records the writer "
                                     "could not take are dead-lettered after the pipeline's max_deliveries."});
    schema.push_back({.name = "max_ack_pending",
                      .type = OptionType::integer,
                      .default_value = 10000,
                      .min = 1,
                      .max = 10000000,
                      .description = "Messages delivered and not yet acknowledged, over all the consumer's "
                                     "readers, before the server waits (1: one at a time, in order)."});
    schema.push_back({.name = "deliver",
                      .type = OptionType::string,
                      .default_value = "all",
                      .allowed = {"all", "new"},
                      .description = "Where a new consumer starts: all (the first message in the stream) or new "
                                     "(the next one published)."});
    schema.push_back(queue_options::backoff_option(" Sent with the negative acknowledgement."));
    schema.push_back({.name = "fetch_wait_ms",
                      .type = OptionType::integer,
                      .default_value = 500,
                      .min = 0,
                      .max = 1000,
                      .description = "How long one read waits for messages to arrive (a long poll; 0: take what is "
                                     "there). A run ends after a read that found nothing."});
    schema.push_back({.name = "history_bucket",
                      .type = OptionType::string,
                      .default_value = "junction-deliveries",
                      .max = 200,
                      .pattern = name_pattern,
                      .description = "The KV bucket that keeps why a message was released, for its delivery history "
                                     "(written only on a release or a give-back; created when missing)."});
    return schema;
}

sdk::Status check_writer_config(const sdk::Options& options) {
    if (auto s = queue_options::check_field(options, "dedup_id"); !s.is_ok()) return s;
    if (auto s = queue_options::check_field(options, "key_field"); !s.is_ok()) return s;
    const auto subject = options.get_string("subject");
    if (!subject.empty()) {
        std::string error;
        (void)parse_subject(subject, error);
        if (!error.empty()) return sdk::Status::fatal(error);
    }
    return sdk::Status::ok();
}

sdk::Status check_reader_config(const sdk::Options& options) {
    if (options.get_string("retention") == "workqueue" && options.get_string("deliver") == "new")
        return sdk::Status::fatal("deliver: \"new\" is not allowed on a workqueue stream (its consumers start at the "
                                  "first message): use retention limits or interest");
    return sdk::Status::ok();
}

WriterConfig writer_config(const sdk::Options& options) {
    WriterConfig c{.connection = connection_spec(options),
                   .subject = options.get_string("subject"),
                   .dedup_id = options.get_string("dedup_id"),
                   .key_field = options.get_string("key_field"),
                   .max_pending = static_cast<int>(options.get_int("max_pending"))};
    if (c.subject.empty()) c.subject = c.connection.stream.name + ".records";
    return c;
}

ReaderConfig reader_config(const sdk::Options& options) {
    ReaderConfig c{.connection = connection_spec(options),
                   .consumer = options.get_string("consumer"),
                   .filter_subject = options.get_string("filter_subject"),
                   .ack_wait = ms(options, "ack_wait_ms"),
                   .max_deliver = static_cast<int>(options.get_int("max_deliver")),
                   .max_ack_pending = static_cast<int>(options.get_int("max_ack_pending")),
                   .from_start = options.get_string("deliver") != "new",
                   .backoff = queue_options::backoff_of(options),
                   .fetch_wait = ms(options, "fetch_wait_ms"),
                   .history_bucket = options.get_string("history_bucket")};
    return c;
}

}  // namespace junction::nats
