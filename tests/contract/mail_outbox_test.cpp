// The mail outbox against a real database (SQLite and PostgreSQL): a message is written with the
// change that causes it and never without it; its job is written with it; templates refuse what
// they do not know. Delivery itself is tested end to end against a real SMTP server
// (tests/e2e/mail_test.cpp).
#include <catch2/catch.hpp>

#include "carehub/mail.hpp"
#include "contract/jobs_support.hpp"

using namespace carehub;
using namespace carehub::test;

namespace {

Config mail_config() {
  static ConfigSchema schema = [] {
    ConfigSchema s;
    add_core_config_schema(s);
    return s;
  }();
  return Config::load(schema, std::nullopt,
                      {{"CAREHUB_MAIL__PUBLIC_URL", "https://carehub.clinic.example/"}});
}

MailMessage reset_message() {
  MailMessage m;
  m.to = "ana@clinic.example";
  m.template_name = "password_reset";
  m.language = "es";
  m.params["link"] = "https://carehub.clinic.example/reset-password#token=abc";
  return m;
}

}  // namespace

TEST_CASE("mail: the outbox row and its job commit with their cause, and roll back with it",
          "[contract][mail]") {
  const Backend backend = GENERATE(Backend::kSqlite, Backend::kPostgres);
  INFO("backend: " << backend_name(backend));
  JobsFixture f(backend);
  const auto config = mail_config();
  Mail mail(config, f.queue, f.clock);
  CHECK(mail.public_url() == "https://carehub.clinic.example");

  f.db().transact([&](Tx& tx) { tx.exec("CREATE TABLE cause (n INTEGER)"); });
  CHECK_THROWS_AS(f.db().transact([&](Tx& tx) {
    tx.exec("INSERT INTO cause (n) VALUES (1)");
    mail.enqueue(tx, reset_message());
    throw std::runtime_error("the change fails after the mail was written");
  }),
                  std::runtime_error);
  CHECK(count_rows(f.db(), "cause") == 0);
  CHECK(count_rows(f.db(), "mail_outbox") == 0);
  CHECK(count_rows(f.db(), "jobs") == 0);

  const auto id = f.db().transact([&](Tx& tx) {
    tx.exec("INSERT INTO cause (n) VALUES (2)");
    return mail.enqueue(tx, reset_message());
  });
  CHECK(count_rows(f.db(), "cause") == 1);
  const auto row = f.db().transact(
      [&](Tx& tx) {
        return tx.query_one(
            "SELECT recipient, template, language, state, attempts FROM mail_outbox WHERE id = $1",
            {id});
      },
      TxMode::kRead);
  REQUIRE(row);
  CHECK(row->text(0) == "ana@clinic.example");
  CHECK(row->text(1) == "password_reset");
  CHECK(row->text(2) == "es");
  CHECK(row->text(3) == "pending");
  CHECK(row->integer(4) == 0);
  const auto jobs = f.queue.list({.type = "mail.send"});
  REQUIRE(jobs.jobs.size() == 1);
  CHECK(jobs.jobs[0].payload == nlohmann::json{{"outbox_id", id}});
}

TEST_CASE("mail: an unknown template, a missing link or a header break is refused",
          "[contract][mail]") {
  JobsFixture f(Backend::kSqlite);
  const auto config = mail_config();
  Mail mail(config, f.queue, f.clock);
  auto unknown = reset_message();
  unknown.template_name = "newsletter";
  auto no_link = reset_message();
  no_link.params.clear();
  auto injected = reset_message();
  injected.to = "ana@clinic.example\r\nBcc: everyone@example.org";
  for (const auto* m : {&unknown, &no_link, &injected}) {
    CHECK_THROWS_AS(f.db().transact([&](Tx& tx) { mail.enqueue(tx, *m); }), std::invalid_argument);
  }
  CHECK(count_rows(f.db(), "mail_outbox") == 0);
  CHECK(count_rows(f.db(), "jobs") == 0);
}
