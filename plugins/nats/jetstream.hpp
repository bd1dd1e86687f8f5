// The plugin's use of libnats: a connection with its JetStream context, the stream and
// consumer management `create` asks for (make, update, or require), the KV bucket of
// delivery histories, and the one place natsStatus and jsErrCode become sdk::Status.
// libnats is pinned in memory once loaded (its library threads outlive a connection by a
// moment, and the host unloads a plugin after its last instance).
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nats/nats.h>

#include <junction/sdk/context.hpp>
#include <junction/sdk/status.hpp>

#include "nats_config.hpp"

namespace junction::nats {

// An error of the client or of JetStream, with what the engine should do about it.
class NatsError : public std::runtime_error {
public:
    NatsError(sdk::Code code, const std::string& message) : std::runtime_error(message), code_(code) {}
    [[nodiscard]] sdk::Code code() const noexcept { return code_; }
    [[nodiscard]] sdk::Status status() const {
        return code_ == sdk::Code::retry ? sdk::Status::retry(what()) : sdk::Status::fatal(what());
    }

private:
    sdk::Code code_;
};

// Whether a subject a message is published to is one of the stream's subjects (which may
// hold the wildcards '*', one token, and '>', the rest).
bool subject_matches(const std::string& pattern, const std::string& subject);

// "nats: <what>: <the client's text>[ (JetStream error N)]".
std::string describe(const std::string& what, natsStatus s, jsErrCode e = static_cast<jsErrCode>(0));
// Retry for what passes (no server, a timeout, no responders while a stream elects a
// leader, a lost connection); fatal for the rest (refused credentials, bad settings).
sdk::Code classify(natsStatus s, jsErrCode e = static_cast<jsErrCode>(0));
[[noreturn]] void fail(const std::string& what, natsStatus s, jsErrCode e = static_cast<jsErrCode>(0));

struct ConsumerSpec {
    std::string durable;
    std::string filter_subject;
    std::chrono::milliseconds ack_wait{};
    int max_deliver = -1;  // the server's MaxDeliver
    int max_ack_pending = 0;
    bool from_start = true;
};

class Connection {
public:
    // Connects (throws NatsError: retry when no server answers, fatal for refused
    // credentials); `configure` may set the JetStream context's options (publish handlers).
    Connection(const ConnectionSpec& spec, sdk::Logger& log, std::function<void(jsOptions&)> configure = {});
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    [[nodiscard]] natsConnection* nc() const noexcept { return nc_; }
    [[nodiscard]] jsCtx* js() const noexcept { return js_; }
    [[nodiscard]] const ConnectionSpec& spec() const noexcept { return spec_; }

    // The stream exists with the spec's settings: created or updated (spec.create), or
    // checked (fatal when missing: "create it, or set create: true"). Returns the
    // stream's subjects, as the server has them.
    std::vector<std::string> ensure_stream();
    // The same for a durable pull consumer of the stream.
    void ensure_consumer(const ConsumerSpec& consumer);
    // The KV bucket, created when missing (with the stream's replicas).
    kvStore* open_bucket(const std::string& bucket, std::chrono::milliseconds ttl);
    // Sends what is buffered (acks, naks) and waits for the server to have read it.
    natsStatus flush();

private:
    void connect(const std::function<void(jsOptions&)>& configure);
    void release() noexcept;

    ConnectionSpec spec_;
    sdk::Logger& log_;
    natsOptions* opts_ = nullptr;
    natsConnection* nc_ = nullptr;
    jsCtx* js_ = nullptr;
};

}  // namespace junction::nats
