// Device pushes: providers behind one interface, and the delivery job (one per notification and
// device). A push carries no patient data: a generic title and the notification's id; the app
// fetches the content. The job records each push delivered under its idempotency key, so a
// retried or repeated job never pushes twice (a crash between the provider's acceptance and that
// record is the one window; the key travels in the push for the gateway to drop a repeat).
#pragma once

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "carehub/clock.hpp"
#include "carehub/db.hpp"
#include "carehub/jobs.hpp"
#include "notify/store.hpp"

namespace carehub::notify {

struct PushMessage {
  std::string platform;  // apns, fcm, webpush
  std::string token;
  std::string app;
  std::string title, body;  // generic
  std::int64_t notification_id = 0;
  std::string idempotency_key;
};

struct PushResult {
  enum class Outcome { kDelivered, kInvalidToken, kRetry, kRejected } outcome;
  std::string detail;
};

class PushProvider {
 public:
  virtual ~PushProvider() = default;
  virtual PushResult send(const PushMessage& message) = 0;
};

// JSON in the shape of the gorush push gateway's POST /api/push (which forwards to APNs and
// FCM); an answer naming the token as invalid (BadDeviceToken, Unregistered, NotRegistered,
// InvalidRegistration) removes the device; 5xx and transport failures are retried.
std::unique_ptr<PushProvider> webhook_provider(std::string url, std::string bearer_token,
                                               std::chrono::milliseconds timeout);
// Logs the push (never the token), for development.
std::unique_ptr<PushProvider> log_provider();

struct PushSettings {
  std::string title = "New notification";
  std::string body = "Open the app to read it.";
};

nlohmann::json run_push_job(JobContext& job, Database& db, NotifyStore& store,
                            PushProvider& provider, const PushSettings& settings,
                            const Clock& clock);

}  // namespace carehub::notify
