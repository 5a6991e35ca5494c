// Outgoing email end to end: the real binary, a real SMTP server on loopback (python3-aiosmtpd,
// tests/support/smtp_server.py) with a certificate from a test CA. Forgot-password mails a link
// that resets the password, over STARTTLS with AUTH (SQLite and PostgreSQL) and over smtps://;
// the same answer for a known and an unknown address; English and Spanish; no patient data or
// address in a body; a server that defers then accepts (retries), one that refuses (dead letter,
// the link forgotten), one that does not offer STARTTLS (nothing said in clear).
#include <algorithm>
#include <catch2/catch.hpp>
#include <regex>
#include <thread>

#include "support/signed_in_server.hpp"
#include "support/smtp_test_server.hpp"

using namespace std::chrono_literals;
using namespace carehub::test;

namespace {

const std::string kUser = "mailer";
const std::string kUserPassword = "a mail relay secret";

nlohmann::json mail_config(const TestPki& pki, const SmtpTestServer& smtp, bool auth) {
  nlohmann::json mail = {{"provider", "smtp"},
                         {"smtp_url", smtp.url()},
                         {"ca_file", pki.ca()},
                         {"from", "Clinic <no-reply@clinic.example>"},
                         {"public_url", "https://carehub.clinic.example"},
                         {"timeout_s", 10}};
  if (auth) {
    mail["smtp_user"] = kUser;
    mail["smtp_password"] = kUserPassword;
  }
  return {{"mail", mail},
          {"jobs", {{"poll_interval_ms", 50}, {"backoff_base_ms", 100}, {"backoff_max_ms", 400}}}};
}

struct OutboxRow {
  std::string state, params;
  std::int64_t attempts = 0;
  std::optional<std::string> last_error;
};

std::vector<OutboxRow> outbox(const ServerUnderTest& server) {
  auto db = open_test_database(server.database_url());
  return db->transact(
      [](carehub::Tx& tx) {
        std::vector<OutboxRow> rows;
        for (const auto& r :
             tx.query("SELECT state, params, attempts, last_error FROM mail_outbox ORDER BY id"))
          rows.push_back({r.text(0), r.text(1), r.integer(2), r.opt_text(3)});
        return rows;
      },
      carehub::TxMode::kRead);
}

// The first outbox row's state; empty while there is none.
std::string first_state(const ServerUnderTest& server) {
  const auto rows = outbox(server);
  return rows.empty() ? std::string() : rows[0].state;
}

carehub::test::HttpResponse forgot(HttpClient& http, const std::string& email) {
  return http.post_json("/api/v1/auth/forgot-password", {{"email", email}});
}

std::string link_token(const std::string& body) {
  static const std::regex link(
      R"(https://carehub\.clinic\.example/reset-password#token=([0-9a-f]+))");
  std::smatch m;
  return std::regex_search(body, m, link) ? m[1].str() : std::string();
}

void forgot_password_over_starttls(std::optional<std::string> database_url) {
  TestPki pki;
  pki.issue("localhost");
  SmtpTestServer smtp(pki, {.auth = kUser + ":" + kUserPassword});
  ServerOptions options{.database_url = database_url, .extra = mail_config(pki, smtp, true)};
  auto server = started_server(options);
  auto http = server->client(30s);
  const auto admin = login(http, kAdmin);
  REQUIRE(http.post_json("/api/v1/users",
                         {{"email", "ana.garcia@clinic.example"},
                          {"first_name", "Ana"},
                          {"last_name", "Garcia"},
                          {"roles", {"patient"}},
                          {"password", kPassword}},
                         bearer(admin))
              .status == 201);

  const auto known = forgot(http, "Ana.Garcia@clinic.example");
  const auto unknown = forgot(http, "nobody@clinic.example");
  INFO(known.summary() << "\n" << unknown.summary());
  CHECK(known.status == 202);
  CHECK(unknown.status == 202);
  CHECK(known.body == unknown.body);  // nothing tells the two apart

  const auto got = smtp.wait_for(1);
  INFO("server log:\n" << server->server_stderr() << "\nSMTP server: " << smtp.events());
  REQUIRE(got.size() == 1);
  const auto& m = got[0];
  CHECK(m.envelope["to"] == nlohmann::json::array({"ana.garcia@clinic.example"}));
  CHECK(m.envelope["from"] == "no-reply@clinic.example");
  CHECK(m.envelope["tls"] == true);
  CHECK(m.envelope["login"] == kUser);
  CHECK(m.header("From") == "Clinic <no-reply@clinic.example>");
  CHECK(m.subject() == "Reset your carehub password");
  const auto body = m.body();
  INFO(body);
  // A short text and a link: not the address, not the name.
  CHECK(body.find("ana.garcia") == std::string::npos);
  CHECK(body.find("Ana") == std::string::npos);
  CHECK(body.find("Garcia") == std::string::npos);
  const auto token = link_token(body);
  REQUIRE(!token.empty());

  // Asked again within the minute: the same answer, no second message.
  CHECK(forgot(http, "ana.garcia@clinic.example").status == 202);
  std::this_thread::sleep_for(1500ms);
  CHECK(smtp.messages().size() == 1);

  // The link sets a new password, once.
  const auto reset = http.post_json("/api/v1/auth/reset-password",
                                    {{"token", token}, {"password", "a new long passphrase"}});
  INFO(reset.summary());
  CHECK(reset.status == 204);
  CHECK(http.post_json("/api/v1/auth/login", {{"email", "ana.garcia@clinic.example"},
                                              {"password", "a new long passphrase"}})
            .status == 200);
  CHECK(http.post_json("/api/v1/auth/reset-password",
                       {{"token", token}, {"password", "yet another passphrase"}})
            .status == 400);

  // The outbox keeps that it was sent, not the link.
  const auto rows = outbox(*server);
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].state == "sent");
  CHECK(rows[0].params == "{}");
  CHECK(rows[0].attempts == 1);
}

}  // namespace

