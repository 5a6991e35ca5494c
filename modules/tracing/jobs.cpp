// The tracing module's background work: finding an infection event's contacts, alerting them,
// and the retention purge. Every handler may run twice (a worker dies after its commit): the
// second run changes nothing.
#include <fmt/format.h>

#include "carehub/accounts.hpp"
#include "carehub/notifications.hpp"
#include "tracing/service.hpp"
#include "tracing/tokens.hpp"

namespace carehub::tracing {
namespace {

std::string fill(std::string text, const std::string& name, const std::string& value) {
  const std::string key = "{" + name + "}";
  for (auto at = text.find(key); at != std::string::npos; at = text.find(key, at + value.size()))
    text.replace(at, key.size(), value);
  return text;
}

}  // namespace

// Contacts are the users met within the contact window either side of the status date, each
// once with the latest meeting. Their exposures are recorded with the event (the primary key
// (event, contact) is each exposure's idempotency key) and handed to exposure jobs of up to
// exposure_batch contacts, each job keyed by (event, first contact).
nlohmann::json TracingService::run_trace(JobContext& job) {
  const std::int64_t event_id = job.payload().at("event_id").get<std::int64_t>();
  return db_.transact([&](Tx& tx) -> nlohmann::json {
    auto event = store_.event(tx, event_id);
    if (!event) return {{"event_id", event_id}, {"skipped", "event purged"}};
    if (event->traced_at_ms) return {{"event_id", event_id}, {"skipped", "already traced"}};
    const auto contacts =
        store_.contacts(tx, *event, event->status_on_ms - settings_.contact_window_ms,
                        event->status_on_ms + settings_.contact_window_ms);
    store_.add_exposures(tx, *event, contacts, clock_.now_ms());
    std::size_t jobs = 0;
    for (std::size_t from = 0; from < contacts.size(); from += settings_.exposure_batch) {
      const auto to = std::min(contacts.size(), from + settings_.exposure_batch);
      nlohmann::json ids = nlohmann::json::array();
      for (auto i = from; i < to; ++i) ids.push_back(contacts[i].user_id);
      JobSpec expose;
      expose.type = kExposeJob;
      expose.queue = "tracing";
      expose.payload = {{"event_id", event_id}, {"contacts", ids}};
      expose.idempotency_key =
          fmt::format("{}:{}:{}", kExposeJob, event_id, contacts[from].user_id);
      jobs_.enqueue(tx, expose);
      ++jobs;
    }
    return {{"event_id", event_id}, {"contacts", contacts.size()}, {"exposure_jobs", jobs}};
  });
}

// A contact whose state is less severe than the exposure state (At risk) moves to it, with
// history, and is told through the notification publisher: only that they were near someone who
// reported a state, and the day.
bool TracingService::expose_one(Tx& tx, const Event& event, std::int64_t contact_user_id) {
  const auto pending = store_.pending_exposure(tx, event.id, contact_user_id);
  if (!pending) return false;
  const auto now = clock_.now_ms();
  const Profile before = ensure_profile(tx, contact_user_id);
  const State* current = settings_.states.find(before.status_id);
  const State* target = settings_.states.find(settings_.exposure_status);
  const bool changed = target && (current ? current->severity : 0) < target->severity;
  if (changed) {
    store_.set_status(tx, before, target->id, now, "exposure", now);
    if (auto* publisher = services_.notifications.get()) {
      std::string lang = "en";
      if (auto* accounts = services_.accounts.get()) {
        if (auto account = accounts->find(tx, contact_user_id)) lang = account->language;
      }
      const auto& text = texts(lang).at("exposure");
      const State* reported = settings_.states.find(event.status_id);
      const std::string day = format_rfc3339_ms(day_of(pending->met_at_ms) * kDayMs).substr(0, 10);
      std::string body = text.at("body").get<std::string>();
      body = fill(body, "day", day);
      body = fill(body, "state", reported ? reported->name : std::to_string(event.status_id));
      body = fill(body, "new_state", target->name);
      Notification n;
      n.user_id = contact_user_id;
      n.type = "tracing.exposure";
      n.title = text.at("title").get<std::string>();
      n.body = body;
      n.data = {{"day", day}, {"status_id", target->id}};
      publisher->publish(tx, n);
    }
  }
  store_.mark_exposure_applied(tx, event.id, contact_user_id, changed, now);
  AuditEvent e;
  e.actor = "system";
  e.action = "tracing.status.change";
  e.resource_type = "tracing_user";
  e.resource_id = std::to_string(contact_user_id);
  e.outcome = "success";
  e.detail = {{"cause", "exposure"}, {"changed", changed}};
  audit_.record(tx, e);
  return changed;
}

nlohmann::json TracingService::run_expose(JobContext& job) {
  const std::int64_t event_id = job.payload().at("event_id").get<std::int64_t>();
  const auto& contacts = job.payload().at("contacts");
  return db_.transact([&](Tx& tx) -> nlohmann::json {
    auto event = store_.event(tx, event_id);
    if (!event) return {{"event_id", event_id}, {"skipped", "event purged"}};
    std::size_t changed = 0;
    for (const auto& c : contacts) changed += expose_one(tx, *event, c.get<std::int64_t>());
    return {{"event_id", event_id}, {"contacts", contacts.size()}, {"changed", changed}};
  });
}

nlohmann::json TracingService::run_retention(JobContext&) {
  const auto now = clock_.now_ms();
  const auto before_ms = now - settings_.retention_ms;
  const auto n =
      db_.transact([&](Tx& tx) { return store_.purge(tx, before_ms, day_of(before_ms) - 1, now); });
  return {{"meetings_deleted", n.meetings}, {"exposures_deleted", n.exposures},
          {"events_deleted", n.events},     {"tokens_deleted", n.tokens},
          {"codes_deleted", n.codes},       {"health_ids_deleted", n.health_ids}};
}

}  // namespace carehub::tracing
