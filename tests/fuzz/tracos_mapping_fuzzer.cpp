// Fuzzes the tracos work-order mapping both ways on one JSON object: customer -> TracOS
// and TracOS -> customer. A mapped document must map back: whatever to_tracos accepts,
// to_customer accepts in return, and the other way round.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include <boost/json/parse.hpp>

#include "work_order_mapping.hpp"

namespace {

void check(bool ok) {
    if (!ok) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    boost::system::error_code ec;
    auto value = boost::json::parse(std::string_view(reinterpret_cast<const char*>(data), size), ec);
    if (ec || !value.is_object()) return 0;
    const auto& in = value.get_object();

    using junction::tracos::to_customer;
    using junction::tracos::to_tracos;
    if (auto tracos = to_tracos(in); tracos.ok()) {
        const auto back = to_customer(tracos.document);
        check(back.ok());
        check(back.key == tracos.key);
    }
    if (auto customer = to_customer(in); customer.ok()) {
        const auto back = to_tracos(customer.document);
        check(back.ok());
        check(back.key == customer.key);
    }
    return 0;
}
