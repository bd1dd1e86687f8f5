#include "server.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>

#include <atomic>
#include <cctype>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <junction/core/logging.hpp>

namespace junction::http {
namespace net = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = net::ip::tcp;
using steady = std::chrono::steady_clock;

namespace {

constexpr const char* server_name = "junction";

Method method_of(bhttp::verb v) {
    switch (v) {
        case bhttp::verb::get:
            return Method::get;
        case bhttp::verb::head:
            return Method::head;
        case bhttp::verb::post:
            return Method::post;
        case bhttp::verb::put:
            return Method::put;
        case bhttp::verb::patch:
            return Method::patch;
        case bhttp::verb::delete_:
            return Method::del;
        case bhttp::verb::options:
            return Method::options;
        default:
            return Method::other;
    }
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (auto& c : out)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

// The answer to a request the parser refused, and whether the peer is told at all.
std::optional<Response> read_error_response(const beast::error_code& ec, bool mid_request) {
    if (ec == bhttp::error::header_limit)
        return Response::error(431, "header_too_large", "the request's header is larger than http.limits.max_header_bytes");
    if (ec == bhttp::error::body_limit)
        return Response::error(413, "body_too_large", "the request's body is larger than http.limits.max_body_bytes");
    if (ec == beast::error::timeout)
        return mid_request ? std::optional(Response::error(408, "request_timeout",
                                                            "the request was not received in time"))
                           : std::nullopt;
    if (ec.category() == beast::error_code(bhttp::error::bad_target).category() && ec != bhttp::error::end_of_stream &&
        ec != bhttp::error::partial_message)
        return Response::error(400, "malformed_request", "malformed request: " + ec.message());
    return std::nullopt;  // the peer went away: nobody to answer
}

// Turns a parsed Beast request into ours; false (with the answer) when its target is bad.
bool to_request(bhttp::request<bhttp::string_body>&& in, Request& out, Response& bad) {
    out.method = method_of(in.method());
    if (!parse_target(in.target(), out)) {
        bad = Response::error(400, "malformed_request", "the request target is not a valid path");
        return false;
    }
    for (const auto& f : in)
        out.headers.emplace_back(lower(f.name_string()), std::string(f.value()));
    out.body = std::move(in.body());
    return true;
}

bhttp::response<bhttp::string_body> to_beast(Response&& r, bool head, bool keep_alive, unsigned version) {
    bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(r.status), version};
    res.set(bhttp::field::server, server_name);
    res.set(bhttp::field::content_type, r.content_type);
    bool cache_set = false;
    for (auto& [k, v] : r.headers) {
        if (lower(k) == "cache-control") cache_set = true;
        res.set(k, v);
    }
    if (!cache_set) res.set(bhttp::field::cache_control, "no-store");
    res.set("X-Content-Type-Options", "nosniff");
    res.body() = std::move(r.body);
    res.keep_alive(keep_alive && !r.close);
    res.prepare_payload();
    if (head) res.body().clear();
    return res;
}

}  // namespace

Response handle_raw_request(std::string_view bytes, const HttpConfig& config, const Router& router,
                            const ApiKeyring& keys) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.header_limit(static_cast<std::uint32_t>(config.limits.max_header_bytes));
    parser.body_limit(config.limits.max_body_bytes);
    parser.eager(true);
    beast::error_code ec;
    std::size_t used = 0;
    while (!ec && !parser.is_done() && used < bytes.size()) {
        const auto n = parser.put(net::buffer(bytes.data() + used, bytes.size() - used), ec);
        if (ec == bhttp::error::need_more) {
            ec = {};
            break;
        }
        if (n == 0 && !ec) break;
        used += n;
    }
    if (!ec && !parser.is_done()) {
        if (!parser.got_some()) {  // no byte at all: put_eof() asserts on that
            ec = bhttp::error::partial_message;
        } else {
            parser.put_eof(ec);
            if (!ec && !parser.is_done()) ec = bhttp::error::partial_message;
        }
    }
    if (ec) {
        auto r = read_error_response(ec, true);
        return r ? *r : Response::error(400, "malformed_request", "incomplete request: " + ec.message());
    }
    Request req;
    Response bad;
    if (!to_request(parser.release(), req, bad)) return bad;
    std::string route;
    return router.dispatch(req, keys, config, route);
}

struct Server::Impl {
    const HttpConfig& config;
    const Router& router;
    const ApiKeyring& keys;
    core::MetricRegistry* metrics;

