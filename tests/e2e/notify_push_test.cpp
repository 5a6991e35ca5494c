// Device pushes through the delivery outbox, against a local HTTP receiver in gorush's shape: one
// job per device, retried with backoff while the receiver fails and pushed exactly once when it
// succeeds; a token the gateway calls invalid removes the device; pushes carry no content;
// preferences per type honoured. On SQLite and PostgreSQL.
#include <catch2/catch.hpp>
#include <thread>

#include "support/recording_server.hpp"
#include "support/signed_in_server.hpp"
#include "support/ws_client.hpp"

using namespace carehub::test;
using namespace std::chrono_literals;

namespace {

void run_push_flow(ServerOptions options) {
  // The gateway fails the first two requests, then accepts; a token ending "dead" is invalid.
  RecordingServer gateway([](std::size_t index, const RecordedRequest& req) {
    if (req.body.find("dead") != std::string::npos) {
      return std::pair<int, std::string>(
          200,
          R"({"counts":1,"logs":[{"type":"failed-push","error":"BadDeviceToken"}],"success":"ok"})");
    }
    if (index < 2) return std::pair<int, std::string>(503, R"({"error":"busy"})");
    return std::pair<int, std::string>(200, R"({"counts":1,"logs":[],"success":"ok"})");
  });
  options.extra.merge_patch(
      {{"notify", {{"push_provider", "webhook"}, {"push_webhook_url", gateway.url("/api/push")}}},
       {"jobs", {{"backoff_base_ms", 200}, {"backoff_max_ms", 1000}, {"poll_interval_ms", 100}}}});
  auto server = started_server(std::move(options));
  auto http = server->client();
  const auto admin = login(http, kAdmin);
  const auto alice_id = add_user(http, admin, "alice@clinic.example", {"user"});
  const auto alice = login(http, "alice@clinic.example");

  // Devices: validated, several per user, listed without their tokens.
  CHECK(http.post_json("/api/v1/notifications/devices",
                       {{"token", "t"}, {"platform", "sms"}, {"app", "a"}}, bearer(alice))
            .status == 422);
  CHECK(http.post_json("/api/v1/notifications/devices", {{"platform", "fcm"}, {"app", "a"}},
                       bearer(alice))
            .status == 422);
  auto phone = http.post_json(
      "/api/v1/notifications/devices",
      {{"token", "apns-token-0123456789"}, {"platform", "apns"}, {"app", "org.clinic.app"}},
      bearer(alice));
  REQUIRE(phone.status == 201);
  auto dead = http.post_json(
      "/api/v1/notifications/devices",
      {{"token", "fcm-token-dead"}, {"platform", "fcm"}, {"app", "org.clinic.app"}}, bearer(alice));
  REQUIRE(dead.status == 201);
  auto listed = http.get("/api/v1/notifications/devices", bearer(alice)).json()["devices"];
  REQUIRE(listed.size() == 2);
  CHECK(listed.dump().find("apns-token-0123456789") == std::string::npos);

  // One notification: a push job per device.
  auto published =
      http.post_json("/api/v1/diag/notify", {{"user_id", alice_id},
                                             {"type", "cases.invitation"},
                                             {"title", "Dr House shared case 17 with you"},
                                             {"body", "Diagnosis: lupus"}});
  REQUIRE(published.status == 201);
  const std::string id = published.json()["id"];
  // The good device is pushed once, after two failed attempts; the dead one is removed.
  REQUIRE(eventually(
      [&] {
        std::size_t ok = 0;
        for (const auto& r : gateway.requests())
          if (r.body.find("apns-token") != std::string::npos) ++ok;
        return ok >= 1 &&
               http.get("/api/v1/notifications/devices", bearer(alice)).json()["devices"].size() ==
                   1;
      },
      30s));
  std::this_thread::sleep_for(1500ms);  // time for any duplicate to show up
  std::vector<RecordedRequest> to_phone;
  for (const auto& r : gateway.requests())
    if (r.body.find("apns-token") != std::string::npos) to_phone.push_back(r);
  // Attempts: at least one failure (503) before the success, and nothing after the success.
  REQUIRE(to_phone.size() >= 2);
  const auto push = nlohmann::json::parse(to_phone.back().body);
  INFO(push.dump());
  const auto& n = push["notifications"][0];
  CHECK(n["platform"] == 1);
  CHECK(n["tokens"] == nlohmann::json{"apns-token-0123456789"});
  CHECK(n["topic"] == "org.clinic.app");
  CHECK(n["data"]["notification_id"] == id);
  // No content: neither the title nor the body of the notification travels.
  CHECK(to_phone.back().body.find("lupus") == std::string::npos);
  CHECK(to_phone.back().body.find("House") == std::string::npos);
  CHECK(to_phone.back().header("idempotency-key") ==
        "notify.push:" + id + ":" + phone.json()["id"].get<std::string>());
  const auto gateway_ok = [&] {
    std::size_t ok = 0;
    const auto all = gateway.requests();
    for (std::size_t i = 2; i < all.size(); ++i)
      if (all[i].body.find("apns-token") != std::string::npos) ++ok;
    return ok;
  };
  CHECK(gateway_ok() == 1);  // exactly one accepted push for it

  // Preferences: push off for this type means no push; in-app off means no stream and no unread.
  REQUIRE(http.put_json("/api/v1/notifications/preferences/cases.invitation",
                        {{"in_app", true}, {"push", false}}, bearer(alice))
              .status == 200);
  REQUIRE(http.put_json("/api/v1/notifications/preferences/quiet.type",
                        {{"in_app", false}, {"push", false}}, bearer(alice))
              .status == 200);
  CHECK(http.put_json("/api/v1/notifications/preferences/x", {{"in_app", "yes"}}, bearer(alice))
            .status == 422);
  const auto before = gateway.requests().size();
  WsClient ws(server->port(), "/api/v1/notifications/ws", bearer(alice));
  http.post_json("/api/v1/diag/notify",
                 {{"user_id", alice_id}, {"type", "quiet.type"}, {"title", "q"}, {"body", "q"}});
  auto shown = http.post_json(
      "/api/v1/diag/notify",
      {{"user_id", alice_id}, {"type", "cases.invitation"}, {"title", "shown"}, {"body", "s"}});
  const auto m = ws.read(5s);
  REQUIRE(m);
  CHECK(nlohmann::json::parse(*m)["title"] == "shown");  // the quiet one never streamed
  std::this_thread::sleep_for(1500ms);
  CHECK(gateway.requests().size() == before);  // push off: nothing sent
  auto prefs = http.get("/api/v1/notifications/preferences", bearer(alice)).json()["preferences"];
  CHECK(prefs.size() == 2);
  // Removing a device: only one's own.
  const std::string device = phone.json()["id"];
  const auto bob = [&] {
    add_user(http, admin, "bob@clinic.example", {"user"});
    return login(http, "bob@clinic.example");
  }();
  CHECK(http.request("DELETE", "/api/v1/notifications/devices/" + device, bearer(bob)).status ==
        404);
  CHECK(http.request("DELETE", "/api/v1/notifications/devices/" + device, bearer(alice)).status ==
        204);
  CHECK(http.get("/api/v1/notifications/devices", bearer(alice)).json()["devices"].empty());
}

}  // namespace

TEST_CASE(
    "notify: pushes retried until the gateway accepts, once, invalid tokens removed, "
    "preferences, on SQLite",
    "[e2e][notify]") {
  run_push_flow({});
}

TEST_CASE("notify: the same on PostgreSQL", "[e2e][notify]") {
  TestDatabase pg(carehub::Backend::kPostgres);
  ServerOptions options;
  options.database_url = pg.url();
  run_push_flow(options);
}
