// Notifications in the real binary: each user's inbox, WebSocket and SSE streams (Bearer and
// single-use tickets), reconnecting with the last id seen, a slow client cut off without holding
// up anyone, streams closed when the session is revoked or the server drains, and two replicas on
// one PostgreSQL database.
#include <catch2/catch.hpp>
#include <csignal>
#include <thread>

#include "support/signed_in_server.hpp"
#include "support/ws_client.hpp"

using namespace carehub::test;
using namespace std::chrono_literals;

namespace {

struct World {
  explicit World(ServerOptions options = {}) {
    options.extra.merge_patch({{"notify", {{"validate_interval_s", 1}, {"heartbeat_s", 2}}}});
    server = started_server(std::move(options));
    auto http = server->client();
    admin = login(http, kAdmin);
    alice_id = add_user(http, admin, "alice@clinic.example", {"user"});
    bob_id = add_user(http, admin, "bob@clinic.example", {"user"});
    alice = login(http, "alice@clinic.example");
    bob = login(http, "bob@clinic.example");
  }
  // Publishes through the core's publisher (the diag route); returns the id.
  std::string publish(std::int64_t user, const std::string& title, const std::string& body = "b",
                      ServerUnderTest* via = nullptr) {
    auto http = (via ? via : server.get())->client();
    auto r = http.post_json("/api/v1/diag/notify", {{"user_id", user},
                                                    {"type", "test.event"},
                                                    {"title", title},
                                                    {"body", body},
                                                    {"data", {{"case_id", "c-1"}}}});
    INFO(r.summary());
    REQUIRE(r.status == 201);
    return r.json()["id"];
  }
  std::unique_ptr<ServerUnderTest> server;
  std::string admin, alice, bob;
  std::int64_t alice_id = 0, bob_id = 0;
};

nlohmann::json next_json(WsClient& ws, std::chrono::milliseconds timeout = 5s) {
  auto m = ws.read(timeout);
  REQUIRE(m.has_value());
  return nlohmann::json::parse(*m);
}

// The SSE events in text (id and data lines), in order.
std::vector<std::pair<std::string, nlohmann::json>> sse_events(const std::string& text) {
  std::vector<std::pair<std::string, nlohmann::json>> out;
  std::size_t pos = text.find("\r\n\r\n");
  pos = pos == std::string::npos ? 0 : pos + 4;
  while (true) {
    const auto end = text.find("\n\n", pos);
    if (end == std::string::npos) break;
    const std::string block = text.substr(pos, end - pos);
    pos = end + 2;
    std::string id, data;
    std::size_t at = 0;
    while (at < block.size()) {
      auto nl = block.find('\n', at);
      if (nl == std::string::npos) nl = block.size();
      const std::string line = block.substr(at, nl - at);
      if (line.rfind("id: ", 0) == 0) id = line.substr(4);
      if (line.rfind("data: ", 0) == 0) data += line.substr(6);
      at = nl + 1;
    }
    if (!data.empty()) out.emplace_back(id, nlohmann::json::parse(data));
  }
  return out;
}

}  // namespace

