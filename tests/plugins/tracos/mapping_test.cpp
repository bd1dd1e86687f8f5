#include <doctest/doctest.h>

#include <cstdint>
#include <limits>

#include <boost/json.hpp>

#include "work_order_mapping.hpp"

namespace json = boost::json;
using junction::tracos::to_customer;
using junction::tracos::to_tracos;

namespace {

json::object customer(std::string_view extra = {}) {
    auto base = json::parse(R"({"orderNo": 12, "isActive": true, "summary": "Fix pump",
        "creationDate": "2024-03-01T09:00:00-03:00", "lastUpdateDate": "2024-03-02T10:00:00+05:30",
        "deletedDate": null})")
                    .as_object();
    if (!extra.empty()) {
        const auto parsed = json::parse(extra);
        for (const auto& [k, v] : parsed.as_object())
            base[k] = v;
    }
    return base;
}

json::object tracos_doc(std::string_view status) {
    auto doc = json::parse(R"({"_id": {"$oid": "65e1f0000000000000000001"}, "number": 7, "title": "Fix pump",
        "description": "Fix pump in hall 2", "createdAt": "2024-03-01T12:00:00.000Z",
        "updatedAt": "2024-03-02T04:30:00.000Z", "deleted": false, "deletedAt": null,
        "isSynced": false, "syncedAt": null})")
                   .as_object();
    doc["status"] = status;
    return doc;
}

std::string inbound_status(std::string_view flags) {
    auto in = customer(flags);
    auto r = to_tracos(in);
    REQUIRE_MESSAGE(r.ok(), r.error);
    return std::string(r.document.at("status").as_string());
}

std::string inbound_error(std::string_view extra, std::initializer_list<std::string_view> remove = {}) {
    auto in = customer(extra);
    for (auto k : remove)
        in.erase(k);
    auto r = to_tracos(in);
    REQUIRE_FALSE(r.ok());
    return r.error;
}

}  // namespace

TEST_CASE("to_tracos: each status flag maps to its status") {
    CHECK(inbound_status(R"({"isCanceled": true})") == "cancelled");
    CHECK(inbound_status(R"({"isDone": true})") == "completed");
    CHECK(inbound_status(R"({"isOnHold": true})") == "on_hold");
    CHECK(inbound_status(R"({"isPending": true})") == "pending");
}

TEST_CASE("to_tracos: no status flag set means in_progress") {
    CHECK(inbound_status(R"({"isDone": false, "isPending": false})") == "in_progress");
    CHECK(inbound_status("{}") == "in_progress");  // isActive alone
}

TEST_CASE("to_tracos: flag precedence is canceled, done, on hold, pending") {
    CHECK(inbound_status(R"({"isPending": true, "isDone": true, "isCanceled": true})") == "cancelled");
    CHECK(inbound_status(R"({"isPending": true, "isDone": true})") == "completed");
    CHECK(inbound_status(R"({"isPending": true, "isOnHold": true})") == "on_hold");
}

TEST_CASE("to_tracos: fields, dates in UTC with milliseconds and Z, key = number") {
    auto r = to_tracos(customer());
    REQUIRE(r.ok());
    const auto& d = r.document;
    CHECK(d.at("number").as_int64() == 12);
    CHECK(d.at("title").as_string() == "Fix pump");
    CHECK(d.at("description").as_string() == "Fix pump");
    CHECK(d.at("createdAt").as_string() == "2024-03-01T12:00:00.000Z");
    CHECK(d.at("updatedAt").as_string() == "2024-03-02T04:30:00.000Z");
    CHECK(d.at("deleted").as_bool() == false);
    CHECK(d.at("deletedAt").is_null());
    CHECK(r.key == "12");
    CHECK_FALSE(d.contains("orderNo"));
}

TEST_CASE("to_tracos: fractional seconds and Z are normalized") {
    auto r = to_tracos(customer(R"({"creationDate": "2024-03-01T12:00:00.25Z"})"));
    REQUIRE(r.ok());
    CHECK(r.document.at("createdAt").as_string() == "2024-03-01T12:00:00.250Z");
}

TEST_CASE("to_tracos: inbound documents are marked synced as of the customer's version") {
    auto r = to_tracos(customer());
    REQUIRE(r.ok());
    CHECK(r.document.at("isSynced").as_bool() == true);
    CHECK(r.document.at("syncedAt").as_string() == r.document.at("updatedAt").as_string());
    // deterministic: the same input maps to the same document, so replays change nothing
    CHECK(to_tracos(customer()).document == r.document);
}

TEST_CASE("to_tracos: lastUpdateDate defaults to creationDate") {
    auto in = customer();
    in.erase("lastUpdateDate");
    auto r = to_tracos(in);
    REQUIRE(r.ok());
    CHECK(r.document.at("updatedAt").as_string() == "2024-03-01T12:00:00.000Z");
}

