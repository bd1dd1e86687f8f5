// The bookkeeping a reader needs to know when it may let go of a source (move a file,
// mark a document, ack a message): per partition, the records read and not yet settled,
// whether its end was seen, and how its records ended (written, rejected, released).
#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "components.hpp"

namespace junction::sdk {

// A partition whose every record read is settled and whose end was seen: the reader may
// release its source now. The counts say how its records ended, so the reader can
// choose where it goes (processed/ when every record was written, quarantine/ when some
// were rejected).
struct ReleasableSource {
    std::string partition;
    std::size_t written = 0;
    std::size_t rejected = 0;
    std::size_t released = 0;  // given back for redelivery (Outcome::released)

    [[nodiscard]] std::size_t records() const noexcept { return written + rejected + released; }
    [[nodiscard]] bool all_written() const noexcept { return rejected == 0 && released == 0; }
    // Some records were given back: they come again, so the source is not done with
    // (a queue's message is redelivered; do not delete what it came from).
    [[nodiscard]] bool has_redeliveries() const noexcept { return released > 0; }
};

// Use from the reader's thread (read() and acknowledge() never overlap): it holds no
// lock. A partition is forgotten once it is handed out as releasable; reading the same
// partition name again later starts it afresh.
//
//   read():        tracker.read(file, n);  ... at the file's end: if (auto r = tracker.end(file)) release(*r);
//   acknowledge(): for (const auto& r : tracker.acknowledge(acks)) release(r);
class SourceTracker {
public:
    // `n` more records of the partition were read (handed to the engine).
    void read(std::string_view partition, std::size_t n = 1) { entry(partition).read += n; }

    // The partition has no more records. Returns it when it is releasable at once (every
    // record read is already settled, or none was read: an empty file), and then forgets
    // it; otherwise acknowledge() returns it once its last record is settled.
    std::optional<ReleasableSource> end(std::string_view partition) {
        auto& e = entry(partition);
        e.ended = true;
        if (e.read != e.settled()) return std::nullopt;
        return take(partition);
    }

    // Counts the settled records by outcome (released ones count as settled) and returns
    // the partitions that became releasable, in the order they did, forgetting them.
    // Records of partitions not tracked (never read, or forgotten) are ignored, as are
    // more acknowledgements than records read. Hand it each Acknowledgements once:
    // counted twice, a partition would look settled before its last records are.
    std::vector<ReleasableSource> acknowledge(const Acknowledgements& acks) {
        std::vector<ReleasableSource> out;
        for (const auto& a : acks.records()) {
            const auto it = partitions_.find(a.meta.partition);
            if (it == partitions_.end()) continue;
            auto& e = it->second;
            if (e.settled() >= e.read) continue;
            switch (a.outcome) {
                case Outcome::written:
                    ++e.counts.written;
                    break;
                case Outcome::rejected:
                    ++e.counts.rejected;
                    break;
                case Outcome::released:
                    ++e.counts.released;
                    break;
            }
            if (e.ended && e.settled() == e.read) out.push_back(take(it));
        }
        return out;
    }

    // Records read from the partition and not yet settled; 0 for one not tracked.
    [[nodiscard]] std::size_t outstanding(std::string_view partition) const {
        const auto it = partitions_.find(partition);
        return it == partitions_.end() ? 0 : it->second.read - it->second.settled();
    }

    // Whether the partition was read or ended and not yet handed out nor forgotten.
    [[nodiscard]] bool tracks(std::string_view partition) const { return partitions_.contains(partition); }
    // How many partitions are tracked (a reader with many sources can cap what it opens).
    [[nodiscard]] std::size_t size() const noexcept { return partitions_.size(); }

    // Drops what is known of the partition (its source failed and is handled apart);
    // acknowledgements of its records are then ignored.
    void forget(std::string_view partition) {
        const auto it = partitions_.find(partition);
        if (it != partitions_.end()) partitions_.erase(it);
    }

private:
    struct Entry {
        std::size_t read = 0;
        bool ended = false;
        ReleasableSource counts;
        [[nodiscard]] std::size_t settled() const noexcept { return counts.records(); }
    };
    using Map = std::map<std::string, Entry, std::less<>>;

    Entry& entry(std::string_view partition) {
        auto it = partitions_.find(partition);
        if (it == partitions_.end()) {
            it = partitions_.emplace(std::string(partition), Entry{}).first;
            it->second.counts.partition = std::string(partition);
        }
        return it->second;
    }

    ReleasableSource take(Map::iterator it) {
        ReleasableSource out = std::move(it->second.counts);
        partitions_.erase(it);
        return out;
    }
    ReleasableSource take(std::string_view partition) { return take(partitions_.find(partition)); }

    Map partitions_;
};

}  // namespace junction::sdk