    // Declared before the io_context: the sessions it still holds when destroyed use them.
    std::atomic<std::size_t> open_connections{0};
    std::atomic<bool> stopping{false};
    unsigned short bound_port = 0;
    std::mutex refuse_log_mutex;
    steady::time_point last_refuse_log{};
    sdk::Gauge* open_gauge = nullptr;
    sdk::Counter* refused_total = nullptr;
    std::optional<net::ssl::context> ssl;

    net::io_context ioc{1};
    tcp::acceptor acceptor{ioc};
    // Handlers run here, on config.workers threads of their own.
    std::optional<net::io_context> workers;
    std::optional<net::executor_work_guard<net::io_context::executor_type>> workers_guard;
    std::vector<std::thread> worker_threads;
    std::thread io_thread;

    Impl(const HttpConfig& c, const Router& r, const ApiKeyring& k, core::MetricRegistry* m)
        : config(c), router(r), keys(k), metrics(m) {}

    void count_request(const std::string& route, Method method, unsigned status, double seconds) {
        if (metrics == nullptr) return;
        static const double buckets[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
        metrics
            ->counter("http_requests_total", "HTTP requests answered, by route pattern, method and status code",
                      {{"route", route}, {"method", to_string(method)}, {"code", std::to_string(status)}})
            .add();
        metrics
            ->histogram("http_request_duration_seconds", "Time from a request's header to its response written",
                        buckets, {{"route", route}})
            .observe(seconds);
    }

    void do_accept();
};

namespace {

// One connection. Derived supplies stream() (a tcp_stream or an ssl_stream over one)
// and shutdown().
template <class Derived>
class Session {
public:
    explicit Session(Server::Impl& server) : server_(server) {
        server_.open_connections.fetch_add(1);
        if (server_.open_gauge) server_.open_gauge->add(1);
    }
    ~Session() {
        server_.open_connections.fetch_sub(1);
        if (server_.open_gauge) server_.open_gauge->add(-1);
    }

protected:
    Derived& derived() { return static_cast<Derived&>(*this); }
    auto& lowest() { return beast::get_lowest_layer(derived().stream()); }

    // Between requests: wait for the next one's first bytes (idle timeout), then read
    // its header (header timeout) and body (body timeout).
    void next_request() {
        if (server_.stopping) return derived().shutdown();
        if (buffer_.size() > 0) return read_header();
        lowest().expires_after(first_ ? server_.config.limits.header_timeout : server_.config.limits.idle_timeout);
        derived().stream().async_read_some(
            buffer_.prepare(4096), [self = derived().shared_from_this()](beast::error_code ec, std::size_t n) {
                self->buffer_.commit(n);
                if (ec && n == 0) return self->derived().shutdown();  // idle timeout or the peer left
                self->read_header();
            });
    }

    void read_header() {
        started_ = steady::now();
        parser_.emplace();
        parser_->header_limit(static_cast<std::uint32_t>(server_.config.limits.max_header_bytes));
        parser_->body_limit(server_.config.limits.max_body_bytes);
        read_deadline(server_.config.limits.header_timeout);
        header_bytes_ = 0;
        read_header_some();
    }

    // The header and body timeouts. Not the stream's own expiry: that closes the socket,
    // and a client that is too slow should still be told (408). This timer cancels the
    // read instead; on_read_error answers.
    void read_deadline(std::chrono::milliseconds limit) {
        lowest().expires_never();
        if (!deadline_) deadline_.emplace(derived().stream().get_executor());
        deadline_->expires_after(limit);
        // A deadline already due when the read completed may still run: the generation
        // tells it that it is stale.
        deadline_->async_wait(
            [weak = derived().weak_from_this(), generation = ++deadline_generation_](beast::error_code ec) {
                auto self = weak.lock();
                if (ec || !self || generation != self->deadline_generation_) return;
                self->timed_out_ = true;
                beast::error_code ignored;
                self->lowest().socket().cancel(ignored);
            });
    }

    void end_deadline() {
        ++deadline_generation_;
        if (deadline_) deadline_->cancel();
    }

    // Beast 1.81's parser applies header_limit to the part of the header it has not yet
    // consumed, not to the whole: fields that arrive in pieces pass any limit. So the
    // header is read piece by piece and what the parser consumed is counted here.
    void read_header_some() {
        bhttp::async_read_some(derived().stream(), buffer_, *parser_,
                               [self = derived().shared_from_this()](beast::error_code ec, std::size_t n) {
                                   self->header_bytes_ += n;
                                   if (!ec && self->header_bytes_ > self->server_.config.limits.max_header_bytes)
                                       ec = bhttp::error::header_limit;
                                   if (!ec && !self->parser_->is_header_done()) return self->read_header_some();
                                   self->on_header(ec);
                               });
    }