TEST_CASE("to_tracos: deleted without deletedDate is deleted at updatedAt") {
    auto r = to_tracos(customer(R"({"isDeleted": true})"));
    REQUIRE(r.ok());
    CHECK(r.document.at("deleted").as_bool() == true);
    CHECK(r.document.at("deletedAt").as_string() == "2024-03-02T04:30:00.000Z");
}

TEST_CASE("to_tracos: deletedDate is kept, in UTC") {
    auto r = to_tracos(customer(R"({"isDeleted": true, "deletedDate": "2024-03-03T00:00:00-03:00"})"));
    REQUIRE(r.ok());
    CHECK(r.document.at("deletedAt").as_string() == "2024-03-03T03:00:00.000Z");
}

TEST_CASE("to_tracos: a missing summary gives empty title and description") {
    auto in = customer();
    in.erase("summary");
    auto r = to_tracos(in);
    REQUIRE(r.ok());
    CHECK(r.document.at("title").as_string() == "");
}

TEST_CASE("to_tracos rejects: orderNo as a string names the type found") {
    CHECK(inbound_error(R"({"orderNo": "12"})") == "orderNo: expected integer, got string");
}

TEST_CASE("to_tracos rejects: orderNo missing or fractional") {
    CHECK(inbound_error("{}", {"orderNo"}) == "orderNo: required");
    CHECK(inbound_error(R"({"orderNo": 1.5})") == "orderNo: expected integer, got number");
}

TEST_CASE("to_tracos rejects: no status flag at all") {
    CHECK(inbound_error("{}", {"isActive"}).starts_with("status: no status flag"));
}

TEST_CASE("to_tracos rejects: a flag that is not a bool") {
    CHECK(inbound_error(R"({"isDone": "yes"})") == "isDone: expected bool, got string");
    CHECK(inbound_error(R"({"isSynced": 1})") == "isSynced: expected bool, got integer");
}

TEST_CASE("to_tracos rejects: creationDate missing") {
    CHECK(inbound_error("{}", {"creationDate"}) == "creationDate: required");
}

TEST_CASE("to_tracos rejects: creationDate not ISO 8601 quotes the value") {
    CHECK(inbound_error(R"({"creationDate": "yesterday"})") ==
          R"(creationDate: not an ISO 8601 date-time: "yesterday")");
    CHECK(inbound_error(R"({"creationDate": 17})") == "creationDate: expected ISO 8601 date-time string, got integer");
}

TEST_CASE("to_tracos rejects: lastUpdateDate and deletedDate must be ISO 8601") {
    CHECK(inbound_error(R"({"lastUpdateDate": "2024-03-01"})") ==
          R"(lastUpdateDate: not an ISO 8601 date-time: "2024-03-01")");
    CHECK(inbound_error(R"({"deletedDate": "soon"})") == R"(deletedDate: not an ISO 8601 date-time: "soon")");
}

TEST_CASE("to_tracos rejects: summary not a string") {
    CHECK(inbound_error(R"({"summary": 5})") == "summary: expected string, got integer");
}

TEST_CASE("to_tracos rejects: every problem is listed") {
    const auto error = inbound_error(R"({"orderNo": "x", "creationDate": "no"})");
    CHECK(error.find("orderNo:") != std::string::npos);
    CHECK(error.find("creationDate:") != std::string::npos);
}

TEST_CASE("to_customer: each status sets exactly its flag") {
    struct Case {
        const char* status;
        const char* flag;
    };
    for (const auto& c : {Case{"cancelled", "isCanceled"}, Case{"completed", "isDone"}, Case{"on_hold", "isOnHold"},
                          Case{"pending", "isPending"}}) {
        CAPTURE(c.status);
        auto r = to_customer(tracos_doc(c.status));
        REQUIRE(r.ok());
        for (const char* f : {"isCanceled", "isDone", "isOnHold", "isPending"})
            CHECK(r.document.at(f).as_bool() == (std::string_view(f) == c.flag));
    }
}

TEST_CASE("to_customer: in_progress sets no status flag") {
    auto r = to_customer(tracos_doc("in_progress"));
    REQUIRE(r.ok());
    for (const char* f : {"isCanceled", "isDone", "isOnHold", "isPending"})
        CHECK(r.document.at(f).as_bool() == false);
}

TEST_CASE("to_customer: fields, _id dropped, isSynced true, key = orderNo") {
    auto r = to_customer(tracos_doc("pending"));
    REQUIRE(r.ok());
    const auto& d = r.document;
    CHECK(d.at("orderNo").as_int64() == 7);
    CHECK(d.at("summary").as_string() == "Fix pump");
    CHECK(d.at("creationDate").as_string() == "2024-03-01T12:00:00.000Z");
    CHECK(d.at("lastUpdateDate").as_string() == "2024-03-02T04:30:00.000Z");
    CHECK(d.at("deletedDate").is_null());
    CHECK(d.at("isDeleted").as_bool() == false);
    CHECK(d.at("isActive").as_bool() == true);
    CHECK(d.at("isSynced").as_bool() == true);
    CHECK_FALSE(d.contains("_id"));
    CHECK_FALSE(d.contains("syncedAt"));
    CHECK(r.key == "7");
}

