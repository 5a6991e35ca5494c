// The outbox (carehub/mail.hpp): the row and its job written in the caller's unit of work, and
// the job that delivers it. The SQL of mail_outbox is all here.
#include <fmt/format.h>

#include <algorithm>
#include <mutex>
#include <stdexcept>
#include <vector>

#include "carehub/hash.hpp"
#include "carehub/log.hpp"
#include "carehub/mail.hpp"
#include "mail/smtp.hpp"
#include "mail/templates.hpp"

namespace carehub {

using mail::SmtpOutcome;

MailSettings mail_settings(const Config& config) {
  const auto& s = config.section("mail");
  MailSettings m{s["provider"], s["from"], s["public_url"]};
  if (m.public_url.empty()) {
    const auto server = config.server();
    const bool https = server.tls.enabled();
    const std::string host =
        server.host == "0.0.0.0" || server.host == "::" ? "localhost" : server.host;
    m.public_url = fmt::format("{}://{}:{}", https ? "https" : "http", host, server.port);
  }
  while (!m.public_url.empty() && m.public_url.back() == '/') m.public_url.pop_back();
  return m;
}

// Where messages go: the SMTP server (one session kept open between messages, one message at a
// time), the log, or nowhere.
struct Mail::Sender {
  virtual ~Sender() = default;
  virtual SmtpOutcome send(const mail::SmtpEnvelope& envelope, std::int64_t outbox_id,
                           const std::string& template_name) = 0;
};

namespace {

// One SMTP session per job worker, each kept open: a worker takes a free one (or waits for the
// first), so deliveries run side by side and no session is used by two threads.
struct SmtpSender final : Mail::Sender {
  SmtpSender(const mail::SmtpSettings& settings, int sessions) {
    for (int i = 0; i < std::max(sessions, 1); ++i)
      pool.push_back(std::make_unique<Session>(settings));
  }
  SmtpOutcome send(const mail::SmtpEnvelope& envelope, std::int64_t, const std::string&) override {
    for (auto& s : pool) {
      std::unique_lock lock(s->mutex, std::try_to_lock);
      if (lock.owns_lock()) return s->client.send(envelope);
    }
    std::lock_guard lock(pool.front()->mutex);
    return pool.front()->client.send(envelope);
  }
  struct Session {
    explicit Session(const mail::SmtpSettings& settings) : client(settings) {}
    std::mutex mutex;
    mail::SmtpClient client;
  };
  std::vector<std::unique_ptr<Session>> pool;
};

// Development: a line per message, naming the template and the recipient's domain only (the
// address is personal data, the link a secret).
struct LogSender final : Mail::Sender {
  explicit LogSender(bool drop) : drop(drop) {}
  SmtpOutcome send(const mail::SmtpEnvelope& envelope, std::int64_t outbox_id,
                   const std::string& template_name) override {
    const auto& to = envelope.to.front();
    const auto at = to.rfind('@');
    log_info(drop ? "mail_dropped" : "mail_logged",
             {{"outbox_id", outbox_id},
              {"template", template_name},
              {"to_domain", at == std::string::npos ? "" : to.substr(at + 1)}});
    return {SmtpOutcome::Kind::kSent, drop ? "mail.provider is none" : "logged"};
  }
  bool drop;
};

struct OutboxRow {
  std::string recipient, template_name, language, state;
  std::map<std::string, std::string> params;
};

std::optional<OutboxRow> load(Database& db, std::int64_t id) {
  return db.transact(
      [&](Tx& tx) -> std::optional<OutboxRow> {
        const auto row = tx.query_one(
            "SELECT recipient, template, language, params, state FROM mail_outbox WHERE id = $1",
            {id});
        if (!row) return std::nullopt;
        OutboxRow r{row->text(0), row->text(1), row->text(2), row->text(4), {}};
        const auto params = nlohmann::json::parse(row->text(3));  // outlives the loop
        for (const auto& [k, v] : params.items()) r.params[k] = v.get<std::string>();
        return r;
      },
      TxMode::kRead);
}

// Sent or dead: the params (a link's secret) are forgotten.
void finish(Database& db, std::int64_t id, const std::string& state, int attempts,
            const std::optional<std::string>& error, std::int64_t now) {
  db.transact([&](Tx& tx) {
    tx.exec(
        "UPDATE mail_outbox SET state = $2, params = '{}', attempts = $3, last_error = $4, "
        "sent_at_ms = $5 WHERE id = $1 AND state = 'pending'",
        {id, state, std::int64_t{attempts}, nullable(error),
         state == "sent" ? Param{now} : Param{nullptr}});
  });
}

}  // namespace

Mail::Mail(const Config& config, JobQueue& jobs, const Clock& clock)
    : settings_(mail_settings(config)), jobs_(jobs), clock_(clock) {
  const auto& s = config.section("mail");
  max_attempts_ = s["max_attempts"];
  if (settings_.provider == "smtp") {
    mail::SmtpSettings smtp;
    smtp.url = s["smtp_url"];
    if (smtp.url.empty())
      throw ConfigError("config: mail.provider is smtp but mail.smtp_url is empty");
    if (const auto checked = mail::check_smtp_url(smtp.url); !checked)
      throw ConfigError("config: mail.smtp_url " + checked.error());
    smtp.user = s["smtp_user"];
    // A secret without a default is absent from the section unless given.
    if (s.contains("smtp_password") && s["smtp_password"].is_string())
      smtp.password = s["smtp_password"];
    smtp.ca_file = s["ca_file"];
    smtp.timeout = std::chrono::seconds(s["timeout_s"].get<int>());
    sender_ = std::make_unique<SmtpSender>(smtp, config.jobs().concurrency);
  } else {
    sender_ = std::make_unique<LogSender>(settings_.provider == "none");
  }
}

Mail::~Mail() = default;

std::int64_t Mail::enqueue(Tx& tx, const MailMessage& message) {
  const auto needed = mail::template_params(message.template_name);
  if (!needed) throw std::invalid_argument("no mail template " + message.template_name);
  for (const auto& name : *needed)
    if (!message.params.contains(name))
      throw std::invalid_argument("mail template " + message.template_name + " needs " + name);
  if (message.to.empty() || message.to.find_first_of("\r\n<>") != std::string::npos)
    throw std::invalid_argument("not a mail address");
  const std::string language = message.language == "es" ? "es" : "en";
  const auto row = tx.query_one(
      "INSERT INTO mail_outbox (recipient, template, language, params, created_at_ms) "
      "VALUES ($1, $2, $3, $4, $5) RETURNING id",
      {message.to, message.template_name, language, nlohmann::json(message.params).dump(),
       clock_.now_ms()});
  const std::int64_t id = row->integer(0);
  jobs_.enqueue(tx, {.type = "mail.send",
                     .payload = {{"outbox_id", id}},
                     .idempotency_key = "mail.send:" + std::to_string(id),
                     .max_attempts = max_attempts_});
  return id;
}

nlohmann::json Mail::deliver(JobContext& job) {
  const std::int64_t id = job.payload().at("outbox_id").get<std::int64_t>();
  Database& db = jobs_.database();
  const auto row = load(db, id);
  if (!row) return {{"outbox_id", id}, {"skipped", "no such message"}};
  if (row->state != "pending") return {{"outbox_id", id}, {"skipped", row->state}};
  const auto rendered = mail::render(row->template_name, row->language, row->params);
  const std::string message_id = fmt::format("{}.{}@carehub", id, random_hex(12));
  mail::SmtpEnvelope envelope{
      mail::bare_address(settings_.from),
      {row->recipient},
      mail::compose(settings_.from, row->recipient, rendered, message_id, clock_.now_ms())};
  const auto outcome = sender_->send(envelope, id, row->template_name);
  const int attempt = job.attempt();
  if (outcome.kind == SmtpOutcome::Kind::kSent) {
    finish(db, id, "sent", attempt, std::nullopt, clock_.now_ms());
    return {{"outbox_id", id}, {"sent", true}};
  }
  log_warn("mail_not_sent", {{"outbox_id", id},
                             {"attempt", attempt},
                             {"permanent", outcome.kind == SmtpOutcome::Kind::kPermanent},
                             {"detail", outcome.detail}});
  if (outcome.kind == SmtpOutcome::Kind::kPermanent || attempt >= job.info().max_attempts) {
    finish(db, id, "dead", attempt, outcome.detail, clock_.now_ms());
    throw PermanentJobError("mail not delivered: " + outcome.detail);
  }
  db.transact([&](Tx& tx) {
    tx.exec("UPDATE mail_outbox SET attempts = $2, last_error = $3 WHERE id = $1",
            {id, std::int64_t{attempt}, outcome.detail});
  });
  throw std::runtime_error("mail not delivered yet: " + outcome.detail);
}

}  // namespace carehub
