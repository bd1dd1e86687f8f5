// The file system's floor for W3 (and W2's moves): what one thread pays to create N
// small files the safe way - open a temp name, write, close, rename into place - with
// one syncfs() at the end and nothing else (no JSON, no database).
//
//   files_floor DIR COUNT BYTES
// Prints "files=N seconds=S".
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

int main(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: files_floor DIR COUNT BYTES\n");
        return 2;
    }
    const std::string dir = argv[1];
    const long count = std::atol(argv[2]);
    const std::string text(static_cast<std::size_t>(std::atol(argv[3])), 'x');
    const auto started = std::chrono::steady_clock::now();
    for (long i = 1; i <= count; ++i) {
        const std::string final_name = dir + "/" + std::to_string(i) + ".json";
        const std::string temp = dir + "/." + std::to_string(i) + ".json.tmp";
        const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0 || ::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size()) || ::close(fd) != 0 ||
            ::rename(temp.c_str(), final_name.c_str()) != 0) {
            std::perror(temp.c_str());
            return 1;
        }
    }
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 || ::syncfs(dfd) != 0) {
        std::perror(dir.c_str());
        return 1;
    }
    ::close(dfd);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::printf("files=%ld seconds=%.3f\n", count, seconds);
    return 0;
}