TEST_CASE("mail: forgot-password over STARTTLS with AUTH, on SQLite", "[e2e][mail]") {
  forgot_password_over_starttls(std::nullopt);
}

TEST_CASE("mail: forgot-password over STARTTLS with AUTH, on PostgreSQL", "[e2e][mail]") {
  TestDatabase pg(carehub::Backend::kPostgres);
  forgot_password_over_starttls(pg.url());
}

TEST_CASE("mail: smtps:// delivers in the recipient's language (Spanish)", "[e2e][mail]") {
  TestPki pki;
  pki.issue("localhost");
  SmtpTestServer smtp(pki, {.implicit_tls = true});
  auto server = started_server({.extra = mail_config(pki, smtp, false)});
  auto http = server->client(30s);
  const auto admin = login(http, kAdmin);
  REQUIRE(http.post_json("/api/v1/users",
                         {{"email", "lucia@clinic.example"},
                          {"language", "es"},
                          {"roles", {"physician"}},
                          {"password", kPassword}},
                         bearer(admin))
              .status == 201);
  REQUIRE(forgot(http, "lucia@clinic.example").status == 202);
  const auto got = smtp.wait_for(1);
  REQUIRE(got.size() == 1);
  CHECK(got[0].envelope["tls"] == true);
  CHECK(got[0].subject() == "Restablezca su contraseña de carehub");
  const auto body = got[0].body();
  INFO(body);
  CHECK(body.find("abra este enlace") != std::string::npos);
  CHECK(!link_token(body).empty());
}

// No ';' in a test's name: CTest splits names there (tests/CMakeLists.txt).
TEST_CASE("mail: a deferring server is retried, a refusing one sends the message to dead letter",
          "[e2e][mail]") {
  TestPki pki;
  pki.issue("localhost");
  {
    INFO("451 twice, then accepted");
    SmtpTestServer smtp(pki, {.defer = 2});
    auto server = started_server({.extra = mail_config(pki, smtp, false)});
    auto http = server->client(30s);
    REQUIRE(forgot(http, kAdmin).status == 202);
    const auto got = smtp.wait_for(1);
    REQUIRE(got.size() == 1);
    CHECK(!link_token(got[0].body()).empty());
    CHECK(smtp.events() == "deferred\ndeferred\n");
    REQUIRE(eventually([&] { return first_state(*server) == "sent"; }, 5s));
    const auto rows = outbox(*server);
    CHECK(rows[0].attempts == 3);
    CHECK(rows[0].params == "{}");
  }
  {
    INFO("550: dead at once, the link forgotten");
    SmtpTestServer smtp(pki, {.reject = true});
    auto server = started_server({.extra = mail_config(pki, smtp, false)});
    auto http = server->client(30s);
    REQUIRE(forgot(http, kAdmin).status == 202);
    REQUIRE(eventually([&] { return first_state(*server) == "dead"; }, 15s));
    const auto rows = outbox(*server);
    CHECK(rows[0].attempts == 1);
    CHECK(rows[0].params == "{}");
    REQUIRE(rows[0].last_error);
    CHECK(rows[0].last_error->find("550") != std::string::npos);
    CHECK(smtp.messages().empty());
    const auto admin = login(http, kAdmin);
    const auto jobs = http.get("/api/v1/jobs?type=mail.send&state=dead", bearer(admin));
    INFO(jobs.summary());
    CHECK(jobs.json()["jobs"].size() == 1);
  }
  {
    INFO("no STARTTLS offered: nothing is said in clear");
    SmtpTestServer smtp(pki, {.no_starttls = true});
    auto server = started_server({.extra = mail_config(pki, smtp, false)});
    auto http = server->client(30s);
    REQUIRE(forgot(http, kAdmin).status == 202);
    REQUIRE(eventually([&] { return first_state(*server) == "dead"; }, 15s));
    const auto rows = outbox(*server);
    REQUIRE(rows[0].last_error);
    CHECK(rows[0].last_error->find("does not offer STARTTLS") != std::string::npos);
    CHECK(smtp.messages().empty());
  }
}

