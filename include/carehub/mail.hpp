// Outgoing email. A change that causes mail writes it to the outbox inside its own unit of work
// (Mail::enqueue), so a message exists exactly when its cause committed, never without it; the
// mail.send job delivers it after the commit, with the job queue's retries, backoff and dead
// letter. Messages are made from templates in the recipient's language (EN, ES) and carry a short
// text and a link, never patient data. mail.provider "log" writes a line per message instead
// (for development, as push has), "smtp" delivers through mail.smtp_url.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>

#include "carehub/clock.hpp"
#include "carehub/config.hpp"
#include "carehub/db.hpp"
#include "carehub/jobs.hpp"

namespace carehub {

struct MailMessage {
  std::string to;                             // one address
  std::string template_name;                  // password_reset, verify_email, case_invitation
  std::string language;                       // en or es; anything else is sent in English
  std::map<std::string, std::string> params;  // what the template names: a link, never PHI
};

struct MailSettings {
  std::string provider;    // smtp, log or none
  std::string from;        // the From header: "carehub <no-reply@clinic.example>"
  std::string public_url;  // where links point: the console as people reach it
};

// The mail section of the core's configuration (add_core_config_schema declares it).
MailSettings mail_settings(const Config& config);

class Mail {
 public:
  Mail(const Config& config, JobQueue& jobs, const Clock& clock);
  ~Mail();
  // Inside the caller's unit of work; returns the outbox id. Throws std::invalid_argument for an
  // unknown template or a missing parameter (a programming error, caught by the tests).
  std::int64_t enqueue(Tx& tx, const MailMessage& message);
  // The console's address, for links: mail.public_url, else http://host:port of the server.
  const std::string& public_url() const { return settings_.public_url; }
  // The mail.send job's handler (registered by the runtime).
  nlohmann::json deliver(JobContext& job);

 public:
  struct Sender;  // defined in outbox.cpp

 private:
  MailSettings settings_;
  JobQueue& jobs_;
  const Clock& clock_;
  int max_attempts_ = 10;
  std::unique_ptr<Sender> sender_;
};

}  // namespace carehub
