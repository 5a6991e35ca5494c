// The notification centre's email channel, end to end against a real SMTP server on loopback
// (python3-aiosmtpd): off by default; turned on per type, a notification of that type mails its
// person a short note in their language with a link to the centre, never the notification's title
// or body; other types mail nothing; a preference written without `email` (an older client) keeps
// it as it was. On SQLite and PostgreSQL.
#include <catch2/catch.hpp>
#include <thread>

#include "support/signed_in_server.hpp"
#include "support/smtp_test_server.hpp"

using namespace carehub::test;
using namespace std::chrono_literals;

namespace {

void notes_by_email(std::optional<std::string> database_url) {
  TestPki pki;
  pki.issue("localhost");
  SmtpTestServer smtp(pki);
  auto server = started_server({.database_url = database_url,
                                .extra = {{"mail",
                                           {{"provider", "smtp"},
                                            {"smtp_url", smtp.url()},
                                            {"ca_file", pki.ca()},
                                            {"from", "Clinic <no-reply@clinic.example>"},
                                            {"public_url", "https://carehub.clinic.example"}}},
                                          {"jobs", {{"poll_interval_ms", 50}}}}});
  auto http = server->client(30s);
  const auto admin = login(http, kAdmin);
  auto made = http.post_json("/api/v1/users",
                             {{"email", "alicia@clinic.example"},
                              {"roles", {"patient"}},
                              {"language", "es"},
                              {"password", kPassword}},
                             bearer(admin));
  REQUIRE(made.status == 201);
  const std::string alicia_id = made.json()["id"];
  const auto alicia = login(http, "alicia@clinic.example");
  const auto publish = [&](const std::string& type) {
    auto r = http.post_json("/api/v1/diag/notify", {{"user_id", std::stoll(alicia_id)},
                                                    {"type", type},
                                                    {"title", "Dr House shared case 17 with you"},
                                                    {"body", "Diagnosis: lupus"}});
    REQUIRE(r.status == 201);
  };

  // Off by default: the notification is in the inbox, no mail.
  auto prefs = http.get("/api/v1/notifications/preferences", bearer(alicia));
  REQUIRE(prefs.status == 200);
  CHECK(prefs.json()["default"]["email"] == false);
  publish("cases.invitation");
  std::this_thread::sleep_for(1s);
  CHECK(smtp.messages().empty());

  // A wrong type for the flag is refused and changes nothing.
  CHECK(http.put_json("/api/v1/notifications/preferences/cases.invitation",
                      {{"in_app", true}, {"push", false}, {"email", "yes"}}, bearer(alicia))
            .status == 422);
  auto on = http.put_json("/api/v1/notifications/preferences/cases.invitation",
                          {{"in_app", true}, {"push", false}, {"email", true}}, bearer(alicia));
  REQUIRE(on.status == 200);
  CHECK(on.json()["email"] == true);
  // An older client's write (no email) leaves it on.
  auto older = http.put_json("/api/v1/notifications/preferences/cases.invitation",
                             {{"in_app", true}, {"push", true}}, bearer(alicia));
  REQUIRE(older.status == 200);
  CHECK(older.json()["email"] == true);
  const auto listed = http.get("/api/v1/notifications/preferences", bearer(alicia)).json();
  REQUIRE(listed["preferences"].size() == 1);
  CHECK(listed["preferences"][0]["email"] == true);

  publish("cases.invitation");
  publish("cases.document");  // email not on for this type
  const auto got = smtp.wait_for(1);
  INFO("server log:\n" << server->server_stderr());
  REQUIRE(got.size() == 1);
  CHECK(got[0].envelope["to"] == nlohmann::json::array({"alicia@clinic.example"}));
  CHECK(got[0].subject() == "Tiene una notificación nueva en carehub");
  const auto body = got[0].body();
  INFO(body);
  CHECK(body.find("https://carehub.clinic.example/notifications") != std::string::npos);
  for (const char* secret : {"House", "lupus", "17", "Diagnosis"})
    CHECK(body.find(secret) == std::string::npos);
  std::this_thread::sleep_for(1s);
  CHECK(smtp.messages().size() == 1);
  // Every notification is in the inbox whatever the email channel did.
  CHECK(http.get("/api/v1/notifications", bearer(alicia)).json()["notifications"].size() == 3);
}

}  // namespace

TEST_CASE("notify: the email channel mails a note without content on SQLite", "[e2e][notify]") {
  notes_by_email(std::nullopt);
}

TEST_CASE("notify: the email channel mails a note without content on PostgreSQL", "[e2e][notify]") {
  TestDatabase pg(carehub::Backend::kPostgres);
  notes_by_email(pg.url());
}
