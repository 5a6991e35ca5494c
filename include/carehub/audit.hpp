// The audit trail: an append-only audit_events table (updates and deletes are refused by the
// database itself). Every read or write of patient data records an event, inside the same unit of
// work as the change where there is one.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "carehub/clock.hpp"
#include "carehub/db.hpp"

namespace carehub {

struct Request;

struct AuditEvent {
  std::string actor;   // principal subject, or "anonymous" / "system"
  std::string action;  // e.g. "person.read", "dicom.store"
  std::string resource_type;
  std::string resource_id;
  std::string outcome = "success";  // "success", "denied", "failure"
  std::string request_id;
  std::string client_address;
  nlohmann::json detail = nlohmann::json::object();  // never patient data: ids and counts only
  std::int64_t at_ms = 0;                            // set by the log when 0
};

struct AuditQuery {
  std::optional<std::string> actor;
  std::optional<std::string> action;
  std::optional<std::string> resource_type;
  std::optional<std::string> resource_id;
  std::optional<std::int64_t> from_ms;  // at_ms >= from_ms
  std::optional<std::int64_t> to_ms;    // at_ms < to_ms
  std::int64_t after_id = 0;            // find(): oldest first, from here
  std::int64_t before_id = 0;           // search(): newest first, below this id (0: from the top)
  int limit = 100;
  int offset = 0;           // search() only
  bool count_total = true;  // search() only: false leaves AuditPage::total at 0 (an export's pages)
};

struct AuditPage {
  std::vector<struct AuditRecord> events;  // newest first
  std::int64_t total = 0;                  // matching events, all pages
};

struct AuditRecord {
  std::int64_t id;
  AuditEvent event;
};

class AuditLog {
 public:
  AuditLog(Database& db, const Clock& clock) : db_(db), clock_(clock) {}
  void record(Tx& tx, AuditEvent event);                   // in the caller's unit of work
  void record(AuditEvent event);                           // its own unit of work
  std::vector<AuditRecord> find(const AuditQuery& query);  // oldest first, after after_id
  AuditPage search(const AuditQuery& query);               // newest first, with the total
  // An event pre-filled with the request's actor, request id and client address.
  static AuditEvent from_request(const Request& request, std::string action,
                                 std::string resource_type, std::string resource_id);

 private:
  Database& db_;
  const Clock& clock_;
};

}  // namespace carehub