TEST_CASE("notify: each user's inbox, read, read-all and delete, never another's",
          "[e2e][notify]") {
  World w;
  auto http = w.server->client();
  const auto first = w.publish(w.alice_id, "first");
  const auto second = w.publish(w.alice_id, "second");
  w.publish(w.bob_id, "for bob");
  auto inbox = http.get("/api/v1/notifications", bearer(w.alice));
  REQUIRE(inbox.status == 200);
  auto items = inbox.json()["notifications"];
  REQUIRE(items.size() == 2);
  CHECK(items[0]["id"] == second);  // newest first
  CHECK(items[0]["title"] == "second");
  CHECK(items[0]["data"]["case_id"] == "c-1");
  CHECK(items[0]["read_at"].is_null());
  CHECK(inbox.json()["unread_count"] == 2);
  CHECK(http.get("/api/v1/notifications", bearer(w.bob)).json()["notifications"].size() == 1);
  // Bob cannot touch Alice's.
  CHECK(http.request("POST", "/api/v1/notifications/" + first + "/read", bearer(w.bob)).status ==
        404);
  CHECK(http.request("DELETE", "/api/v1/notifications/" + first, bearer(w.bob)).status == 404);
  // Read one, then the unread filter, then all.
  auto read = http.request("POST", "/api/v1/notifications/" + first + "/read", bearer(w.alice));
  REQUIRE(read.status == 200);
  CHECK_FALSE(read.json()["read_at"].is_null());
  auto unread = http.get("/api/v1/notifications?unread=true", bearer(w.alice)).json();
  REQUIRE(unread["notifications"].size() == 1);
  CHECK(unread["notifications"][0]["id"] == second);
  CHECK(http.request("POST", "/api/v1/notifications/read-all", bearer(w.alice))
            .json()["marked_read"] == 1);
  CHECK(http.get("/api/v1/notifications?unread=true", bearer(w.alice))
            .json()["notifications"]
            .empty());
  CHECK(http.get("/api/v1/notifications?since=2999-01-01T00:00:00Z", bearer(w.alice))
            .json()["notifications"]
            .empty());
  CHECK(http.get("/api/v1/notifications?since=yesterday", bearer(w.alice)).status == 400);
  CHECK(http.get("/api/v1/notifications?unread=maybe", bearer(w.alice)).status == 400);
  CHECK(http.request("DELETE", "/api/v1/notifications/" + first, bearer(w.alice)).status == 204);
  CHECK(http.get("/api/v1/notifications", bearer(w.alice)).json()["notifications"].size() == 1);
  CHECK(http.get("/api/v1/notifications").status == 401);
  const auto token = api_token(http, w.admin, {"dicom:read"});
  CHECK(http.get("/api/v1/notifications", bearer(token)).status == 403);
}

TEST_CASE(
    "notify: every open WebSocket of the user gets each notification, a reconnect gets what "
    "it missed, in order, once",
    "[e2e][notify]") {
  World w;
  const int port = w.server->port();
  WsClient a1(port, "/api/v1/notifications/ws", bearer(w.alice));
  WsClient a2(port, "/api/v1/notifications/ws", bearer(w.alice));
  WsClient b(port, "/api/v1/notifications/ws", bearer(w.bob));
  const auto id1 = w.publish(w.alice_id, "hello");
  for (WsClient* ws : {&a1, &a2}) {
    const auto m = next_json(*ws);
    CHECK(m["id"] == id1);
    CHECK(m["title"] == "hello");
    CHECK(m["type"] == "test.event");
  }
  CHECK_FALSE(b.read(300ms).has_value());  // not Bob's

  // a1 goes away; three arrive meanwhile; it comes back with the last id it saw.
  a1.close();
  const auto id2 = w.publish(w.alice_id, "two");
  const auto id3 = w.publish(w.alice_id, "three");
  const auto id4 = w.publish(w.alice_id, "four");
  WsClient again(port, "/api/v1/notifications/ws?last_event_id=" + id1, bearer(w.alice));
  const auto id5 = w.publish(w.alice_id, "five");
  std::vector<std::string> got;
  for (int i = 0; i < 4; ++i) got.push_back(next_json(again)["id"]);
  CHECK(got == std::vector<std::string>{id2, id3, id4, id5});
  CHECK_FALSE(again.read(300ms).has_value());  // no duplicates
  // a2 stayed and saw them all live.
  for (const auto& id : {id2, id3, id4, id5}) CHECK(next_json(a2)["id"] == id);

  // Without credentials, or with a bad token: no upgrade.
  CHECK_THROWS_WITH(WsClient(port, "/api/v1/notifications/ws"), Catch::Contains("401"));
  CHECK_THROWS_WITH(WsClient(port, "/api/v1/notifications/ws", bearer("nonsense")),
                    Catch::Contains("401"));
  // A plain GET (no upgrade) is told so.
  auto plain = w.server->client().get("/api/v1/notifications/ws", bearer(w.alice));
  CHECK(plain.status == 400);
}

