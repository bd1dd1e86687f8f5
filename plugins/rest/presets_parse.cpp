#include <boost/json/parse.hpp>

#include "presets.hpp"

namespace junction::rest {

boost::json::object presets() {
    boost::json::parse_options comments;
    comments.allow_comments = true;
    comments.allow_trailing_commas = true;
    boost::json::object out;
    for (const auto& text : preset_texts()) {
        boost::system::error_code ec;
        auto v = boost::json::parse(text.json, ec, {}, comments);
        if (!ec && v.is_object()) out[text.name] = std::move(v);
    }
    return out;
}

}  // namespace junction::rest
