// Issue 17, findings 2, 4 (links) and 5, against the real binary: a revocation ends every earlier
// credential at once (access tokens issued in the same second, tokens refreshed every 250 ms by
// an attacker, stream tickets, signed document links), a token whose account is gone is refused,
// a signed link cannot outlive cases.link_ttl_s even when forged with the key, a stranger's
// guesses do not lock the owner out, the ceiling alerts the admins, and self-registration is
// throttled per address.
#include <atomic>
#include <catch2/catch.hpp>
#include <mutex>
#include <thread>

#include "carehub/server_keys.hpp"
#include "support/signed_in_server.hpp"

using namespace carehub::test;
using namespace std::chrono_literals;

namespace {

struct Session {
  std::string access, refresh;
};

Session sign_in(HttpClient& http, const std::string& email) {
  auto r = http.post_json("/api/v1/auth/login", {{"email", email}, {"password", kPassword}});
  REQUIRE(r.status == 200);
  return {r.json()["access_token"], r.json()["refresh_token"]};
}

std::string patch_user(HttpClient& http, const std::string& admin, std::int64_t id,
                       const nlohmann::json& patch) {
  auto r = http.request("PATCH", "/api/v1/users/" + std::to_string(id),
                        with(bearer(admin), "Content-Type", "application/json"), patch.dump());
  REQUIRE(r.status == 200);
  return r.body;
}

// The revocation kinds of the issue, each applied at once after the token was issued (the same
// second, usually the same millisecond): the token must be refused on a medical-data route (it
// used to pass everywhere but /auth/me).
void check_same_second_revocations(ServerUnderTest& server) {
  auto http = server.client(30s);
  const auto admin = login(http, kAdmin);
  const auto cases_route = "/api/v1/cases";
  struct Kind {
    const char* name;
    std::function<void(std::int64_t id, const Session&)> revoke;
  };
  std::vector<Kind> kinds = {
      {"disable",
       [&](std::int64_t id, const Session&) {
         patch_user(http, admin, id, {{"status", "disabled"}});
       }},
      {"role change",
       [&](std::int64_t id, const Session&) {
         patch_user(http, admin, id, {{"roles", {"physician"}}});
       }},
      {"sign-out",
       [&](std::int64_t, const Session& s) {
         REQUIRE(http.post_json("/api/v1/auth/logout", {{"refresh_token", s.refresh}}).status ==
                 204);
       }},
      {"password change",
       [&](std::int64_t, const Session& s) {
         REQUIRE(http.post_json("/api/v1/auth/password",
                                {{"current_password", kPassword},
                                 {"new_password", "another long passphrase"}},
                                bearer(s.access))
                     .status == 204);
       }},
      {"admin reset",
       [&](std::int64_t id, const Session&) {
         auto reset = http.post_json("/api/v1/users/" + std::to_string(id) + "/reset-password",
                                     nlohmann::json::object(), bearer(admin));
         REQUIRE(reset.status < 300);
         REQUIRE(http.post_json("/api/v1/auth/reset-password",
                                {{"token", reset.json()["token"]},
                                 {"password", "another long passphrase"}})
                     .status < 300);
       }},
      {"refresh reuse",
       [&](std::int64_t, const Session& s) {
         REQUIRE(http.post_json("/api/v1/auth/refresh", {{"refresh_token", s.refresh}}).status ==
                 200);
         // The same refresh token again: stolen-token detection ends the family and its access.
         REQUIRE(http.post_json("/api/v1/auth/refresh", {{"refresh_token", s.refresh}}).status ==
                 401);
       }},
  };
  int n = 0;
  for (const auto& kind : kinds) {
    INFO("revocation: " << kind.name);
    const std::string email = "rev" + std::to_string(++n) + "@clinic.example";
    const auto id = add_user(http, admin, email, {"patient"});
    const auto session = sign_in(http, email);
    REQUIRE(http.get(cases_route, bearer(session.access)).status == 200);
    kind.revoke(id, session);
    auto refused = http.get(cases_route, bearer(session.access));
    CHECK(refused.status == 401);
    CHECK(http.post_json(cases_route, {{"patient", {{"name", "X"}}}}, bearer(session.access))
              .status == 401);
  }
}

// An attacker refreshes every 250 ms and keeps every access token it gets; an admin disables the
// account. From the moment the admin's request is answered, none of those tokens reads or writes
// a case, and no refresh succeeds.
void check_refresh_race(ServerUnderTest& server) {
  auto http = server.client(30s);
  const auto admin = login(http, kAdmin);
  const auto id = add_user(http, admin, "racer@clinic.example", {"patient"});
  const auto first = sign_in(http, "racer@clinic.example");
  std::mutex mutex;
  std::vector<std::string> tokens{first.access};
  std::atomic<bool> stop{false};
  std::atomic<int> refreshed_after_disable{0};
  std::atomic<bool> disabled{false};
  std::thread attacker([&] {
    auto own = server.client(30s);
    std::string refresh = first.refresh;
    while (!stop) {
      auto r = own.post_json("/api/v1/auth/refresh", {{"refresh_token", refresh}});
      const bool after = disabled.load();
      if (r.status == 200) {
        refresh = r.json()["refresh_token"];
        std::lock_guard lock(mutex);
        tokens.push_back(r.json()["access_token"]);
        if (after) ++refreshed_after_disable;
      }
      std::this_thread::sleep_for(250ms);
    }
  });
  std::this_thread::sleep_for(1200ms);
  patch_user(http, admin, id, {{"status", "disabled"}});
  disabled = true;
  std::vector<std::string> held;
  {
    std::lock_guard lock(mutex);
    held = tokens;
  }
  std::this_thread::sleep_for(1500ms);  // the attacker keeps trying
  stop = true;
  attacker.join();
  CHECK(held.size() >= 4);
  CHECK(refreshed_after_disable == 0);
  std::lock_guard lock(mutex);
  for (const auto& token : tokens) {
    CHECK(http.get("/api/v1/cases", bearer(token)).status == 401);
    CHECK(http.post_json("/api/v1/cases", {{"patient", {{"name", "X"}}}}, bearer(token)).status ==
          401);
  }
}

// A stream ticket stands for the credential it was made from: a sign-out ends it.
void check_stream_tickets(ServerUnderTest& server) {
  auto http = server.client(30s);
  const auto admin = login(http, kAdmin);
  add_user(http, admin, "streamer@clinic.example", {"patient"});
  auto opens = [&](const std::string& ticket) {
    auto raw = server.client(5s);
    REQUIRE(raw.send_raw("GET /api/v1/notifications/stream?ticket=" + ticket +
                         " HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n\r\n"));
    REQUIRE(raw.wait_for_text("\r\n\r\n", 5s));
    return raw.received().substr(0, raw.received().find("\r\n"));
  };
  auto session = sign_in(http, "streamer@clinic.example");
  auto ticket = [&] {
    auto r = http.post_json("/api/v1/notifications/ticket", nlohmann::json::object(),
                            bearer(session.access));
    REQUIRE(r.status == 201);
    return r.json()["ticket"].get<std::string>();
  };
  CHECK(opens(ticket()).find(" 200 ") != std::string::npos);  // a good ticket opens the stream
  const auto before = ticket();
  REQUIRE(http.post_json("/api/v1/auth/logout", {{"refresh_token", session.refresh}}).status ==
          204);
  CHECK(opens(before).find(" 401 ") != std::string::npos);
}

// An access token whose account row is gone is refused (it used to be trusted): a token signed
// for another deployment sharing the keys, or a row removed by hand.
void check_deleted_account(ServerUnderTest& server) {
  auto http = server.client(30s);
  const auto admin = login(http, kAdmin);
  const auto id = add_user(http, admin, "gone@clinic.example", {"patient"});
  const auto session = sign_in(http, "gone@clinic.example");
  auto db = open_test_database(server.database_url());
  db->transact([&](carehub::Tx& tx) { tx.exec("DELETE FROM users WHERE id = $1", {id}); });
  auto refused = http.get("/api/v1/cases", bearer(session.access));
  CHECK(refused.status == 401);
  CHECK(refused.body.find("no longer exists") != std::string::npos);
}

void run_revocation_flow(const ServerOptions& options) {
  auto server = started_server(options);
  SECTION("every revocation kind, in the same second") {
    check_same_second_revocations(*server);
  }
  SECTION("an attacker refreshing every 250 ms") {
    check_refresh_race(*server);
  }
  SECTION("stream tickets") {
    check_stream_tickets(*server);
  }
  SECTION("an account that no longer exists") {
    check_deleted_account(*server);
  }
}

struct LinkSetup {
  std::string patient_token, refresh, base, doc, url;
  std::int64_t patient_id = 0;
};

LinkSetup document_with_link(HttpClient& http, const std::string& admin, const std::string& who) {
  LinkSetup s;
  s.patient_id = add_user(http, admin, who, {"patient"});
  auto session = sign_in(http, who);
  s.patient_token = session.access;
  s.refresh = session.refresh;
  const std::string id =
      http.post_json("/api/v1/cases", {{"patient", {{"name", "L"}}}}, bearer(s.patient_token))
          .json()["id"];
  s.base = "/api/v1/cases/" + id;
  auto up = http.request("POST", s.base + "/documents?name=scan.txt",
                         with(bearer(s.patient_token), "Content-Type", "text/plain"), "hello");
  REQUIRE(up.status == 201);
  s.doc = up.json()["id"];
  auto link = http.post_json(s.base + "/documents/" + s.doc + "/link", nlohmann::json::object(),
                             bearer(s.patient_token));
  REQUIRE(link.status == 201);
  s.url = link.json()["url"];
  return s;
}

std::string query_value(const std::string& url, const std::string& name) {
  const auto at = url.find(name + "=");
  REQUIRE(at != std::string::npos);
  const auto start = at + name.size() + 1;
  return url.substr(start, url.find('&', start) - start);
}

}  // namespace