    void on_header(beast::error_code ec) {
        if (ec) return on_read_error(ec);
        if (parser_->is_done()) return on_request();
        auto expect = parser_->get()[bhttp::field::expect];
        if (beast::iequals(expect, "100-continue")) {
            continue_ = std::make_shared<std::string>("HTTP/1.1 100 Continue\r\n\r\n");
            lowest().expires_after(server_.config.limits.body_timeout);
            net::async_write(derived().stream(), net::buffer(*continue_),
                             [self = derived().shared_from_this()](beast::error_code ec2, std::size_t) {
                                 if (ec2) return self->derived().shutdown();
                                 self->read_body();
                             });
            return;
        }
        read_body();
    }

    void read_body() {
        read_deadline(server_.config.limits.body_timeout);
        bhttp::async_read(derived().stream(), buffer_, *parser_,
                          [self = derived().shared_from_this()](beast::error_code ec, std::size_t) {
                              if (ec) return self->on_read_error(ec);
                              self->on_request();
                          });
    }

    void on_read_error(beast::error_code ec) {
        end_deadline();
        if (timed_out_ && ec == net::error::operation_aborted) ec = beast::error::timeout;
        timed_out_ = false;
        auto r = read_error_response(ec, true);
        if (!r) return derived().shutdown();
        r->close = true;
        route_ = "unparsed";
        method_ = Method::other;
        path_ = "-";
        key_id_.clear();
        write(std::move(*r), false, 11);
    }

    void on_request() {
        end_deadline();
        auto& in = parser_->get();
        const bool keep_alive = in.keep_alive();
        const unsigned version = in.version();
        Request req;
        Response bad;
        if (!to_request(parser_->release(), req, bad)) {
            bad.close = true;
            route_ = "unparsed";
            method_ = req.method;
            path_ = "-";
            return write(std::move(bad), false, version);
        }
        method_ = req.method;
        path_ = req.path;
        // Handlers may block (store reads, replays): never on the I/O thread.
        net::post(*server_.workers, [self = derived().shared_from_this(), req = std::move(req), keep_alive,
                                     version]() mutable {
            std::string route;
            auto res = self->server_.router.dispatch(req, self->server_.keys, self->server_.config, route);
            std::string key_id = req.key ? req.key->id : "";
            net::post(self->derived().stream().get_executor(),
                      [self, res = std::move(res), route = std::move(route), key_id = std::move(key_id), keep_alive,
                       version, head = req.method == Method::head]() mutable {
                          self->route_ = std::move(route);
                          self->key_id_ = std::move(key_id);
                          if (!keep_alive) res.close = true;
                          self->write(std::move(res), head, version);
                      });
        });
    }

    void write(Response&& r, bool head, unsigned version) {
        status_ = r.status;
        const bool close = r.close;
        response_ = std::make_shared<bhttp::response<bhttp::string_body>>(
            to_beast(std::move(r), head, !close, version == 10 ? 10 : 11));
        lowest().expires_after(server_.config.limits.body_timeout);
        bhttp::async_write(derived().stream(), *response_,
                           [self = derived().shared_from_this(), close](beast::error_code ec, std::size_t) {
                               self->on_written(ec, close);
                           });
    }

    void on_written(beast::error_code ec, bool close) {
        const double seconds = std::chrono::duration<double>(steady::now() - started_).count();
        server_.count_request(route_, method_, status_, seconds);
        if (server_.config.access_log) {
            char ms[32];
            std::snprintf(ms, sizeof ms, "%.1f", seconds * 1000);
            std::vector<core::LogField> f{{"method", to_string(method_)},
                                          {"path", path_},
                                          {"status", std::to_string(status_)},
                                          {"duration_ms", ms}};
            if (!key_id_.empty()) f.emplace_back("key", key_id_);
            core::log(status_ >= 500 ? sdk::LogLevel::warning : sdk::LogLevel::info, "request",
                      std::span<const core::LogField>(f));
        }
        response_.reset();
        if (ec || close) return derived().shutdown();
        first_ = false;
        next_request();
    }