TEST_CASE("notify: SSE with a single-use ticket, Last-Event-ID replay and heartbeats",
          "[e2e][notify]") {
  World w;
  auto http = w.server->client();
  auto ticket = http.request("POST", "/api/v1/notifications/ticket", bearer(w.alice));
  REQUIRE(ticket.status == 201);
  const std::string t = ticket.json()["ticket"];
  const auto id1 = w.publish(w.alice_id, "before");

  HttpClient sse(w.server->port(), 10s);
  sse.connect();
  REQUIRE(sse.send_raw(
      "GET /api/v1/notifications/stream?ticket=" + t +
      " HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\nLast-Event-ID: 0\r\n\r\n"));
  REQUIRE(sse.wait_for_text("\"before\"", 5s));
  CHECK(sse.received().rfind("HTTP/1.1 200", 0) == 0);
  CHECK(sse.received().find("text/event-stream") != std::string::npos);
  const auto id2 = w.publish(w.alice_id, "live");
  REQUIRE(sse.wait_for_text("\"live\"", 5s));
  auto events = sse_events(sse.received());
  REQUIRE(events.size() == 2);
  CHECK(events[0].first == id1);
  CHECK(events[1].first == id2);
  CHECK(events[1].second["title"] == "live");
  // Idle: a heartbeat comment comes (heartbeat_s is 2 here).
  const auto mark = sse.received().size();
  CHECK(sse.wait_for_text(": heartbeat", 5s, mark));

  // The ticket was used once: again it is refused; so is a made-up one.
  auto reused = http.get("/api/v1/notifications/stream?ticket=" + t);
  CHECK(reused.status == 401);
  CHECK(http.get("/api/v1/notifications/stream?ticket=" + std::string(64, 'a')).status == 401);

  // Reconnect with Last-Event-ID and a Bearer header: only what came after.
  const auto id3 = w.publish(w.alice_id, "after");
  HttpClient back(w.server->port(), 10s);
  back.connect();
  REQUIRE(
      back.send_raw("GET /api/v1/notifications/stream HTTP/1.1\r\nHost: x\r\nAuthorization: "
                    "Bearer " +
                    w.alice + "\r\nLast-Event-ID: " + id2 + "\r\n\r\n"));
  REQUIRE(back.wait_for_text("\"after\"", 5s));
  const auto replayed = sse_events(back.received());
  REQUIRE(replayed.size() == 1);
  CHECK(replayed[0].first == id3);
}

TEST_CASE("notify: a client that stops reading is cut off and never holds up the rest",
          "[e2e][notify]") {
  ServerOptions options;
  options.extra = {{"notify", {{"stream_buffer_bytes", 65536}}}};
  World w(options);
  const int port = w.server->port();
  // Never reads; its receive buffer fixed small, or the kernel would take the whole stream.
  WsClient slow(port, "/api/v1/notifications/ws", bearer(w.alice), std::chrono::seconds(10),
                64 * 1024);
  WsClient fast(port, "/api/v1/notifications/ws", bearer(w.alice));
  const std::string big(16 * 1024, 'x');
  // Far more than the slow client's buffer and its socket's: publishing stays quick.
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 300; ++i) {
    w.publish(w.alice_id, "n" + std::to_string(i), big);
    if (i % 10 == 0) {
      for (auto m = fast.read(1ms); m; m = fast.read(1ms)) {
      }
    }
  }
  const auto took = std::chrono::steady_clock::now() - started;
  INFO("300 publishes took " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count()
                             << " ms");
  CHECK(took < 60s);
  int fast_got = 0;
  while (fast.read(2s)) ++fast_got;
  // The fast reader got what was left after the reads above; count the total by ids instead.
  CHECK(!fast.closed());
  // The slow one was closed by the server (policy: too slow), which it sees once it reads.
  bool slow_closed = false;
  for (int i = 0; i < 1000 && !slow_closed; ++i) {
    if (!slow.read(50ms)) slow_closed = slow.closed();
  }
  CHECK(slow_closed);
  CHECK(w.server->client().get("/healthz").status == 200);
}

