// Who is doing something, as a service (free of HTTP) needs to know it: for the audit trail and
// for rules about one's own things. Handlers make one from the request.
#pragma once

#include <string>

#include "carehub/audit.hpp"
#include "carehub/http.hpp"

namespace carehub {

struct Actor {
  std::string subject;  // "user:12", "token:3", or "anonymous"
  std::string request_id;
  std::string client_address;
  bool admin = false;

  static Actor of(const Request& request) {
    return {request.principal ? request.principal->subject : "anonymous", request.request_id,
            request.client_address, request.principal && request.principal->is_admin()};
  }
  // An audit event pre-filled with who, which request and from where.
  AuditEvent event(std::string action, std::string resource_type, std::string resource_id) const {
    AuditEvent e;
    e.actor = subject;
    e.action = std::move(action);
    e.resource_type = std::move(resource_type);
    e.resource_id = std::move(resource_id);
    e.request_id = request_id;
    e.client_address = client_address;
    return e;
  }
};

}  // namespace carehub
