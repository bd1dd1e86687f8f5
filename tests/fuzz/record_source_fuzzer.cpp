// Fuzzes the files reader's RecordSource on one file's bytes: object, array and NDJSON
// (and auto-detection), truncated input, invalid UTF-8, deep nesting, byte order marks.
// The first byte picks the format and the file's name; the rest is the file. Besides
// "no crash", it checks what resuming relies on: offsets only grow and stay inside the
// file, and resuming after a good record yields exactly the records that followed it.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include <boost/json/serialize.hpp>

#include "record_source.hpp"

namespace {

using junction::files::FileFormat;
using junction::files::RecordSource;
using junction::files::SourceItem;

// The file lives in memory (memfd), opened by RecordSource through /proc/self/fd like
// any other path, so the fuzzer does not touch the disk.
class MemoryFile {
public:
    MemoryFile() : fd_(::memfd_create("fuzz-record-source", MFD_CLOEXEC)) {
        if (fd_ < 0) std::abort();
    }
    ~MemoryFile() { ::close(fd_); }
    MemoryFile(const MemoryFile&) = delete;
    MemoryFile& operator=(const MemoryFile&) = delete;

    void assign(const std::uint8_t* data, std::size_t size) {
        if (::ftruncate(fd_, 0) != 0 || ::lseek(fd_, 0, SEEK_SET) != 0) std::abort();
        while (size > 0) {
            const ssize_t n = ::write(fd_, data, size);
            if (n <= 0) std::abort();
            data += n;
            size -= static_cast<std::size_t>(n);
        }
    }
    [[nodiscard]] std::string path() const { return "/proc/self/fd/" + std::to_string(fd_); }

private:
    int fd_;
};

struct Item {
    std::string error;
    std::string payload;
    std::uint64_t end_offset;
    std::uint64_t number;
    bool whole_file;
    bool operator==(const Item&) const = default;
};

void check(bool ok) {
    if (!ok) __builtin_trap();
}

std::vector<Item> read_all(const std::string& path, const std::string& name, FileFormat format,
                           std::uint64_t resume_after, std::uint64_t size) {
    RecordSource source(path, name, format, resume_after);
    std::vector<Item> items;
    SourceItem item;
    std::uint64_t last = 0;
    while (source.next(item)) {
        check(item.end_offset <= size);
        check(item.end_offset >= last);
        check(item.error.empty() || item.payload.empty());
        last = item.end_offset;
        items.push_back({item.error, item.error.empty() ? boost::json::serialize(item.payload) : std::string(),
                         item.end_offset, item.number, item.whole_file});
        // Every item ends further into the file (or is the last): no endless loop.
        check(items.size() <= size + 2);
    }
    return items;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    static MemoryFile file;
    const std::uint8_t control = data[0];
    ++data;
    --size;
    file.assign(data, size);

    static const FileFormat formats[] = {FileFormat::auto_detect, FileFormat::object, FileFormat::array,
                                         FileFormat::ndjson};
    static const char* const names[] = {"1001.json", "orders.ndjson", "orders.jsonl", "batch"};
    const FileFormat format = formats[control & 3];
    const std::string name = names[(control >> 2) & 3];

    const auto items = read_all(file.path(), name, format, 0, size);
    // Resume after one of the good records, chosen by the control byte.
    std::vector<std::size_t> good;
    for (std::size_t i = 0; i < items.size(); ++i)
        if (items[i].error.empty()) good.push_back(i);
    if (good.empty()) return 0;
    const std::size_t k = good[(control >> 4) % good.size()];
    const auto resumed = read_all(file.path(), name, format, items[k].end_offset, size);
    check(std::vector<Item>(items.begin() + static_cast<std::ptrdiff_t>(k) + 1, items.end()) == resumed);
    return 0;
}
