// File names from records: "{orderNo}.json", "{customer.id}-{orderNo}.json". Values are
// sanitized so a record can never name a path outside the folder.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

namespace junction::files {

class FileNameTemplate {
public:
    // Empty on success, else why the template is unusable (unclosed brace, a '/', a
    // placeholder that is not a field path).
    std::string parse(std::string_view text);
    // The file name for a record; false with the reason naming the field when a
    // placeholder's field is missing or is not a string or integer.
    bool render(const boost::json::object& record, std::string& name, std::string& error) const;

private:
    struct Part {
        bool field = false;
        std::string text;  // literal text, or the field path
    };
    std::vector<Part> parts_;
};

// A field value made safe as part of a file name: '/', '\\' and control characters
// become '_', and so does every "..".
std::string sanitize_name_part(std::string_view value);

}  // namespace junction::files