TEST_CASE("mail: a self-registered patient signs in only after confirming the emailed link",
          "[e2e][mail]") {
  TestPki pki;
  pki.issue("localhost");
  SmtpTestServer smtp(pki);
  auto config = mail_config(pki, smtp, false);
  config["auth"] = {{"registration_roles", {"patient"}}, {"verify_email", true}};
  auto server = started_server({.extra = config});
  auto http = server->client(30s);
  const nlohmann::json credentials = {{"email", "pat@clinic.example"}, {"password", kPassword}};
  auto registered = http.post_json("/api/v1/auth/register", {{"email", "pat@clinic.example"},
                                                             {"password", kPassword},
                                                             {"first_name", "Pat"},
                                                             {"language", "es"},
                                                             {"roles", {"patient"}}});
  INFO(registered.summary());
  REQUIRE(registered.status == 201);
  CHECK(registered.json()["email_verification"] == "pending");

  auto refused = http.post_json("/api/v1/auth/login", credentials);
  CHECK(refused.status == 403);
  CHECK(refused.body.find("confirm your email address first") != std::string::npos);
  // A wrong password is told only what any wrong password is told.
  auto wrong = http.post_json("/api/v1/auth/login",
                              {{"email", "pat@clinic.example"}, {"password", "not the password"}});
  CHECK(wrong.status == 401);

  const auto got = smtp.wait_for(1);
  REQUIRE(got.size() == 1);
  CHECK(got[0].subject() == "Confirme su dirección de correo en carehub");
  const auto body = got[0].body();
  INFO(body);
  CHECK(body.find("Pat") == std::string::npos);
  static const std::regex link(
      R"(https://carehub\.clinic\.example/verify-email#token=([0-9a-f]+))");
  std::smatch m;
  REQUIRE(std::regex_search(body, m, link));
  const std::string token = m[1].str();

  // A resend within the minute sends nothing; an unknown address is answered the same.
  const auto resend =
      http.post_json("/api/v1/auth/verify-email/resend", {{"email", "pat@clinic.example"}});
  const auto stranger =
      http.post_json("/api/v1/auth/verify-email/resend", {{"email", "x@clinic.example"}});
  CHECK(resend.status == 202);
  CHECK(resend.body == stranger.body);

  CHECK(http.post_json("/api/v1/auth/verify-email", {{"token", "0123abcd"}}).status == 400);
  CHECK(http.post_json("/api/v1/auth/verify-email", {{"token", token}}).status == 204);
  CHECK(http.post_json("/api/v1/auth/verify-email", {{"token", token}}).status == 400);  // once
  CHECK(http.post_json("/api/v1/auth/login", credentials).status == 200);
  std::this_thread::sleep_for(1s);
  CHECK(smtp.messages().size() == 1);
}

TEST_CASE("mail: a malformed forgot-password request is refused, provider log sends nothing",
          "[e2e][mail]") {
  auto server = started_server({.extra = {{"jobs", {{"poll_interval_ms", 50}}}}});
  auto http = server->client(30s);
  CHECK(http.post_json("/api/v1/auth/forgot-password", {{"mail", kAdmin}}).status == 422);
  CHECK(http.post_json("/api/v1/auth/forgot-password", {{"email", 42}}).status == 422);
  REQUIRE(forgot(http, kAdmin).status == 202);
  REQUIRE(eventually([&] { return first_state(*server) == "sent"; }, 10s));
  // The log names the template and the domain, never the address or the link.
  REQUIRE(eventually(
      [&] { return server->server_stderr().find("mail_logged") != std::string::npos; }, 5s));
  const auto log = server->server_stderr();
  CHECK(log.find("clinic.example") != std::string::npos);
  CHECK(log.find(kAdmin) == std::string::npos);
  CHECK(log.find("reset-password#token") == std::string::npos);

  // `carehub mail-test` queues test messages for the running workers.
  const auto queued = server->cli({"mail-test", "--to", "ops@clinic.example", "--count", "3"});
  INFO(describe(queued));
  CHECK(queued.exit_code == 0);
  CHECK(queued.out.find("queued 3 test message(s)") != std::string::npos);
  CHECK(eventually(
      [&] {
        const auto rows = outbox(*server);
        return rows.size() == 4 && std::all_of(rows.begin(), rows.end(),
                                               [](const auto& r) { return r.state == "sent"; });
      },
      10s));
  CHECK(server->cli({"mail-test", "--count", "3"}).exit_code != 0);  // --to is required
}
