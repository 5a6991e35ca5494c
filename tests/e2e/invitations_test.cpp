// Sharing a case with an address that has no account, end to end: the real binary mails an
// invitation (to a real SMTP server on loopback, python3-aiosmtpd) instead of answering 404; the
// share waits, "invited"; registering through the emailed link makes a physician account that
// signs in at once (the link proved the address, even with auth.verify_email on), and the share
// becomes that physician's invitation to accept. A link works once, for its own address; a
// revoked share is not given to whoever registers later; a patient who confirms the address is
// given nothing. On SQLite and PostgreSQL.
#include <catch2/catch.hpp>
#include <regex>

#include "support/signed_in_server.hpp"
#include "support/smtp_test_server.hpp"

using namespace std::chrono_literals;
using namespace carehub::test;

namespace {

nlohmann::json invitation_config(const TestPki& pki, const SmtpTestServer& smtp) {
  return {{"mail",
           {{"provider", "smtp"},
            {"smtp_url", smtp.url()},
            {"ca_file", pki.ca()},
            {"from", "Clinic <no-reply@clinic.example>"},
            {"public_url", "https://carehub.clinic.example"},
            {"timeout_s", 10}}},
          {"auth", {{"registration_roles", {"patient"}}, {"verify_email", true}}},
          {"jobs", {{"poll_interval_ms", 50}}}};
}

std::string invitation_token(const std::string& body) {
  static const std::regex link(R"(https://carehub\.clinic\.example/register#token=([0-9a-f]+))");
  std::smatch m;
  return std::regex_search(body, m, link) ? m[1].str() : std::string();
}

// The owner's view of a case's shares, by recipient address.
nlohmann::json share_to(HttpClient& http, const std::string& token, const std::string& case_id,
                        const std::string& email) {
  const auto list = http.get("/api/v1/cases/" + case_id + "/shares", bearer(token));
  REQUIRE(list.status == 200);
  const auto all = list.json();
  for (const auto& s : all["shares"]) {
    if (s.contains("recipient_email") && s["recipient_email"] == email) return s;
  }
  return nullptr;
}

void invited_physician_joins(std::optional<std::string> database_url) {
  TestPki pki;
  pki.issue("localhost");
  SmtpTestServer smtp(pki);
  auto server =
      started_server({.database_url = database_url, .extra = invitation_config(pki, smtp)});
  auto http = server->client(30s);
  const auto admin = login(http, kAdmin);
  add_user(http, admin, "pat@clinic.example", {"patient"});
  const auto pat = login(http, "pat@clinic.example");
  auto created =
      http.post_json("/api/v1/cases", {{"patient", {{"name", "Lucia Moreno"}}}}, bearer(pat));
  REQUIRE(created.status == 201);
  const std::string case_id = created.json()["id"];

  // An address SMTP cannot carry (a CR LF would start a command of its own) is refused, and
  // nothing is stored or mailed.
  auto injected =
      http.post_json("/api/v1/cases/" + case_id + "/shares",
                     {{"email", "dr@clinic.example\r\nRCPT TO:<x@evil.example>"}}, bearer(pat));
  CHECK(injected.status == 422);
  CHECK(injected.body.find("name@domain") != std::string::npos);

  // No account has this address: the share waits and an invitation is mailed.
  auto shared = http.post_json("/api/v1/cases/" + case_id + "/shares",
                               {{"email", "Dr.Nueva@Clinic.example"}}, bearer(pat));
  INFO(shared.summary());
  REQUIRE(shared.status == 201);
  CHECK(shared.json()["status"] == "invited");
  CHECK(http.get("/api/v1/cases/" + case_id, bearer(pat)).json()["status"] == "pending_shared");
  auto waiting = share_to(http, pat, case_id, "dr.nueva@clinic.example");
  REQUIRE(waiting.is_object());
  CHECK(waiting["status"] == "invited");
  // The same address again is the same share.
  CHECK(http.post_json("/api/v1/cases/" + case_id + "/shares",
                       {{"email", "dr.nueva@clinic.example"}}, bearer(pat))
            .status == 409);

  const auto got = smtp.wait_for(1);
  INFO("server log:\n" << server->server_stderr());
  REQUIRE(got.size() == 1);
  CHECK(got[0].envelope["to"] == nlohmann::json::array({"dr.nueva@clinic.example"}));
  CHECK(got[0].subject() == "You have been invited to carehub");
  const auto body = got[0].body();
  INFO(body);
  CHECK(body.find("Lucia") == std::string::npos);  // no patient data in a mail
  CHECK(body.find("Moreno") == std::string::npos);
  CHECK(body.find("pat@") == std::string::npos);
  const auto token = invitation_token(body);
  REQUIRE(!token.empty());

  // A wrong token, or the right one with another address, makes no account and spends nothing.
  const nlohmann::json doctor = {{"email", "dr.nueva@clinic.example"}, {"password", kPassword}};
  CHECK(http.post_json("/api/v1/auth/register",
                       {{"invitation", std::string(64, 'a')}, {"password", kPassword}})
            .status == 400);
  auto other = http.post_json(
      "/api/v1/auth/register",
      {{"invitation", token}, {"email", "someone@else.example"}, {"password", kPassword}});
  CHECK(other.status == 400);
  CHECK(other.body.find("another address") != std::string::npos);
  CHECK(http.post_json("/api/v1/auth/login", doctor).status == 401);
  // Nor does a password too short.
  CHECK(http.post_json("/api/v1/auth/register", {{"invitation", token}, {"password", "short"}})
            .status == 422);

  // The link makes a physician (registration_roles has only patient), signed in at once.
  auto registered = http.post_json("/api/v1/auth/register", {{"invitation", token},
                                                             {"password", kPassword},
                                                             {"first_name", "Nueva"},
                                                             {"language", "es"}});
  INFO(registered.summary());
  REQUIRE(registered.status == 201);
  CHECK(registered.json()["email"] == "dr.nueva@clinic.example");
  CHECK(registered.json()["roles"] == nlohmann::json::array({"physician"}));
  CHECK(!registered.json().contains("email_verification"));
  CHECK(http.post_json("/api/v1/auth/register", {{"invitation", token}, {"password", kPassword}})
            .status == 400);  // once
  const auto doc = login(http, "dr.nueva@clinic.example");

  // The waiting share is now the physician's invitation; accepted, the case is theirs to read.
  auto mine = http.get("/api/v1/cases/shares", bearer(doc));
  REQUIRE(mine.status == 200);
  REQUIRE(mine.json()["shares"].size() == 1);
  const auto invitation = mine.json()["shares"][0];
  CHECK(invitation["status"] == "pending");
  CHECK(invitation["case_id"] == case_id);
  CHECK(share_to(http, pat, case_id, "dr.nueva@clinic.example")["status"] == "pending");
  CHECK(http.get("/api/v1/cases/" + case_id, bearer(doc)).status == 404);
  const std::string share_id = invitation["id"];
  CHECK(http.post_json("/api/v1/cases/shares/" + share_id + "/accept", nlohmann::json::object(),
                       bearer(doc))
            .status == 200);
  auto read = http.get("/api/v1/cases/" + case_id, bearer(doc));
  CHECK(read.status == 200);
  CHECK(read.json()["role"] == "recipient");
  CHECK(http.get("/api/v1/cases/" + case_id, bearer(pat)).json()["status"] == "shared");
}

}  // namespace