    Server::Impl& server_;
    beast::flat_buffer buffer_;
    std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
    std::shared_ptr<bhttp::response<bhttp::string_body>> response_;
    std::shared_ptr<std::string> continue_;
    steady::time_point started_ = steady::now();
    std::size_t header_bytes_ = 0;
    std::optional<net::steady_timer> deadline_;
    std::uint64_t deadline_generation_ = 0;
    bool timed_out_ = false;
    bool first_ = true;
    std::string route_ = "unmatched", path_ = "-", key_id_;
    Method method_ = Method::other;
    unsigned status_ = 0;
};

class PlainSession : public Session<PlainSession>, public std::enable_shared_from_this<PlainSession> {
public:
    PlainSession(tcp::socket&& s, Server::Impl& server) : Session(server), stream_(std::move(s)) {}
    void run() {
        net::dispatch(stream_.get_executor(), [self = shared_from_this()] { self->next_request(); });
    }
    beast::tcp_stream& stream() { return stream_; }
    void shutdown() {
        beast::error_code ec;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
        stream_.close();
    }

private:
    friend class Session<PlainSession>;
    beast::tcp_stream stream_;
};

class TlsSession : public Session<TlsSession>, public std::enable_shared_from_this<TlsSession> {
public:
    TlsSession(tcp::socket&& s, net::ssl::context& ctx, Server::Impl& server)
        : Session(server), stream_(std::move(s), ctx) {}
    void run() {
        net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
            beast::get_lowest_layer(self->stream_).expires_after(self->server_.config.limits.header_timeout);
            self->stream_.async_handshake(net::ssl::stream_base::server, [self](beast::error_code ec) {
                if (ec) return beast::get_lowest_layer(self->stream_).close();
                self->next_request();
            });
        });
    }
    beast::ssl_stream<beast::tcp_stream>& stream() { return stream_; }
    void shutdown() {
        if (shut_) return;
        shut_ = true;
        beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(2));
        stream_.async_shutdown(
            [self = shared_from_this()](beast::error_code) { beast::get_lowest_layer(self->stream_).close(); });
    }

private:
    friend class Session<TlsSession>;
    beast::ssl_stream<beast::tcp_stream> stream_;
    bool shut_ = false;
};

// More connections than http.limits.max_connections need more descriptors than a
// default soft limit of 1024: raise it to the hard limit, and say so if still short.
void raise_fd_limit(std::size_t wanted) {
    rlimit rl{};
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0) return;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
        getrlimit(RLIMIT_NOFILE, &rl);
    }
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < wanted + 256)
        core::log_warn("http.limits.max_connections is " + std::to_string(wanted) + " but this process may open only " +
                       std::to_string(rl.rlim_cur) + " files (ulimit -n): connections past that are refused");
}

// The server's threads run `nice` steps below the process (Linux keeps a nice value per
// thread): when the API is busy and the CPU is short, the pipelines get it first.
void lower_priority(int nice) {
    if (nice <= 0) return;
    errno = 0;
    const int base = ::getpriority(PRIO_PROCESS, 0);
    if (errno != 0) return;
    ::setpriority(PRIO_PROCESS, static_cast<id_t>(::gettid()), std::min(19, base + nice));
}

void write_port_file(const std::filesystem::path& file, unsigned short port) {
    const auto tmp = file.string() + ".tmp";
    {
        std::ofstream out(tmp, std::ios::trunc);
        out << port << "\n";
        if (!out.flush()) throw std::runtime_error("http.port_file: cannot write " + tmp);
    }
    std::error_code ec;
    std::filesystem::rename(tmp, file, ec);
    if (ec) throw std::runtime_error("http.port_file: cannot write " + file.string() + ": " + ec.message());
}

}  // namespace

void Server::Impl::do_accept() {
    acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
        if (stopping || !acceptor.is_open()) return;
        if (!ec) {
            if (open_connections.load() >= config.limits.max_connections) {
                beast::error_code ignored;
                socket.close(ignored);
                if (refused_total) refused_total->add();
                std::lock_guard lock(refuse_log_mutex);
                if (steady::now() - last_refuse_log > std::chrono::seconds(10)) {
                    last_refuse_log = steady::now();
                    core::log_warn("http: " + std::to_string(config.limits.max_connections) +
                                   " connections are open (http.limits.max_connections): refusing new ones");
                }
            } else {
                socket.set_option(tcp::no_delay(true), ec);
                if (ssl)
                    std::make_shared<TlsSession>(std::move(socket), *ssl, *this)->run();
                else
                    std::make_shared<PlainSession>(std::move(socket), *this)->run();
            }
        } else if (ec == net::error::no_descriptors || ec == net::error::no_buffer_space) {
            // Out of descriptors: back off a little instead of spinning on accept.
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
        do_accept();
    });
}

