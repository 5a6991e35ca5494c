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
  std::optional<std::string> resource_type;
  std::optional<std::string> resource_id;
  std::int64_t after_id = 0;
  int limit = 100;
};

struct AuditRecord {
  std::int64_t id;
  AuditEvent event;
};

class AuditLog {
 public:
  AuditLog(Database& db, const Clock& clock) : db_(db), clock_(clock) {}
  void record(Tx& tx, AuditEvent event);  // in the caller's unit of work
  void record(AuditEvent event);          // its own unit of work
  std::vector<AuditRecord> find(const AuditQuery& query);
  // An event pre-filled with the request's actor, request id and client address.
  static AuditEvent from_request(const Request& request, std::string action,
                                 std::string resource_type, std::string resource_id);

 private:
  Database& db_;
  const Clock& clock_;
};

}  // namespace carehub
