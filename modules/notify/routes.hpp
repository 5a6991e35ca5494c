// The notify module's routes: the inbox, streams and their tickets, devices, preferences.
#pragma once

#include "carehub/module.hpp"
#include "notify/hub.hpp"
#include "notify/store.hpp"

namespace carehub::notify {

inline constexpr const char* kStreamTicketPurpose = "notifications.stream";

struct NotifyContext {
  Database& db;
  AuditLog& audit;
  const Clock& clock;
  TicketStore& tickets;
  NotifyStore& store;
  Hub& hub;
  std::chrono::seconds ticket_ttl;
};

void register_inbox_routes(Router& router, NotifyContext& ctx);
void register_stream_routes(Router& router, NotifyContext& ctx);
void register_device_routes(Router& router, NotifyContext& ctx);

// The signed-in user's id (from the principal "user:N").
std::int64_t user_id_of(const Request& req);

}  // namespace carehub::notify
