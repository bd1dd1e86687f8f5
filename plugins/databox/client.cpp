#include "client.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

namespace junction::databox {

std::string error_text(const boost::json::object& body) {
    const auto* errors = body.if_contains("errors");
    if (errors == nullptr || !errors->is_array()) return {};
    std::string out;
    for (const auto& e : errors->get_array()) {
        if (!e.is_object()) continue;
        const auto& o = e.get_object();
        std::string one;
        if (const auto* c = o.if_contains("code"); c != nullptr && c->is_string()) one += std::string(c->get_string());
        if (const auto* m = o.if_contains("message"); m != nullptr && m->is_string())
            one += (one.empty() ? "" : ": ") + std::string(m->get_string());
        if (const auto* f = o.if_contains("field"); f != nullptr && f->is_string())
            one += " (field " + std::string(f->get_string()) + ")";
        if (!one.empty()) out += (out.empty() ? "" : "; ") + one;
    }
    // one line, whatever the server put in it
    for (auto& c : out)
        if (c == '\n' || c == '\r') c = ' ';
    return out;
}

ApiResult Client::call(std::string_view method, std::string_view path, const boost::json::value* body,
                       bool idempotent) {
    sdk::HttpRequest request{.method = std::string(method),
                             .url = base_url_ + std::string(path),
                             .headers = {{"Accept", "application/json"}},
                             .connection = connection_,
                             .timeout = timeout_};
    if (body != nullptr) {
        request.headers.push_back({"Content-Type", "application/json"});
        request.body = boost::json::serialize(*body);
    }
    if (idempotent) request.extra["idempotent"] = true;
    sdk::HttpResponse response;
    ApiResult out;
    out.status = http_.send(request, response);
    out.http_status = response.status;
    boost::system::error_code ec;
    auto parsed = boost::json::parse(response.body, ec);
    if (!ec && parsed.is_object()) out.body = std::move(parsed.get_object());
    if (const auto* id = out.body.if_contains("requestId"); id != nullptr && id->is_string())
        out.request_id = std::string(id->get_string());
    if (!out.status.is_ok()) {
        const auto databox = error_text(out.body);
        out.error = out.status.message() + (databox.empty() ? "" : " (" + databox + ")");
    } else if (response.status >= 200 && response.status < 300 && out.body.empty() && request.method != "DELETE") {
        out.status = sdk::Status::retry(request.method + " " + request.url + ": " + std::to_string(response.status) +
                                        " with a body that is not a JSON object");
        out.error = out.status.message();
    }
    return out;
}

}  // namespace junction::databox
