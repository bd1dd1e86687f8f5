// The rest reader: one stream per partition (none, a list, or a parent request's
// records), read one page per read() call, records selected and filtered, pages followed
// by the paginator, and, for incremental sync, the cursor's maximum carried in the
// records' positions so the engine commits it only after the write.
#pragma once

#include <deque>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include <junction/sdk/sdk.hpp>

#include "paginator.hpp"
#include "rest_config.hpp"

namespace junction::rest {

class RestReader final : public sdk::Reader {
public:
    sdk::Status open(sdk::Context& context) override;
    sdk::Status read(sdk::Batch& out, std::size_t max_records, bool& end_of_input) override;
    sdk::Status close() override;

private:
    struct Partition {
        std::string name;            // "" for the one stream of a reader without partitions
        boost::json::object fields;  // ${partition.X}
    };
    struct Stream {
        Partition partition;
        std::unique_ptr<Paginator> paginator;
        std::string committed_position;  // as of open(): what the records before the last carry
        std::optional<CursorValue> max;  // the committed cursor, raised by each record
        std::optional<std::string> cursor_start;
        std::optional<sdk::Record> held;  // unsorted incremental: the last record, until the end
        std::string origin;               // of the first page: a Link to another origin is refused
        std::size_t pages = 0;
        std::size_t records = 0;
    };

    void start_stream(Partition partition);
    sdk::Status fetch_page();
    sdk::Status fetch_parent_page();
    // The stream's end: its held record released with the new maximum (unless `advance`
    // is false), one log line, and the next stream's turn.
    void finish_stream(bool advance);
    void emit(Stream& s, sdk::Record record);
    sdk::Status refused(const Stream* s, const sdk::Status& status, const sdk::HttpResponse& response);
    [[nodiscard]] std::string where(const Stream* s) const;

    RestConfig config_;
    sdk::Context* context_ = nullptr;
    std::deque<sdk::Record> pending_;
    std::deque<Partition> queue_;
    std::set<std::string, std::less<>> seen_;
    std::optional<Stream> current_;
    std::unique_ptr<Paginator> parent_paginator_;
    bool parent_done_ = true;
    std::size_t parent_pages_ = 0;
    std::size_t parent_partitions_ = 0;
};

}  // namespace junction::rest
