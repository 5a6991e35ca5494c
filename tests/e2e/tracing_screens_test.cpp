// The APIs behind the console's tracing screens, against the real binary: a medical user's list of
// the codes they issued (unused, used, expired; never the code itself, never who used it, never
// another issuer's codes) and the admin's overview (users per state and exposures per day over the
// retention window: counts only). On SQLite and PostgreSQL.
#include <catch2/catch.hpp>

#include "support/signed_in_server.hpp"

using namespace carehub::test;

namespace {

constexpr std::int64_t kDayMs = 86'400'000;

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string issue_code(HttpClient& http, const std::string& token, int status_id,
                       const std::string& comment) {
  auto r = http.post_json(
      "/api/v1/tracing/status-changes",
      {{"status_id", status_id}, {"status_changed_on", now_ms()}, {"comment", comment}},
      bearer(token));
  REQUIRE(r.status == 201);
  return r.json()["medical_code"];
}

nlohmann::json issued(HttpClient& http, const std::string& token) {
  auto r = http.get("/api/v1/tracing/status-changes", bearer(token));
  REQUIRE(r.status == 200);
  return r.json()["items"];
}

void run_screens_api(ServerOptions options) {
  options.extra.merge_patch({{"auth", {{"registration_roles", {"user"}}}}});
  auto server = started_server(std::move(options));
  auto http = server->client();
  auto db = open_test_database(server->database_url());
  const auto admin = login(http, kAdmin);
  add_user(http, admin, "doctor@clinic.example", {"user", "medical"});
  add_user(http, admin, "nurse@clinic.example", {"user", "medical"});
  add_user(http, admin, "clerk@clinic.example", {"user"});
  const auto doctor = login(http, "doctor@clinic.example");
  const auto nurse = login(http, "nurse@clinic.example");
  const auto clerk = login(http, "clerk@clinic.example");

  // Nothing issued yet: an empty list, not an error, with the states to name codes by.
  CHECK(issued(http, doctor).empty());
  const auto states_answer = http.get("/api/v1/tracing/status-changes", bearer(doctor)).json();
  REQUIRE(states_answer["statuses"].size() == 4);
  CHECK(states_answer["statuses"][2]["name"] == "Infected");

  const auto first = issue_code(http, doctor, 2, "first");
  const auto second = issue_code(http, doctor, 4, "second");
  issue_code(http, nurse, 2, "the nurse's");

  auto list = issued(http, doctor);
  REQUIRE(list.size() == 2);
  for (const auto& item : list) {
    CHECK(item["state"] == "unused");
    CHECK(item["used"] == false);
    CHECK(item["used_at"].is_null());
    CHECK(!item["expires_at"].get<std::string>().empty());
  }
  // The codes themselves are kept only as hashes: the list cannot show them.
  const auto body = http.get("/api/v1/tracing/status-changes", bearer(doctor)).body;
  CHECK(body.find(first) == std::string::npos);
  CHECK(body.find(second) == std::string::npos);
  CHECK(body.find("the nurse") == std::string::npos);
  CHECK(issued(http, nurse).size() == 1);

  // Only medical users have codes to list; an admin without the role is refused too.
  CHECK(http.get("/api/v1/tracing/status-changes", bearer(clerk)).status == 403);
  CHECK(http.get("/api/v1/tracing/status-changes", bearer(admin)).status == 403);
  CHECK(http.get("/api/v1/tracing/status-changes").status == 401);

  // A user accepts the first code: it shows as used, and who used it does not show.
  auto reg = http.post_json(
      "/api/v1/auth/register",
      {{"username", "alice"}, {"password", "app user passphrase 1"}, {"role", "user"}});
  REQUIRE(reg.status == 201);
  const std::string alice_token =
      http.post_json("/api/v1/auth/login",
                     {{"username", "alice"}, {"password", "app user passphrase 1"}})
          .json()["access_token"];
  REQUIRE(http.post_json("/api/v1/tracing/status-changes/accept", {{"medical_code", first}},
                         bearer(alice_token))
              .status == 200);
  // The second code expires (its expiry moved into the past).
  db->transact([&](carehub::Tx& tx) {
    tx.exec("UPDATE tracing_codes SET expires_at_ms = $1 WHERE comment = 'second'",
            {now_ms() - 1000});
  });
  list = issued(http, doctor);
  REQUIRE(list.size() == 2);
  // Newest first (unless both were made in the same millisecond): found by their notes.
  const bool in_order = list[0]["comment"] == "second";
  const auto& newest = list[in_order ? 0 : 1];
  const auto& oldest = list[in_order ? 1 : 0];
  CHECK(oldest["comment"] == "first");
  CHECK(oldest["state"] == "used");
  CHECK(oldest["used"] == true);
  CHECK(!oldest["used_at"].is_null());
  CHECK(newest["comment"] == "second");
  CHECK(newest["state"] == "expired");
  CHECK(newest["used"] == false);
  const auto used_body = http.get("/api/v1/tracing/status-changes", bearer(doctor)).body;
  CHECK(used_body.find("alice") == std::string::npos);
  CHECK(used_body.find("used_by") == std::string::npos);

  // The overview: alice is At risk (2); exposures seeded at known days, one outside the window.
  const auto now = now_ms();
  db->transact([&](carehub::Tx& tx) {
    const std::vector<std::pair<std::int64_t, std::int64_t>> rows = {
        {now, 101}, {now, 102}, {now - 3 * kDayMs, 103}, {now - 30 * kDayMs, 104}};
    for (const auto& [at, contact] : rows) {
      tx.exec(
          "INSERT INTO tracing_exposures (event_id, contact_user_id, met_at_ms) VALUES (1, $1, $2)",
          {contact, at});
    }
  });
  CHECK(http.get("/api/v1/tracing/overview", bearer(doctor)).status == 403);
  CHECK(http.get("/api/v1/tracing/overview").status == 401);
  auto o = http.get("/api/v1/tracing/overview", bearer(admin));
  REQUIRE(o.status == 200);
  const auto overview = o.json();
  CHECK(overview["retention_days"] == 14);
  const auto& states = overview["users_per_state"];
  REQUIRE(states.size() == 4);
  CHECK(states[0]["status"] == "Healthy");
  CHECK(states[0]["users"] == 0);
  CHECK(states[1]["status_id"] == 2);
  CHECK(states[1]["users"] == 1);
  const auto& days = overview["exposures_per_day"];
  REQUIRE(days.size() == 15);  // the window's 14 days and today
  std::int64_t total = 0;
  for (const auto& d : days) total += d["exposures"].get<std::int64_t>();
  CHECK(total == 3);  // the one 30 days old is outside
  CHECK(days.back()["exposures"] == 2);
  CHECK(days[days.size() - 4]["exposures"] == 1);
  CHECK(days.back()["day"].get<std::string>().size() == 10);
  CHECK(o.body.find("alice") == std::string::npos);
  CHECK(o.body.find("user_id") == std::string::npos);
  CHECK(o.body.find("token") == std::string::npos);
}

}  // namespace

TEST_CASE("tracing screens: issued codes list and overview counts on SQLite",
          "[e2e][tracing][tracing_screens]") {
  run_screens_api({});
}

TEST_CASE("tracing screens: issued codes list and overview counts on PostgreSQL",
          "[e2e][tracing][tracing_screens]") {
  TestDatabase pg(carehub::Backend::kPostgres);
  ServerOptions options;
  options.database_url = pg.url();
  run_screens_api(options);
}
