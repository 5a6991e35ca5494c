#include "notify/module.hpp"

#include "carehub/log.hpp"
#include "notify/hub.hpp"
#include "notify/publisher.hpp"
#include "notify/push.hpp"
#include "notify/routes.hpp"

namespace carehub::notify {
namespace {

constexpr std::int64_t kRetentionIntervalMs = 60LL * 60 * 1000;

}  // namespace

NotifyModule::NotifyModule() = default;
NotifyModule::~NotifyModule() = default;

void NotifyModule::add_config_schema(ConfigSchema& schema) const {
  schema.section("notify")
      .integer("retention_days", 30, 1, 3650, "read notifications older than this are deleted")
      .integer("stream_buffer_bytes", 256 * 1024, 4096, 64 * 1024 * 1024,
               "what a stream may have queued for a slow client before it is disconnected")
      .integer("heartbeat_s", 25, 1, 3600, "idle streams get a ping (WebSocket) or comment (SSE)")
      .integer("validate_interval_s", 5, 1, 3600,
               "how often open streams check that their session is still valid")
      .integer("ticket_ttl_s", 30, 5, 600, "lifetime of a single-use stream ticket")
      .string("push_provider", "log", "webhook (a gorush-shaped gateway), log, or none")
      .string("push_webhook_url", "",
              "the gateway's POST /api/push URL (https, or http to loopback)")
      .secret("push_webhook_token", "", "sent as a Bearer token to the gateway, when set")
      .integer("push_timeout_ms", 5000, 100, 60000, "one push request's deadline")
      .integer("push_max_attempts", 8, 1, 50, "then the push goes to dead letter")
      .string("push_title", "New notification", "the generic title every push carries")
      .string("push_body", "Open the app to read it.", "the generic text every push carries");
}

void NotifyModule::check_config(const Config& config) const {
  const auto& s = config.section("notify");
  const std::string provider = s["push_provider"];
  if (provider != "webhook" && provider != "log" && provider != "none")
    throw ConfigError("config: notify.push_provider must be webhook, log or none");
  if (provider == "webhook" && s["push_webhook_url"].get<std::string>().empty())
    throw ConfigError(
        "config: notify.push_provider is webhook but notify.push_webhook_url is empty");
}

void NotifyModule::start(ModuleContext& ctx) {
  check_config(ctx.config);
  const auto& s = ctx.config.section("notify");
  store_ = std::make_unique<NotifyStore>();
  HubSettings hub;
  hub.buffer_bytes = s["stream_buffer_bytes"].get<std::size_t>();
  hub.heartbeat = std::chrono::seconds(s["heartbeat_s"].get<int>());
  hub.validate_interval = std::chrono::seconds(s["validate_interval_s"].get<int>());
  hub_ = std::make_unique<Hub>(ctx.db, *store_, ctx.services.principals, hub);
  publisher_ =
      std::make_unique<Publisher>(ctx.db, *store_, *hub_, ctx.jobs, ctx.clock,
                                  s["push_max_attempts"].get<int>(), ctx.services, ctx.mail);
  ctx.services.notifications.install(publisher_.get());
  context_ = std::make_unique<NotifyContext>(
      NotifyContext{ctx.db, ctx.audit, ctx.clock, ctx.tickets, *store_, *hub_,
                    std::chrono::seconds(s["ticket_ttl_s"].get<int>())});
  register_inbox_routes(ctx.router, *context_);
  register_stream_routes(ctx.router, *context_);
  register_device_routes(ctx.router, *context_);

  const std::string provider = s["push_provider"];
  if (provider == "webhook") {
    provider_ = webhook_provider(s["push_webhook_url"], s["push_webhook_token"],
                                 std::chrono::milliseconds(s["push_timeout_ms"].get<int>()));
  } else if (provider == "log") {
    provider_ = log_provider();
  }
  PushSettings push{s["push_title"], s["push_body"]};
  Database& db = ctx.db;
  NotifyStore& store = *store_;
  PushProvider* sender = provider_.get();
  const Clock& clock = ctx.clock;
  ctx.job_handlers.add(kPushJobType, [&db, &store, sender, push, &clock](JobContext& job) {
    if (!sender) return nlohmann::json{{"pushed", false}, {"reason", "push_provider is none"}};
    return run_push_job(job, db, store, *sender, push, clock);
  });

  const std::int64_t retention_ms = s["retention_days"].get<std::int64_t>() * 86'400'000;
  TicketStore& tickets = ctx.tickets;
  ctx.job_handlers.add("notify.retention", [&db, &store, &clock, &tickets,
                                            retention_ms](JobContext&) {
    const auto purged = db.transact(
        [&](Tx& tx) { return store.purge_read_before(tx, clock.now_ms() - retention_ms); });
    const auto tickets_purged = tickets.purge();
    return nlohmann::json{{"notifications_deleted", purged}, {"tickets_deleted", tickets_purged}};
  });
  JobSpec retention;
  retention.type = "notify.retention";
  ctx.jobs.schedule("notify.retention", retention, kRetentionIntervalMs);
}

void NotifyModule::serve(ModuleContext& ctx) {
  hub_->start(ctx.db.backend() == Backend::kPostgres);
}

void NotifyModule::drain(std::chrono::milliseconds) {
  hub_->stop();
}

}  // namespace carehub::notify
