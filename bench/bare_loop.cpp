// The floor for W1: what a competent engineer would write instead of Junction, one
// thread and nothing else. Reads NDJSON in 1 MiB chunks, parses each line with
// Boost.JSON, maps it with the tracos plugin's own mapping (work_order_mapping.cpp is
// compiled in, so the translation is the same code), serializes it and writes it out
// in 1 MiB chunks, with one fdatasync at the end (Junction syncs once per batch).
//
//   bare_loop IN.ndjson OUT.ndjson
// Prints "records=N rejected=R seconds=S" on stdout.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>

#include <boost/json/parser.hpp>
#include <boost/json/serialize.hpp>

#include "tracos/work_order_mapping.hpp"

namespace json = boost::json;

namespace {

bool write_all(int fd, std::string_view s) {
    while (!s.empty()) {
        const ssize_t n = ::write(fd, s.data(), s.size());
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        s.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 3) {
        std::fprintf(stderr, "usage: bare_loop IN.ndjson OUT.ndjson\n");
        return 2;
    }
    const auto started = std::chrono::steady_clock::now();
    const int in = ::open(argv[1], O_RDONLY | O_CLOEXEC);
    const int out = ::open(argv[2], O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (in < 0 || out < 0) {
        std::fprintf(stderr, "bare_loop: cannot open %s: %s\n", in < 0 ? argv[1] : argv[2], std::strerror(errno));
        return 1;
    }
    constexpr std::size_t chunk = 1 << 20;
    std::string buf, text;
    text.reserve(chunk + 64 * 1024);
    json::parser parser;  // reused: it keeps its buffers between lines
    std::size_t records = 0, rejected = 0, pos = 0;
    bool eof = false;

    auto handle = [&](std::string_view line) {
        if (line.find_first_not_of(" \t\r") == std::string_view::npos) return;
        ++records;
        json::error_code ec;
        parser.reset();
        parser.write(line.data(), line.size(), ec);  // the whole text: also finishes
        if (ec) {
            ++rejected;
            return;
        }
        json::value v = parser.release();
        if (!v.is_object()) {
            ++rejected;
            return;
        }
        auto mapped = junction::tracos::to_tracos(v.get_object());
        if (!mapped.ok()) {
            ++rejected;
            return;
        }
        text += json::serialize(mapped.document);
        text += '\n';
        if (text.size() >= chunk) {
            if (!write_all(out, text)) {
                std::fprintf(stderr, "bare_loop: write: %s\n", std::strerror(errno));
                std::exit(1);
            }
            text.clear();
        }
    };

    for (;;) {
        const std::size_t nl = buf.find('\n', pos);
        if (nl != std::string::npos) {
            handle(std::string_view(buf.data() + pos, nl - pos));
            pos = nl + 1;
            continue;
        }
        if (eof) {
            handle(std::string_view(buf.data() + pos, buf.size() - pos));  // a last line without \n
            break;
        }
        buf.erase(0, pos);
        pos = 0;
        const auto old = buf.size();
        buf.resize(old + chunk);
        ssize_t n = 0;
        do
            n = ::read(in, buf.data() + old, chunk);
        while (n < 0 && errno == EINTR);
        if (n < 0) {
            std::fprintf(stderr, "bare_loop: read: %s\n", std::strerror(errno));
            return 1;
        }
        buf.resize(old + static_cast<std::size_t>(n));
        eof = n == 0;
    }
    if (!write_all(out, text) || ::fdatasync(out) != 0) {
        std::fprintf(stderr, "bare_loop: write: %s\n", std::strerror(errno));
        return 1;
    }
    ::close(out);
    ::close(in);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::printf("records=%zu rejected=%zu seconds=%.3f\n", records, rejected, seconds);
    return rejected == 0 ? 0 : 3;
}
