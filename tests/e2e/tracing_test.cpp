// Contact tracing end to end against the real binary: users register themselves, a health-security
// id makes one of them medical, a medical code moves a user to Infected with the meetings their
// phone recorded, and the contacts' states change and their alerts arrive over WebSocket; codes
// and ids are single use under races; expired and reused codes; jobs re-run change nothing; the
// retention purge. On SQLite and PostgreSQL.
#include <catch2/catch.hpp>
#include <future>
#include <thread>

#include "support/signed_in_server.hpp"
#include "support/ws_client.hpp"

using namespace carehub::test;
using namespace std::chrono_literals;

namespace {

const std::string kAppPassword = "app user passphrase 1";

struct AppUser {
  std::int64_t id = 0;
  std::string name, token, refresh;
};

AppUser sign_up(HttpClient& http, const std::string& name) {
  auto r = http.post_json("/api/v1/auth/register",
                          {{"username", name}, {"password", kAppPassword}, {"role", "user"}});
  REQUIRE(r.status == 201);
  AppUser u;
  u.id = std::stoll(r.json()["id"].get<std::string>());
  u.name = name;
  auto s = http.post_json("/api/v1/auth/login", {{"username", name}, {"password", kAppPassword}});
  REQUIRE(s.status == 200);
  u.token = s.json()["access_token"];
  u.refresh = s.json()["refresh_token"];
  return u;
}

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

nlohmann::json profile(HttpClient& http, const AppUser& u) {
  auto r = http.get("/api/v1/tracing/profile", bearer(u.token));
  REQUIRE(r.status == 200);
  return r.json();
}

std::string error_message(const HttpResponse& r) {
  return r.json()["error"]["message"];
}

std::int64_t count(carehub::Database& db, const std::string& sql, const carehub::Params& p = {}) {
  return db.transact([&](carehub::Tx& tx) { return tx.query_one(sql, p)->integer(0); },
                     carehub::TxMode::kRead);
}

void run_tracing_flow(ServerOptions options) {
  options.extra.merge_patch({{"auth", {{"registration_roles", {"user"}}}},
                             {"jobs", {{"poll_interval_ms", 50}}},
                             {"tracing", {{"exposure_batch", 2}}}});
  auto server = started_server(std::move(options));
  auto http = server->client();
  auto db = open_test_database(server->database_url());
  const auto admin = login(http, kAdmin);

  // A medical account the admin made creates a code first thing: the server key is made on that
  // first use (outside the code's own transaction).
  add_user(http, admin, "doctor@clinic.example", {"user", "medical"});
  auto first_code = http.post_json("/api/v1/tracing/status-changes",
                                   {{"status_id", 2}, {"status_changed_on", now_ms()}},
                                   bearer(login(http, "doctor@clinic.example")));
  CHECK(first_code.status == 201);

  // Self-registration as role user, no email; a profile with a broadcast token and the states.
  auto alice = sign_up(http, "alice");
  auto bob = sign_up(http, "bob");
  auto carol = sign_up(http, "carol");
  auto dave = sign_up(http, "dave");
  auto erin = sign_up(http, "erin");
  auto mallory = sign_up(http, "mallory");
  auto trent = sign_up(http, "trent");
  const auto p = profile(http, alice);
  CHECK(p["status_id"] == 1);
  CHECK(p["username"] == "alice");
  CHECK(p["roles"] == nlohmann::json{"user"});
  CHECK(p["statuses"].size() == 4);
  CHECK(p["statuses"][2] ==
        nlohmann::json{
            {"id", 3}, {"name", "Infected"}, {"severity", 2}, {"contact_discovery", true}});
  const std::string bob_static = profile(http, bob)["broadcast_token"];
  CHECK(bob_static.size() == 32);
  CHECK(profile(http, bob)["broadcast_token"] == bob_static);  // static: the same every time
  // Rotating tokens: one per day, different from each other and from the static one.
  auto carol_tokens = http.get("/api/v1/tracing/tokens?days=3", bearer(carol.token));
  REQUIRE(carol_tokens.status == 200);
  const auto ct = carol_tokens.json()["tokens"];
  REQUIRE(ct.size() == 3);
  CHECK(ct[0]["token"] != ct[1]["token"]);
  CHECK(ct[0]["token"] != carol_tokens.json()["static_token"]);
  CHECK(http.get("/api/v1/tracing/tokens?days=99", bearer(carol.token)).status == 400);
  const std::string dave_static = profile(http, dave)["broadcast_token"];
  const std::string erin_static = profile(http, erin)["broadcast_token"];
  const std::string alice_static = profile(http, alice)["broadcast_token"];
  profile(http, trent);

  // Health-security ids: admin only; single use; two racing redemptions, one winner.
  CHECK(http.post_json("/api/v1/tracing/health-security-ids", {{"count", 2}}, bearer(bob.token))
            .status == 403);
  CHECK(
      http.post_json("/api/v1/tracing/health-security-ids", {{"count", 0}}, bearer(admin)).status ==
      422);
  auto ids = http.post_json("/api/v1/tracing/health-security-ids", {{"count", 2}, {"length", 12}},
                            bearer(admin));
  REQUIRE(ids.status == 201);
  const std::string id0 = ids.json()["health_security_ids"][0];
  const std::string id1 = ids.json()["health_security_ids"][1];
  CHECK(id0.size() == 12);
  CHECK(id0.find_first_of("01OIL8B") == std::string::npos);
  // Stored hashed: the plain id is nowhere in the table.
  CHECK(count(*db, "SELECT COUNT(*) FROM tracing_health_ids WHERE id_hash = $1", {id0}) == 0);
  auto reg = http.post_json("/api/v1/tracing/medical/register", {{"health_security_id", id0}},
                            bearer(mallory.token));
  REQUIRE(reg.status == 200);
  CHECK(reg.json()["roles"] == nlohmann::json{"user", "medical"});
  // The old access token does not carry the role (and is revoked, unless it was issued in the
  // same second as the change: revocation has whole-second resolution); a refresh carries it.
  const auto old_token =
      http.post_json("/api/v1/tracing/status-changes",
                     {{"status_id", 3}, {"status_changed_on", now_ms()}}, bearer(mallory.token));
  CHECK((old_token.status == 401 || old_token.status == 403));
  auto refreshed = http.post_json("/api/v1/auth/refresh", {{"refresh_token", mallory.refresh}});
  REQUIRE(refreshed.status == 200);
  mallory.token = refreshed.json()["access_token"];
  auto reused = http.post_json("/api/v1/tracing/medical/register", {{"health_security_id", id0}},
                               bearer(trent.token));
  CHECK(reused.status == 404);
  CHECK(error_message(reused) == "health-security id not found or already used");
  {
    auto race = [&](const AppUser& u) {
      auto c = server->client();
      return c
          .post_json("/api/v1/tracing/medical/register", {{"health_security_id", id1}},
                     bearer(u.token))
          .status;
    };
    auto a = std::async(std::launch::async, race, trent);
    auto b = std::async(std::launch::async, race, dave);
    const int sa = a.get(), sb = b.get();
    INFO(sa << " " << sb);
    CHECK(((sa == 200 && sb == 404) || (sa == 404 && sb == 200)));
    CHECK(count(*db, "SELECT COUNT(*) FROM tracing_health_ids WHERE redeemed_by IS NOT NULL") == 2);
  }
  // Tokens of dave / trent may have been revoked by the race's winner: sign both in again.
  for (auto* u : {&trent, &dave}) {
    auto s =
        http.post_json("/api/v1/auth/login", {{"username", u->name}, {"password", kAppPassword}});
    REQUIRE(s.status == 200);
    u->token = s.json()["access_token"];
  }

  // Status-change codes: medical only; validated; unambiguous alphabet; stored keyed-hashed.
  const auto today = now_ms();
  CHECK(http.post_json("/api/v1/tracing/status-changes",
                       {{"status_id", 3}, {"status_changed_on", "2026-01-01"}}, bearer(bob.token))
            .status == 403);
  CHECK(http.post_json("/api/v1/tracing/status-changes",
                       {{"status_id", 9}, {"status_changed_on", today}}, bearer(mallory.token))
            .status == 422);
  CHECK(http.post_json("/api/v1/tracing/status-changes",
                       {{"status_id", 3}, {"status_changed_on", "yesterday"}},
                       bearer(mallory.token))
            .status == 422);
  auto code_r = http.post_json(
      "/api/v1/tracing/status-changes",
      {{"status_id", 3}, {"status_changed_on", today - 3600'000}, {"comment", "PCR positive"}},
      bearer(mallory.token));
  REQUIRE(code_r.status == 201);
  const std::string code = code_r.json()["medical_code"];
  CHECK(code.size() == 10);
  CHECK(code.find_first_of("01OIL8B") == std::string::npos);
  CHECK(count(*db, "SELECT COUNT(*) FROM tracing_codes WHERE code_hash = $1", {code}) == 0);

  // Contacts listen for alerts.
  WsClient bob_ws(server->port(), "/api/v1/notifications/ws", bearer(bob.token));
  WsClient carol_ws(server->port(), "/api/v1/notifications/ws", bearer(carol.token));
  WsClient erin_ws(server->port(), "/api/v1/notifications/ws", bearer(erin.token));
  // Erin is already Infected (admin): an exposure does not lower her state.
  REQUIRE(http.put_json("/api/v1/tracing/users/" + std::to_string(erin.id) + "/status",
                        {{"status_id", 3}}, bearer(admin))
              .status == 200);

  // Bad meetings change nothing: the code stays unused.
  auto bad = http.post_json(
      "/api/v1/tracing/status-changes/accept",
      {{"medical_code", code}, {"meetings", nlohmann::json::array({{{"token", 5}}})}},
      bearer(alice.token));
  CHECK(bad.status == 422);
  CHECK(error_message(bad).find("meetings[0]") != std::string::npos);
  // Infected requires contact discovery: meetings are required.
  CHECK(http.post_json("/api/v1/tracing/status-changes/accept", {{"medical_code", code}},
                       bearer(alice.token))
            .status == 422);
  CHECK(profile(http, alice)["status_id"] == 1);

  const auto hour = 3600'000LL;
  nlohmann::json meetings = nlohmann::json::array({
      {{"token", bob_static}, {"timestamp", today - 2 * hour}},
      {{"token", ct[0]["token"]}, {"timestamp", today - 3 * hour}},  // carol, today's token
      {{"token", ct[0]["token"]}, {"timestamp", today - 1 * hour}},  // carol again, later
      {{"token", erin_static}, {"timestamp", today - 4 * hour}},
      {{"token", dave_static}, {"timestamp", today - 20 * 24 * hour}},  // outside retention
      {{"token", "feedfacefeedfacefeedfacefeedface"}, {"timestamp", today - hour}},
      {{"token", alice_static}, {"timestamp", today - hour}},    // herself
      {{"token", ct[2]["token"]}, {"timestamp", today - hour}},  // carol's token of day+2
  });
  auto accepted =
      http.post_json("/api/v1/tracing/status-changes/accept",
                     {{"medical_code", code}, {"meetings", meetings}}, bearer(alice.token));
  REQUIRE(accepted.status == 200);
  const auto a = accepted.json();
  CHECK(a["status_id"] == 3);
  CHECK(a["contact_discovery"] == true);
  CHECK(a["meetings"]["received"] == 8);
  CHECK(a["meetings"]["stored"] == 4);
  CHECK(a["meetings"]["skipped_out_of_window"] == 1);
  CHECK(a["meetings"]["skipped_unknown_token"] == 3);
  // Nothing in the answer names a contact.
  CHECK(accepted.body.find("bob") == std::string::npos);
  CHECK(accepted.body.find(bob_static) == std::string::npos);
  CHECK(profile(http, alice)["status_id"] == 3);

  // The alerts arrive; they say a state and a day, never who.
  for (auto* ws : {&bob_ws, &carol_ws}) {
    auto m = ws->read(10s);
    REQUIRE(m);
    const auto n = nlohmann::json::parse(*m);
    INFO(*m);
    CHECK(n["type"] == "tracing.exposure");
    CHECK(n["title"] == "Possible exposure");
    CHECK(n["body"].get<std::string>().find("Infected") != std::string::npos);
    CHECK(m->find("alice") == std::string::npos);
    CHECK(n["data"]["status_id"] == 2);
  }
  CHECK(profile(http, bob)["status_id"] == 2);
  CHECK(profile(http, carol)["status_id"] == 2);
  CHECK(profile(http, dave)["status_id"] == 1);
  CHECK(profile(http, erin)["status_id"] == 3);
  CHECK_FALSE(erin_ws.read(500ms));
  auto bob_history = http.get("/api/v1/tracing/history", bearer(bob.token)).json()["items"];
  REQUIRE(bob_history.size() == 1);
  CHECK(bob_history[0]["cause"] == "exposure");
  CHECK(bob_history[0]["from_status"] == 1);
  CHECK(bob_history[0]["to_status"] == 2);
  auto alice_history = http.get("/api/v1/tracing/history", bearer(alice.token)).json()["items"];
  REQUIRE(alice_history.size() == 1);
  CHECK(alice_history[0]["cause"] == "medical_code");

  // The code is used: a second accept (or another user's) is 404 and changes nothing.
  auto again = http.post_json("/api/v1/tracing/status-changes/accept",
                              {{"medical_code", code}, {"meetings", nlohmann::json::array()}},
                              bearer(trent.token));
  CHECK(again.status == 404);
  CHECK(error_message(again) == "code not found or already used");
  CHECK(profile(http, trent)["status_id"] == 1);

  // Re-running the tracing and exposure jobs changes nothing: no new history, no new alert.
  const auto event_id = count(*db, "SELECT MAX(id) FROM tracing_events");
  const auto history_rows = count(*db, "SELECT COUNT(*) FROM tracing_status_history");
  const auto alerts =
      count(*db, "SELECT COUNT(*) FROM notifications WHERE type = 'tracing.exposure'");
  CHECK(alerts == 2);
  REQUIRE(http.post_json("/api/v1/diag/jobs", {{"type", "tracing.trace"},
                                               {"queue", "tracing"},
                                               {"payload", {{"event_id", event_id}}}})
              .status == 202);
  REQUIRE(http.post_json("/api/v1/diag/jobs",
                         {{"type", "tracing.expose"},
                          {"queue", "tracing"},
                          {"payload", {{"event_id", event_id}, {"contacts", {bob.id, carol.id}}}}})
              .status == 202);
  REQUIRE(eventually(
      [&] {
        return count(
                   *db,
                   "SELECT COUNT(*) FROM jobs WHERE type LIKE 'tracing.%' AND state <> 'succeeded' "
                   "AND type <> 'tracing.retention'") == 0;
      },
      10s));
  CHECK(count(*db, "SELECT COUNT(*) FROM tracing_status_history") == history_rows);
  CHECK(count(*db, "SELECT COUNT(*) FROM notifications WHERE type = 'tracing.exposure'") == alerts);
  CHECK_FALSE(bob_ws.read(300ms));

  // Two racing accepts of one code: exactly one wins.
  auto code2 =
      http.post_json("/api/v1/tracing/status-changes",
                     {{"status_id", 4}, {"status_changed_on", today}}, bearer(mallory.token))
          .json()["medical_code"]
          .get<std::string>();
  {
    auto race = [&](const AppUser& u) {
      auto c = server->client();
      return c
          .post_json("/api/v1/tracing/status-changes/accept", {{"medical_code", code2}},
                     bearer(u.token))
          .status;
    };
    auto x = std::async(std::launch::async, race, dave);
    auto y = std::async(std::launch::async, race, trent);
    const int sx = x.get(), sy = y.get();
    INFO(sx << " " << sy);
    CHECK(((sx == 200 && sy == 404) || (sx == 404 && sy == 200)));
    CHECK(count(*db, "SELECT COUNT(*) FROM tracing_users WHERE status_id = 4") == 1);
  }
  // A state without contact discovery refuses meetings.
  auto code3 =
      http.post_json("/api/v1/tracing/status-changes",
                     {{"status_id", 4}, {"status_changed_on", today}}, bearer(mallory.token))
          .json()["medical_code"]
          .get<std::string>();
  CHECK(http.post_json("/api/v1/tracing/status-changes/accept",
                       {{"medical_code", code3},
                        {"meetings",
                         nlohmann::json::array({{{"token", bob_static}, {"timestamp", today}}})}},
                       bearer(bob.token))
            .status == 422);
  // Expired: the same code a day later (its expiry moved into the past) is 410 and stays unused.
  db->transact([&](carehub::Tx& tx) {
    tx.exec("UPDATE tracing_codes SET expires_at_ms = $1 WHERE used_by IS NULL", {now_ms() - 1});
  });
  auto expired = http.post_json("/api/v1/tracing/status-changes/accept", {{"medical_code", code3}},
                                bearer(bob.token));
  CHECK(expired.status == 410);
  CHECK(profile(http, bob)["status_id"] == 2);

  // Recommendations per state and language.
  auto en = http.get("/api/v1/tracing/recommendations?status_id=2&lang=en", bearer(bob.token));
  REQUIRE(en.status == 200);
  CHECK(en.json()["recommendations"].size() >= 2);
  auto es = http.get("/api/v1/tracing/recommendations?status_id=2&lang=es", bearer(bob.token));
  REQUIRE(es.status == 200);
  CHECK(es.json()["recommendations"] != en.json()["recommendations"]);
  CHECK(http.get("/api/v1/tracing/recommendations?status_id=2&lang=fr", bearer(bob.token)).status ==
        400);
  CHECK(http.get("/api/v1/tracing/recommendations?status_id=77", bearer(bob.token)).status == 404);
  CHECK(http.get("/api/v1/tracing/recommendations?status_id=2").status == 401);

  // Retention: tracing work older than 14 days goes; the history of states stays.
  db->transact([&](carehub::Tx& tx) {
    const auto old = now_ms() - 15 * 24 * hour;
    tx.exec("UPDATE tracing_events SET created_at_ms = $1", {old});
    tx.exec("UPDATE tracing_meetings SET met_at_ms = $1", {old});
  });
  REQUIRE(count(*db, "SELECT COUNT(*) FROM tracing_meetings") == 4);
  REQUIRE(http.post_json("/api/v1/diag/jobs", {{"type", "tracing.retention"}, {"queue", "tracing"}})
              .status == 202);
  REQUIRE(eventually([&] { return count(*db, "SELECT COUNT(*) FROM tracing_events") == 0; }, 10s));
  CHECK(count(*db, "SELECT COUNT(*) FROM tracing_meetings") == 0);
  CHECK(count(*db, "SELECT COUNT(*) FROM tracing_exposures") == 0);
  CHECK(count(*db, "SELECT COUNT(*) FROM tracing_status_history") >= history_rows);
  CHECK(http.get("/api/v1/tracing/history", bearer(bob.token)).json()["items"].size() == 1);
}

}  // namespace

TEST_CASE("tracing: register, medical code, accept with meetings, exposure alerts, on SQLite",
          "[e2e][tracing]") {
  run_tracing_flow({});
}

TEST_CASE("tracing: the same on PostgreSQL", "[e2e][tracing]") {
  TestDatabase pg(carehub::Backend::kPostgres);
  ServerOptions options;
  options.database_url = pg.url();
  run_tracing_flow(options);
}
