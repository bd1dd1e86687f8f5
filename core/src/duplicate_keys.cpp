// Finds keys given twice in one JSON object. Boost.JSON 1.81 keeps the last of them
// without a word, so a second "writer" block or a repeated password would pass
// unnoticed; this pass over the text reports each with its JSON path.
#include "duplicate_keys.hpp"

#include <set>

#include <boost/json/basic_parser_impl.hpp>

namespace junction::core {
namespace {

struct Frame {
    bool object = false;
    std::set<std::string> keys{};
    std::string key{};      // objects: the member being read
    std::size_t index = 0;  // arrays: the element being read
};

class Handler {
public:
    static constexpr std::size_t max_array_size = static_cast<std::size_t>(-1);
    static constexpr std::size_t max_object_size = static_cast<std::size_t>(-1);
    static constexpr std::size_t max_string_size = static_cast<std::size_t>(-1);
    static constexpr std::size_t max_key_size = static_cast<std::size_t>(-1);

    std::vector<ConfigError>* errors = nullptr;

    bool on_document_begin(boost::system::error_code&) { return true; }
    bool on_document_end(boost::system::error_code&) { return true; }
    bool on_array_begin(boost::system::error_code&) { return open(false); }
    bool on_array_end(std::size_t, boost::system::error_code&) { return close(); }
    bool on_object_begin(boost::system::error_code&) { return open(true); }
    bool on_object_end(std::size_t, boost::system::error_code&) { return close(); }
    bool on_string_part(boost::json::string_view, std::size_t, boost::system::error_code&) { return true; }
    bool on_string(boost::json::string_view, std::size_t, boost::system::error_code&) { return value(); }
    bool on_key_part(boost::json::string_view s, std::size_t, boost::system::error_code&) {
        key_.append(s.data(), s.size());
        return true;
    }
    bool on_key(boost::json::string_view s, std::size_t, boost::system::error_code&) {
        key_.append(s.data(), s.size());
        auto& f = stack_.back();
        if (!f.keys.insert(key_).second)
            errors->push_back({path_to(key_), "duplicate key: given more than once in the same object"});
        f.key = std::move(key_);
        key_.clear();
        return true;
    }
    bool on_number_part(boost::json::string_view, boost::system::error_code&) { return true; }
    bool on_int64(std::int64_t, boost::json::string_view, boost::system::error_code&) { return value(); }
    bool on_uint64(std::uint64_t, boost::json::string_view, boost::system::error_code&) { return value(); }
    bool on_double(double, boost::json::string_view, boost::system::error_code&) { return value(); }
    bool on_bool(bool, boost::system::error_code&) { return value(); }
    bool on_null(boost::system::error_code&) { return value(); }
    bool on_comment_part(boost::json::string_view, boost::system::error_code&) { return true; }
    bool on_comment(boost::json::string_view, boost::system::error_code&) { return true; }

private:
    bool open(bool object) {
        stack_.push_back(Frame{.object = object});
        return true;
    }
    bool close() {
        stack_.pop_back();
        return value();
    }
    // A value ended: the enclosing array moves to its next element.
    bool value() {
        if (!stack_.empty() && !stack_.back().object) ++stack_.back().index;
        return true;
    }
    std::string path_to(const std::string& last) const {
        std::string out;
        for (std::size_t i = 0; i + 1 < stack_.size(); ++i) {
            const auto& f = stack_[i];
            if (f.object)
                out += (out.empty() ? "" : ".") + f.key;
            else
                out += "[" + std::to_string(f.index) + "]";
        }
        return out + (out.empty() ? "" : ".") + last;
    }

    std::vector<Frame> stack_;
    std::string key_;
};

}  // namespace

void find_duplicate_keys(std::string_view text, const boost::json::parse_options& options,
                         std::vector<ConfigError>& errors) {
    boost::json::basic_parser<Handler> parser(options);
    parser.handler().errors = &errors;
    boost::system::error_code ec;
    parser.write_some(false, text.data(), text.size(), ec);  // syntax errors are reported by the real parse
}

}  // namespace junction::core