TEST_CASE("hardening: revocation ends every earlier credential at once, on SQLite",
          "[e2e][hardening][auth]") {
  run_revocation_flow({});
}

TEST_CASE("hardening: revocation ends every earlier credential at once, on PostgreSQL",
          "[e2e][hardening][auth]") {
  TestDatabase pg(carehub::Backend::kPostgres);
  ServerOptions options;
  options.database_url = pg.url();
  run_revocation_flow(options);
}

TEST_CASE("hardening: a signed link stops with its signer's account and never outlives its TTL",
          "[e2e][hardening][cases]") {
  auto server = started_server({});
  auto http = server->client(30s);
  const auto admin = login(http, kAdmin);
  auto anon = server->client();

  SECTION("disabled signer") {
    auto s = document_with_link(http, admin, "p1@clinic.example");
    REQUIRE(anon.get(s.url).status == 200);
    patch_user(http, admin, s.patient_id, {{"status", "disabled"}});
    CHECK(anon.get(s.url).status == 404);
  }
  SECTION("signer signed out") {
    auto s = document_with_link(http, admin, "p2@clinic.example");
    REQUIRE(http.post_json("/api/v1/auth/logout", {{"refresh_token", s.refresh}}).status == 204);
    CHECK(anon.get(s.url).status == 404);
  }
  SECTION("forged with the link key: a lifetime past link_ttl_s, or an issue time to come") {
    auto s = document_with_link(http, admin, "p3@clinic.example");
    // Someone who read the key (as a local user could from a world-readable database) signs
    // what they like. The server checks what the signature covers.
    auto db = open_test_database(server->database_url());
    carehub::ServerKey key(*db, "cases.links");
    const std::string path = s.url.substr(0, s.url.find('?'));
    const std::string case_id = s.base.substr(s.base.rfind('/') + 1);
    const std::string user = query_value(s.url, "user");
    const std::string gen = query_value(s.url, "gen");
    const std::int64_t issued = std::stoll(query_value(s.url, "issued"));
    auto forged = [&](std::int64_t iss, std::int64_t exp) {
      const auto sig = key.hash("link-v2:" + case_id + ":" + s.doc + ":" + user + ":" +
                                std::to_string(iss) + ":" + std::to_string(exp) + ":" + gen);
      return path + "?user=" + user + "&issued=" + std::to_string(iss) +
             "&expires=" + std::to_string(exp) + "&gen=" + gen + "&signature=" + sig;
    };
    // The forging itself is right: within the TTL it opens the document.
    CHECK(anon.get(forged(issued, issued + 60'000)).status == 200);
    const std::int64_t year = 365LL * 86'400'000;
    auto long_lived = anon.get(forged(issued, issued + year));
    CHECK(long_lived.status == 403);
    CHECK(anon.get(forged(issued + year - 60'000, issued + year)).status == 403);  // to come
    CHECK(anon.get(forged(issued, issued)).status == 403);
  }
}

TEST_CASE("hardening: a stranger's guesses do not lock the owner out, the ceiling alerts admins",
          "[e2e][hardening][auth]") {
  ServerOptions options;
  options.extra = {{"auth", {{"login_ceiling", 6}, {"login_rate_per_minute", 1000}}}};
  auto server = started_server(options);
  auto owner = server->client(30s);
  const auto admin = login(owner, kAdmin);

  auto stranger = server->client(30s);
  stranger.set_source_address("127.0.0.2");
  for (int i = 0; i < 5; ++i) {
    auto r = stranger.post_json("/api/v1/auth/login",
                                {{"email", kAdmin}, {"password", "guess " + std::to_string(i)}});
    CHECK(r.status == 401);
  }
  auto held =
      stranger.post_json("/api/v1/auth/login", {{"email", kAdmin}, {"password", kPassword}});
  CHECK(held.status == 429);
  CHECK(held.header("retry-after") == "1");
  // The only admin, from their own machine, signs in at once.
  CHECK(
      owner.post_json("/api/v1/auth/login", {{"email", kAdmin}, {"password", kPassword}}).status ==
      200);

  // A sixth failure from a third address reaches the ceiling (6): audited, and every admin is
  // told in their inbox. Nobody is locked: after a second the owner signs in again.
  auto third = server->client(30s);
  third.set_source_address("127.0.0.3");
  CHECK(third.post_json("/api/v1/auth/login", {{"email", kAdmin}, {"password", "guess"}}).status ==
        401);
  auto inbox = owner.get("/api/v1/notifications", bearer(admin));
  REQUIRE(inbox.status == 200);
  int alerts = 0;
  const auto notifications = inbox.json()["notifications"];
  for (const auto& n : notifications) {
    if (n["type"] == "auth.login_ceiling") {
      ++alerts;
      CHECK(n["body"].get<std::string>().find(kAdmin) != std::string::npos);
    }
  }
  CHECK(alerts == 1);
  auto db = open_test_database(server->database_url());
  const auto audited = db->transact(
      [](carehub::Tx& tx) {
        return tx
            .query_one("SELECT COUNT(*) FROM audit_events WHERE action = 'auth.login_ceiling'")
            ->integer(0);
      },
      carehub::TxMode::kRead);
  CHECK(audited == 1);
  std::this_thread::sleep_for(1100ms);
  CHECK(
      owner.post_json("/api/v1/auth/login", {{"email", kAdmin}, {"password", kPassword}}).status ==
      200);
}

TEST_CASE("hardening: self-registration is throttled per address", "[e2e][hardening][auth]") {
  ServerOptions options;
  options.extra = {
      {"auth", {{"registration_roles", {"patient"}}, {"registration_rate_per_hour", 5}}}};
  auto server = started_server(options);
  auto from_one = server->client(30s);
  from_one.set_source_address("127.0.0.4");
  auto reg = [](HttpClient& c, int i) {
    return c.post_json("/api/v1/auth/register", {{"email", "r" + std::to_string(i) + "@x.example"},
                                                 {"password", "a long enough password"},
                                                 {"role", "patient"}});
  };
  for (int i = 0; i < 5; ++i) CHECK(reg(from_one, i).status == 201);
  auto refused = reg(from_one, 5);
  CHECK(refused.status == 429);
  CHECK(refused.header("retry-after").has_value());
  auto from_two = server->client(30s);
  from_two.set_source_address("127.0.0.5");
  CHECK(reg(from_two, 6).status == 201);
  // Nothing was made for the refused one.
  auto admin_http = server->client();
  const auto admin = login(admin_http, kAdmin);
  CHECK(admin_http.get("/api/v1/users?q=r5%40x.example", bearer(admin)).body.find("r5@x") ==
        std::string::npos);
}