Server::Server(const HttpConfig& config, const Router& router, const ApiKeyring& keys, core::MetricRegistry* metrics)
    : impl_(std::make_unique<Impl>(config, router, keys, metrics)) {}

Server::~Server() {
    stop();
}

unsigned short Server::port() const noexcept {
    return impl_->bound_port;
}

void Server::start() {
    auto& s = *impl_;
    const auto& c = s.config;
    const std::string where = c.address + ":" + std::to_string(c.port);
    if (c.tls) {
        s.ssl.emplace(net::ssl::context::tls_server);
        s.ssl->set_options(net::ssl::context::default_workarounds | net::ssl::context::no_sslv2 |
                           net::ssl::context::no_sslv3 | net::ssl::context::no_tlsv1 | net::ssl::context::no_tlsv1_1);
        try {
            s.ssl->use_certificate_chain_file(c.tls->cert_file.string());
        } catch (const std::exception& e) {
            throw std::runtime_error("http.tls.cert_file: cannot load " + c.tls->cert_file.string() + ": " + e.what());
        }
        try {
            s.ssl->use_private_key_file(c.tls->key_file.string(), net::ssl::context::pem);
        } catch (const std::exception& e) {
            throw std::runtime_error("http.tls.key_file: cannot load " + c.tls->key_file.string() + ": " + e.what());
        }
    }
    raise_fd_limit(c.limits.max_connections);
    beast::error_code ec;
    const tcp::endpoint ep{net::ip::make_address(c.address, ec), c.port};
    if (ec) throw std::runtime_error("http.listen: " + where + ": " + ec.message());
    s.acceptor.open(ep.protocol(), ec);
    if (!ec) s.acceptor.set_option(net::socket_base::reuse_address(true), ec);
    if (!ec) s.acceptor.bind(ep, ec);
    if (!ec) s.acceptor.listen(net::socket_base::max_listen_connections, ec);
    if (ec) throw std::runtime_error("http: cannot listen on " + where + ": " + ec.message());
    s.bound_port = s.acceptor.local_endpoint().port();
    if (!c.port_file.empty()) write_port_file(c.port_file, s.bound_port);
    if (s.metrics) {
        s.open_gauge = &s.metrics->gauge("http_open_connections", "HTTP connections open now", {});
        s.refused_total = &s.metrics->counter(
            "http_connections_refused_total", "HTTP connections closed at once: http.limits.max_connections reached", {});
    }
    s.workers.emplace();
    s.workers_guard.emplace(s.workers->get_executor());
    for (std::size_t i = 0; i < c.workers; ++i)
        s.worker_threads.emplace_back([&s, nice = c.nice] {
            lower_priority(nice);
            while (true) {
                try {
                    s.workers->run();
                    return;
                } catch (const std::exception& e) {
                    core::log_error(std::string("http: ") + e.what());
                }
            }
        });
    s.do_accept();
    s.io_thread = std::thread([&s, nice = c.nice] {
        lower_priority(nice);
        while (true) {
            try {
                s.ioc.run();
                return;
            } catch (const std::exception& e) {  // a bug in a completion handler: log and serve on
                core::log_error(std::string("http: ") + e.what());
            }
        }
    });
    const std::string shown = (c.address.find(':') != std::string::npos ? "[" + c.address + "]" : c.address) + ":" +
                              std::to_string(s.bound_port);
    core::log_info(std::string("http: serving on ") + (c.tls ? "https://" : "http://") + shown,
                   {{"address", c.address}, {"port", std::to_string(s.bound_port)}});
    if (!c.tls && !c.loopback_only())
        core::log_warn("http: listening on " + shown +
                       " without TLS: API keys and data cross the network in clear text; set http.tls or put a TLS "
                       "proxy in front");
    if (s.keys.empty())
        core::log_warn("http: no API keys are configured (http.api_keys): every endpoint but the open ones answers 401");
}

void Server::stop() {
    auto& s = *impl_;
    if (s.stopping.exchange(true)) return;
    net::post(s.ioc, [&s] {
        beast::error_code ec;
        s.acceptor.close(ec);
    });
    if (s.workers) {
        s.workers_guard.reset();
        s.workers->stop();
        for (auto& t : s.worker_threads)
            t.join();
    }
    s.ioc.stop();
    if (s.io_thread.joinable()) s.io_thread.join();
}

}  // namespace junction::http
