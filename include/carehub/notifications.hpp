// Notifications as other modules see them. A module publishes inside its own unit of work, so a
// notification exists exactly when the change that caused it committed (an outbox); the notify
// module delivers it after the commit: to the user's inbox, to every open stream of the user, and
// as a push to the user's devices. Without the notify module the slot is empty and nothing is
// published.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "carehub/db.hpp"
#include "carehub/principal.hpp"

namespace carehub {

struct Notification {
  std::int64_t user_id = 0;  // the account it is for
  std::string type;          // e.g. "tracing.exposure", "cases.invitation"
  std::string title, body;   // shown in the inbox (never sent in a push: the app fetches it)
  nlohmann::json data = nlohmann::json::object();  // ids the app needs; no patient data
};

class NotificationPublisher {
 public:
  virtual ~NotificationPublisher() = default;
  // Inside the caller's unit of work; returns the notification's id.
  virtual std::int64_t publish(Tx& tx, const Notification& notification) = 0;
};

// Whether a principal authenticated earlier is still good: the account not disabled, its tokens
// not revoked since, the API token not deleted. Long-lived connections (streams) ask it now and
// then and close when the answer is no. The auth module provides it.
class PrincipalValidator {
 public:
  virtual ~PrincipalValidator() = default;
  virtual bool still_valid(const Principal& principal) = 0;
};

}  // namespace carehub
