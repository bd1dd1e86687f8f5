// The fake REST APIs of tests/servers/rest-apis.mjs (GitHub, HubSpot with its OAuth2
// token endpoint, an open data portal) on 127.0.0.1 with a port the OS picks, and a
// tiny blocking HTTP/1.1 client for its control endpoints. Header-only; needs `node`.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>
#include <string>

#include "node_server.hpp"

namespace junction::test {

class RestApis {
public:
    // What the fake APIs accept (tests/servers/rest-apis.mjs).
    static constexpr const char* github_token = "ghp_FakeGitHubToken0123456789";
    static constexpr const char* client_id = "hubspot-client";
    static constexpr const char* client_secret = "hubspot-client-s3cret";
    static constexpr const char* initial_refresh_token = "hs-rt-initial-s3cret";

    RestApis() { server_.start(0); }

    [[nodiscard]] int port() const noexcept { return server_.port(); }
    [[nodiscard]] std::string url(const std::string& path = "") const {
        return "http://127.0.0.1:" + std::to_string(port()) + path;
    }
    // A control call (POST /_control/...), or a GET of /_control/stats: the body.
    std::string control(const std::string& path_and_query, const std::string& method = "POST") const {
        return request(method, "/_control/" + path_and_query);
    }
    [[nodiscard]] std::string log_text() const { return server_.log_text(); }

    // One request on a fresh connection; the response body (status not checked).
    [[nodiscard]] std::string request(const std::string& method, const std::string& target) const {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        if (fd < 0) throw std::runtime_error("socket failed");
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(static_cast<std::uint16_t>(port()));
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
            ::close(fd);
            throw std::runtime_error("cannot connect to the fake APIs");
        }
        const std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n" +
                                "Connection: close\r\n\r\n";
        (void)::send(fd, req.data(), req.size(), 0);
        std::string response;
        char buf[4096];
        for (ssize_t n; (n = ::recv(fd, buf, sizeof buf, 0)) > 0;)
            response.append(buf, static_cast<std::size_t>(n));
        ::close(fd);
        const auto body = response.find("\r\n\r\n");
        return body == std::string::npos ? std::string() : response.substr(body + 4);
    }

private:
    NodeServer server_{"rest-apis.mjs", "rest-apis"};
};

}  // namespace junction::test