TEST_CASE("notify: streams close when the session is revoked, and when the server drains",
          "[e2e][notify]") {
  World w;
  auto http = w.server->client();
  WsClient ws(w.server->port(), "/api/v1/notifications/ws", bearer(w.alice));
  HttpClient sse(w.server->port(), 15s);
  sse.connect();
  REQUIRE(
      sse.send_raw("GET /api/v1/notifications/stream HTTP/1.1\r\nHost: x\r\nAuthorization: "
                   "Bearer " +
                   w.alice + "\r\n\r\n"));
  REQUIRE(sse.wait_for_text("retry:", 5s));
  // The admin disables Alice: her access tokens end, and so do her streams.
  REQUIRE(
      http.request("PATCH", "/api/v1/users/" + std::to_string(w.alice_id),
                   {{"Authorization", "Bearer " + w.admin}, {"Content-Type", "application/json"}},
                   R"({"status":"disabled"})")
          .status == 200);
  bool closed = false;
  for (int i = 0; i < 100 && !closed; ++i) {
    if (!ws.read(100ms)) closed = ws.closed();
  }
  CHECK(closed);
  CHECK(sse.wait_for_close(10s));

  // Bob's stream is closed by a drain, with "going away", and the server exits 0 at once.
  WsClient bob(w.server->port(), "/api/v1/notifications/ws", bearer(w.bob));
  const auto started = std::chrono::steady_clock::now();
  w.server->process().signal(SIGTERM);
  bool bob_closed = false;
  for (int i = 0; i < 100 && !bob_closed; ++i) {
    if (!bob.read(100ms)) bob_closed = bob.closed();
  }
  CHECK(bob_closed);
  CHECK(bob.close_code() == 1001);
  auto exit_code = w.server->process().wait_for_exit(10s);
  REQUIRE(exit_code);
  CHECK(*exit_code == 0);
  CHECK(std::chrono::steady_clock::now() - started < 8s);
}

TEST_CASE("notify: two replicas on PostgreSQL deliver each other's notifications",
          "[e2e][notify]") {
  TestDatabase pg(carehub::Backend::kPostgres);
  TempDir keys;  // both replicas sign and verify with the same keys
  ServerOptions a_options;
  a_options.database_url = pg.url();
  a_options.extra = {{"auth", {{"keys_dir", keys.path()}}}};
  World w(a_options);
  // Replica B: the same database and keys directory, its own port.
  ServerOptions b_options;
  b_options.database_url = pg.url();
  b_options.migrate = false;
  b_options.extra = {
      {"auth",
       {{"keys_dir", keys.path()}, {"password_memory_kib", 8192}, {"password_iterations", 1}}}};
  ServerUnderTest b(b_options);
  WsClient on_a(w.server->port(), "/api/v1/notifications/ws", bearer(w.alice));
  WsClient on_b(b.port(), "/api/v1/notifications/ws", bearer(w.alice));
  const auto from_b = w.publish(w.alice_id, "committed on B", "b", &b);
  CHECK(next_json(on_a)["id"] == from_b);
  CHECK(next_json(on_b)["id"] == from_b);
  const auto from_a = w.publish(w.alice_id, "committed on A");
  CHECK(next_json(on_b)["id"] == from_a);
  CHECK(next_json(on_a)["id"] == from_a);
  CHECK_FALSE(on_a.read(300ms).has_value());  // once each
}
