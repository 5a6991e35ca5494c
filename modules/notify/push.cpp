#include "notify/push.hpp"

#include <algorithm>
#include <array>

#include "carehub/http_fetch.hpp"
#include "carehub/log.hpp"

namespace carehub::notify {
namespace {

// gorush's platform numbers; web push is not one of its platforms (a receiver that takes it
// reads "webpush").
nlohmann::json platform_code(const std::string& platform) {
  if (platform == "apns") return 1;
  if (platform == "fcm") return 2;
  return platform;
}

bool names_invalid_token(const std::string& text) {
  static const std::array<const char*, 5> kMarkers = {
      "BadDeviceToken", "Unregistered", "NotRegistered", "InvalidRegistration", "invalid_token"};
  return std::any_of(kMarkers.begin(), kMarkers.end(),
                     [&](const char* m) { return text.find(m) != std::string::npos; });
}

class WebhookProvider final : public PushProvider {
 public:
  WebhookProvider(std::string url, std::string bearer, std::chrono::milliseconds timeout)
      : url_(std::move(url)), bearer_(std::move(bearer)), timeout_(timeout) {}

  PushResult send(const PushMessage& m) override {
    nlohmann::json notification = {
        {"tokens", {m.token}},
        {"platform", platform_code(m.platform)},
        {"title", m.title},
        {"message", m.body},
        {"topic", m.app},
        {"data", {{"notification_id", std::to_string(m.notification_id)}}},
        {"idempotency_key", m.idempotency_key}};
    std::vector<std::pair<std::string, std::string>> headers = {
        {"Content-Type", "application/json"}, {"Idempotency-Key", m.idempotency_key}};
    if (!bearer_.empty()) headers.emplace_back("Authorization", "Bearer " + bearer_);
    const auto r = http_call("POST", url_, headers,
                             nlohmann::json{{"notifications", {notification}}}.dump(), timeout_);
    if (!r.ok()) return {PushResult::Outcome::kRetry, r.error};
    if (r.status >= 500 || r.status == 429)
      return {PushResult::Outcome::kRetry, "gateway answered " + std::to_string(r.status)};
    if (names_invalid_token(r.body))
      return {PushResult::Outcome::kInvalidToken, "the gateway says the token is invalid"};
    if (r.status >= 400)
      return {PushResult::Outcome::kRejected, "gateway answered " + std::to_string(r.status)};
    return {PushResult::Outcome::kDelivered, ""};
  }

 private:
  std::string url_, bearer_;
  std::chrono::milliseconds timeout_;
};

class LogProvider final : public PushProvider {
 public:
  PushResult send(const PushMessage& m) override {
    log_info("push_sent", {{"platform", m.platform},
                           {"app", m.app},
                           {"notification_id", m.notification_id},
                           {"idempotency_key", m.idempotency_key}});
    return {PushResult::Outcome::kDelivered, ""};
  }
};

}  // namespace

std::unique_ptr<PushProvider> webhook_provider(std::string url, std::string bearer_token,
                                               std::chrono::milliseconds timeout) {
  return std::make_unique<WebhookProvider>(std::move(url), std::move(bearer_token), timeout);
}

std::unique_ptr<PushProvider> log_provider() {
  return std::make_unique<LogProvider>();
}

nlohmann::json run_push_job(JobContext& job, Database& db, NotifyStore& store,
                            PushProvider& provider, const PushSettings& settings,
                            const Clock& clock) {
  const std::int64_t notification_id = job.payload().at("notification_id");
  const std::int64_t device_id = job.payload().at("device_id");
  const std::string key =
      "notify.push:" + std::to_string(notification_id) + ":" + std::to_string(device_id);
  struct Found {
    bool pushed = false;
    std::optional<DeviceRow> device;
    bool notification = false;
  };
  const auto found = db.transact(
      [&](Tx& tx) {
        return Found{store.pushed(tx, key), store.find_device(tx, device_id),
                     store.find(tx, notification_id).has_value()};
      },
      TxMode::kRead);
  if (found.pushed) return {{"pushed", false}, {"reason", "already pushed"}};
  if (!found.device) return {{"pushed", false}, {"reason", "the device was removed"}};
  if (!found.notification) return {{"pushed", false}, {"reason", "the notification was removed"}};

  PushMessage m{found.device->platform,
                found.device->token,
                found.device->app,
                settings.title,
                settings.body,
                notification_id,
                key};
  const auto result = provider.send(m);
  switch (result.outcome) {
    case PushResult::Outcome::kDelivered:
      db.transact(
          [&](Tx& tx) { store.record_push(tx, key, notification_id, device_id, clock.now_ms()); });
      return {{"pushed", true}, {"attempt", job.attempt()}};
    case PushResult::Outcome::kInvalidToken:
      db.transact([&](Tx& tx) { store.remove_device_by_id(tx, device_id); });
      log_info("push_device_removed", {{"device_id", device_id}, {"reason", result.detail}});
      return {{"pushed", false}, {"reason", "invalid token: device removed"}};
    case PushResult::Outcome::kRejected: throw PermanentJobError(result.detail);
    case PushResult::Outcome::kRetry: break;
  }
  throw std::runtime_error("push not delivered: " + result.detail);  // retried with backoff
}

}  // namespace carehub::notify