TEST_CASE("to_customer: deleted maps to isDeleted and deletedDate") {
    auto doc = tracos_doc("cancelled");
    doc["deleted"] = true;
    doc["deletedAt"] = "2024-03-05T10:00:00+02:00";
    auto r = to_customer(doc);
    REQUIRE(r.ok());
    CHECK(r.document.at("isDeleted").as_bool() == true);
    CHECK(r.document.at("isActive").as_bool() == false);
    CHECK(r.document.at("deletedDate").as_string() == "2024-03-05T08:00:00.000Z");
}

TEST_CASE("to_customer: missing optional fields are tolerated") {
    auto r = to_customer(
        json::parse(R"({"number": 3, "status": "pending", "createdAt": "2024-03-01T12:00:00Z"})").as_object());
    REQUIRE_MESSAGE(r.ok(), r.error);
    CHECK(r.document.at("summary").as_string() == "");
    CHECK(r.document.at("lastUpdateDate").as_string() == "2024-03-01T12:00:00.000Z");
    CHECK(r.document.at("isDeleted").as_bool() == false);
}

TEST_CASE("to_customer: summary falls back to description") {
    auto doc = tracos_doc("pending");
    doc.erase("title");
    auto r = to_customer(doc);
    REQUIRE(r.ok());
    CHECK(r.document.at("summary").as_string() == "Fix pump in hall 2");
}

TEST_CASE("to_customer: MongoDB Extended JSON dates and numbers are understood") {
    auto doc = tracos_doc("pending");
    doc["number"] = json::parse(R"({"$numberLong": "9"})");
    doc["createdAt"] = json::parse(R"({"$date": "2024-03-01T12:00:00Z"})");
    doc["updatedAt"] = json::parse(R"({"$date": {"$numberLong": "1709294400000"}})");
    auto r = to_customer(doc);
    REQUIRE_MESSAGE(r.ok(), r.error);
    CHECK(r.document.at("orderNo").as_int64() == 9);
    CHECK(r.document.at("lastUpdateDate").as_string() == "2024-03-01T12:00:00.000Z");
}

TEST_CASE("to_customer rejects: a number beyond 64-bit integers or fractional (fuzz: 1e300)") {
    for (const double n : {1e300, -1e300, 9223372036854775808.0, 7.5}) {
        auto doc = tracos_doc("pending");
        doc["number"] = n;
        auto r = to_customer(doc);
        CHECK_MESSAGE(r.error == "number: expected integer, got number", n);
    }
    auto doc = tracos_doc("pending");
    doc["number"] = -9223372036854775808.0;
    auto r = to_customer(doc);
    REQUIRE_MESSAGE(r.ok(), r.error);
    CHECK(r.document.at("orderNo").as_int64() == std::numeric_limits<std::int64_t>::min());
}

TEST_CASE("to_customer rejects: a date in epoch milliseconds beyond year 9999 (fuzz: its file did not map back)") {
    auto doc = tracos_doc("pending");
    doc["deletedAt"] = 1706774400000000000;
    doc["createdAt"] = json::parse(R"({"$date": {"$numberLong": "-62167219200001"}})");
    auto r = to_customer(doc);
    CHECK(r.error == R"(createdAt: not a date: {"$date":{"$numberLong":"-62167219200001"}}; )"
                     R"(deletedAt: not a date: 1706774400000000000)");
    doc["deletedAt"] = 253402300799999;
    doc["createdAt"] = json::parse(R"({"$date": {"$numberLong": "-62167219200000"}})");
    r = to_customer(doc);
    REQUIRE_MESSAGE(r.ok(), r.error);
    CHECK(r.document.at("creationDate") == "0000-01-01T00:00:00.000Z");
    CHECK(r.document.at("deletedDate") == "9999-12-31T23:59:59.999Z");
}

TEST_CASE("to_customer rejects: unknown status names the value") {
    auto r = to_customer(tracos_doc("archived"));
    CHECK(r.error == R"(status: unknown value "archived")");
}

TEST_CASE("to_customer rejects: missing number and createdAt") {
    auto doc = tracos_doc("pending");
    doc.erase("number");
    doc.erase("createdAt");
    auto r = to_customer(doc);
    CHECK(r.error == "number: required; createdAt: required");
}

TEST_CASE("round trip: customer -> TracOS -> customer keeps the order") {
    auto in = customer(R"({"isOnHold": true})");
    auto there = to_tracos(in);
    REQUIRE(there.ok());
    auto back = to_customer(there.document);
    REQUIRE(back.ok());
    CHECK(back.document.at("orderNo") == in.at("orderNo"));
    CHECK(back.document.at("isOnHold").as_bool());
    CHECK(back.document.at("summary") == in.at("summary"));
    CHECK(back.document.at("creationDate").as_string() == "2024-03-01T12:00:00.000Z");
}
