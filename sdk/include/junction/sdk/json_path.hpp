// Dotted field paths ("customer.address.city") into a record's JSON payload: find, set
// and take a value. Check a path from the config once with is_valid_path(); the other
// functions take any text and read an empty segment as the key "".
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "json_types.hpp"  // json_type_name(), for the messages that name a path

namespace junction::sdk {

// True when the path has at least one segment and none is empty: "a", "a.b"; not "",
// ".a", "a.", "a..b". Keys with dots in them cannot be reached by a dotted path.
[[nodiscard]] inline bool is_valid_path(std::string_view path) noexcept {
    if (path.empty()) return false;
    if (path.front() == '.' || path.back() == '.') return false;
    return path.find("..") == std::string_view::npos;
}

[[nodiscard]] inline std::vector<std::string_view> split_path(std::string_view path) {
    std::vector<std::string_view> parts;
    std::size_t start = 0;
    for (;;) {
        const auto dot = path.find('.', start);
        parts.push_back(path.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
        if (dot == std::string_view::npos) return parts;
        start = dot + 1;
    }
}

// The value at path, or nullptr when any step is missing or not an object.
[[nodiscard]] inline const boost::json::value* find_path(const boost::json::object& root, std::string_view path) {
    const boost::json::object* node = &root;
    const auto parts = split_path(path);
    for (std::size_t i = 0; i < parts.size(); ++i) {
        const auto* v = node->if_contains(parts[i]);
        if (v == nullptr) return nullptr;
        if (i + 1 == parts.size()) return v;
        if (!v->is_object()) return nullptr;
        node = &v->get_object();
    }
    return nullptr;
}

[[nodiscard]] inline boost::json::value* find_path(boost::json::object& root, std::string_view path) {
    return const_cast<boost::json::value*>(find_path(static_cast<const boost::json::object&>(root), path));
}

// Sets the value at path, creating missing intermediate objects (and replacing null
// ones). False when a step exists but is not an object (the caller names the path in
// its message); root is then unchanged.
inline bool set_path(boost::json::object& root, std::string_view path, boost::json::value value) {
    boost::json::object* node = &root;
    const auto parts = split_path(path);
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
        auto& child = (*node)[parts[i]];
        if (child.is_null()) child.emplace_object();
        if (!child.is_object()) return false;  // only an existing step can fail, before anything was created
        node = &child.get_object();
    }
    (*node)[parts.back()] = std::move(value);
    return true;
}

// Removes the value at path and returns it; nothing when absent.
inline std::optional<boost::json::value> take_path(boost::json::object& root, std::string_view path) {
    boost::json::object* node = &root;
    const auto parts = split_path(path);
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
        auto* v = node->if_contains(parts[i]);
        if (v == nullptr || !v->is_object()) return std::nullopt;
        node = &v->get_object();
    }
    auto it = node->find(parts.back());
    if (it == node->end()) return std::nullopt;
    boost::json::value out = std::move(it->value());
    node->erase(it);
    return out;
}

// Whether setting one dotted path changes the other: the same path, or one holds the
// other ("a" and "a.b" overlap; "a" and "ab" do not). For refusing options that would
// write over a key field.
inline bool paths_overlap(std::string_view a, std::string_view b) {
    const auto holds = [](std::string_view outer, std::string_view inner) {
        return inner.size() > outer.size() && inner.starts_with(outer) && inner[outer.size()] == '.';
    };
    return a == b || holds(a, b) || holds(b, a);
}

}  // namespace junction::sdk