TEST_CASE(
    "invitations: a case shared with an unknown address waits for the invited physician "
    "on SQLite",
    "[e2e][cases][mail]") {
  invited_physician_joins(std::nullopt);
}

TEST_CASE(
    "invitations: a case shared with an unknown address waits for the invited physician "
    "on PostgreSQL",
    "[e2e][cases][mail]") {
  TestDatabase pg(carehub::Backend::kPostgres);
  invited_physician_joins(pg.url());
}

TEST_CASE(
    "invitations: a revoked share is given to nobody and a patient confirming the address "
    "gets nothing",
    "[e2e][cases][mail]") {
  TestPki pki;
  pki.issue("localhost");
  SmtpTestServer smtp(pki);
  auto server = started_server({.extra = invitation_config(pki, smtp)});
  auto http = server->client(30s);
  const auto admin = login(http, kAdmin);
  add_user(http, admin, "pat@clinic.example", {"patient"});
  const auto pat = login(http, "pat@clinic.example");
  const std::string case_id =
      http.post_json("/api/v1/cases", {{"patient", {{"name", "Ana"}}}}, bearer(pat)).json()["id"];
  const std::string base = "/api/v1/cases/" + case_id;

  // Invited, then revoked before the physician registers: they register, but get no share.
  auto first = http.post_json(base + "/shares", {{"email", "dr.late@clinic.example"}}, bearer(pat));
  REQUIRE(first.status == 201);
  const std::string first_id = first.json()["id"];
  CHECK(http.request("DELETE", base + "/shares/" + first_id, bearer(pat)).status == 204);
  CHECK(http.get(base, bearer(pat)).json()["status"] == "stop_shared");
  auto mails = smtp.wait_for(1);
  REQUIRE(mails.size() == 1);
  const auto late_token = invitation_token(mails[0].body());
  REQUIRE(!late_token.empty());
  REQUIRE(
      http.post_json("/api/v1/auth/register", {{"invitation", late_token}, {"password", kPassword}})
          .status == 201);
  const auto late = login(http, "dr.late@clinic.example");
  CHECK(http.get("/api/v1/cases/shares", bearer(late)).json()["shares"].empty());
  CHECK(share_to(http, pat, case_id, "dr.late@clinic.example")["status"] == "revoked");

  // An address that self-registers as a patient and confirms it is not given a physician's
  // share: it keeps waiting.
  REQUIRE(
      http.post_json(base + "/shares", {{"email", "pat2@clinic.example"}}, bearer(pat)).status ==
      201);
  REQUIRE(http.post_json("/api/v1/auth/register", {{"email", "pat2@clinic.example"},
                                                   {"password", kPassword},
                                                   {"roles", {"patient"}}})
              .status == 201);
  mails = smtp.wait_for(3);
  REQUIRE(mails.size() == 3);
  std::string verify;
  static const std::regex link(R"(/verify-email#token=([0-9a-f]+))");
  for (const auto& m : mails) {
    std::smatch found;
    const auto body = m.body();
    if (std::regex_search(body, found, link)) verify = found[1].str();
  }
  REQUIRE(!verify.empty());
  CHECK(http.post_json("/api/v1/auth/verify-email", {{"token", verify}}).status == 204);
  const auto pat2 = login(http, "pat2@clinic.example");
  CHECK(http.get("/api/v1/cases/shares", bearer(pat2)).json()["shares"].empty());
  CHECK(share_to(http, pat, case_id, "pat2@clinic.example")["status"] == "invited");
}
