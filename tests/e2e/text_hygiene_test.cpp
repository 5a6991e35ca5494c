// Issue 17, finding 7: control characters (NUL, BEL, ESC, CR, LF ...) in the text people enter
// are refused with 422 naming the field, and nothing is stored; text over lines (comments,
// notes, literals) keeps TAB, LF and CR LF. Route family by family, on SQLite.
#include <catch2/catch.hpp>

#include "e2e/empi_support.hpp"

using namespace carehub::test;
using namespace carehub::test::empi;
using namespace std::string_literals;

namespace {

const std::string kBoundary = "text-boundary-81d0";

std::int64_t count(ServerUnderTest& server, const std::string& sql) {
  auto db = open_test_database(server.database_url());
  return db->transact([&](carehub::Tx& tx) { return tx.query_one(sql)->integer(0); },
                      carehub::TxMode::kRead);
}

std::string message_of(const HttpResponse& r) {
  return r.json()["error"]["message"].get<std::string>();
}

// A 422 whose message starts with the field's name.
void refused(const HttpResponse& r, const std::string& field) {
  INFO(r.summary());
  REQUIRE(r.status == 422);
  CHECK(r.json()["error"]["code"] == "validation_failed");
  CHECK(message_of(r).starts_with(field + " must not contain control characters (U+"));
}

}  // namespace

TEST_CASE("text hygiene: EMPI records and CSV rows and comments refuse control characters",
          "[e2e][hygiene][empi]") {
  auto server = started_server({});
  auto http = server->client(std::chrono::seconds(30));
  const auto admin = login(http, kAdmin);
  add_user(http, admin, "member@clinic.example", {"member"});
  const auto member = login(http, "member@clinic.example");
  const nlohmann::json good = {{"data_source", "clinic"}, {"source_person_id", "p-1"},
                               {"first_name", "Ann"},     {"last_name", "Smith"},
                               {"address", "1 High St"},  {"birth_date", "1980-01-01"}};
  const std::vector<std::pair<std::string, std::string>> bad = {{"first_name", "Ann\x1b[31m"},
                                                                {"last_name", "Smith\0"s},
                                                                {"data_source", "cl\ainic"},
                                                                {"address", "1 High St\x1b[2K"},
                                                                {"city", "Town\xC2\x9B"},
                                                                {"source_person_id", "p\t1"},
                                                                {"county", "\x7f"},
                                                                {"state", "nsw\n"}};
  for (const auto& [field, value] : bad) {
    auto record = good;
    record[field] = value;
    for (const char* route : {"/api/v1/person-records", "/api/v1/person-records/match"})
      refused(http.post_json(route, record, bearer(member)), field);
  }
  CHECK(count(*server, "SELECT COUNT(*) FROM empi_records") == 0);
  // An address may span lines (it is stored normalised to one): past the check, no model yet.
  auto two_lines = good;
  two_lines["address"] = "1 High St\r\nFlat 2";
  CHECK(http.post_json("/api/v1/person-records/match", two_lines, bearer(member)).status == 409);

  // An import: rows with control characters are bad rows naming the line and column.
  auto config = http.post_json("/api/v1/config",
                               {{"potential_match_threshold", 0.5}, {"auto_match_threshold", 0.9}},
                               bearer(member));
  REQUIRE(config.status == 200);
  std::string csv = febrl_head(40);
  csv += "febrl,x-1,ann,smith\x1b[2J,f,,19800101,,,1 a st,town,nsw,2000,,\n";      // line 42
  csv += "febrl,x-2,\"ann\nmarie\",smith,f,,19800101,,,1 a st,town,nsw,2000,,\n";  // 43-44
  csv += "febrl,x-3,ann,smith,f,,19800101,,,1 a st,to\rwn,nsw,2000,,\n";  // a lone CR ends a record
  csv += "febrl,x-4,ann,smith,f,,19800101,,,1 a st,to\twn,nsw,2000,,\n";  // line 47
  csv += "febrl,x-5,ann,smith,f,,19800101,,,1 a st,town,nsw,\xC3(,,\n";   // line 48: not UTF-8
  auto started = import(http, member, csv, config.json()["config_id"]);
  REQUIRE(started.status == 200);
  const auto job = wait_for_job(http, member, started.json()["job_id"]);
  INFO(job.dump());
  REQUIRE(job["state"] == "succeeded");
  const auto& errors = job["result"]["errors"];
  REQUIRE(errors.size() >= 5);
  CHECK(errors[0]["line"] == 42);
  CHECK(errors[0]["error"] ==
        "column 4 (last_name) must not contain control characters (U+001B at byte 6)");
  CHECK(errors[1]["line"] == 43);
  CHECK(errors[1]["error"] ==
        "column 3 (first_name) must not contain control characters (U+000A at byte 4)");
  bool tab = false, utf8 = false;
  for (const auto& e : errors) {
    tab = tab ||
          e["error"] == "column 11 (city) must not contain control characters (U+0009 at byte 3)";
    utf8 = utf8 || e["error"] ==
                       "column 13 (zip_code) must be UTF-8 text (a malformed byte at "
                       "byte 1)";
  }
  CHECK(tab);
  CHECK(utf8);
  CHECK(job["result"]["bad_rows"] == 6);
  CHECK(count(*server, "SELECT COUNT(*) FROM empi_records WHERE source_person_id LIKE 'x-%'") == 0);

  // Comments are text over lines: LF passes (the records do not exist: 404), ESC does not.
  auto lines = http.post_json(
      "/api/v1/do-not-link",
      {{"person_record_ids", {"999998", "999999"}}, {"comment", "one\ntwo\tthree\r\nfour"}},
      bearer(member));
  CHECK(lines.status == 404);
  refused(http.post_json("/api/v1/do-not-link",
                         {{"person_record_ids", {"999998", "999999"}}, {"comment", "a\x1b[8m"}},
                         bearer(member)),
          "comment");
  refused(http.post_json("/api/v1/matches",
                         {{"potential_match_id", "1"},
                          {"potential_match_version", 0},
                          {"person_updates", {{{"new_person_record_ids", {"1"}}}}},
                          {"comments", {{{"person_record_id", "1"}, {"comment", "a\rb"}}}}},
                         bearer(member)),
          "each comment");
  CHECK(count(*server, "SELECT COUNT(*) FROM empi_comments") == 0);
}

TEST_CASE("text hygiene: account names and logins and token names refuse control characters",
          "[e2e][hygiene][auth]") {
  auto server = started_server({});
  auto http = server->client();
  const auto admin = login(http, kAdmin);
  const auto users = count(*server, "SELECT COUNT(*) FROM users");
  refused(http.post_json("/api/v1/users",
                         {{"email", "ann@clinic.example"}, {"first_name", "Ann\x1b]0;owned\a"}},
                         bearer(admin)),
          "first_name");
  refused(
      http.post_json("/api/v1/users", {{"email", "ann@clinic.example"}, {"last_name", "Smith\r"}},
                     bearer(admin)),
      "last_name");
  auto username = http.post_json("/api/v1/users", {{"username", "ann\0"s}}, bearer(admin));
  INFO(username.summary());
  CHECK(username.status == 422);
  CHECK(message_of(username).find("control characters") != std::string::npos);
  auto email =
      http.post_json("/api/v1/users", {{"email", "ann\xC2\x85@clinic.example"}}, bearer(admin));
  CHECK(email.status == 422);
  CHECK(count(*server, "SELECT COUNT(*) FROM users") == users);

  const auto id = add_user(http, admin, "zoe@clinic.example", {"member"});
  const auto path = "/api/v1/users/" + std::to_string(id);
  auto ok = http.request("PATCH", path, with(bearer(admin), "Content-Type", "application/json"),
                         nlohmann::json{{"first_name", "Zoë"}, {"last_name", "Ñúñez-Łódź"}}.dump());
  REQUIRE(ok.status == 200);
  refused(http.request("PATCH", path, with(bearer(admin), "Content-Type", "application/json"),
                       nlohmann::json{{"last_name", "Ñúñez\n[admin]"}}.dump()),
          "last_name");
  const auto zoe = login(http, "zoe@clinic.example");
  refused(http.request("PATCH", "/api/v1/auth/me",
                       with(bearer(zoe), "Content-Type", "application/json"),
                       nlohmann::json{{"first_name", "Zo\x07"}}.dump()),
          "first_name");
  const auto me = http.get("/api/v1/auth/me", bearer(zoe)).json();
  CHECK(me["first_name"] == "Zoë");
  CHECK(me["last_name"] == "Ñúñez-Łódź");

  const auto tokens = http.get("/api/v1/tokens", bearer(admin)).json()["tokens"].size();
  refused(http.post_json("/api/v1/tokens", {{"name", "ci\nbot"}, {"scopes", {"empi:read"}}},
                         bearer(admin)),
          "name");
  CHECK(http.get("/api/v1/tokens", bearer(admin)).json()["tokens"].size() == tokens);
}

TEST_CASE(
    "text hygiene: a case's patient and groups and documents and the literals refuse "
    "control characters",
    "[e2e][hygiene][cases]") {
  auto server = started_server({});
  auto http = server->client();
  const auto admin = login(http, kAdmin);
  add_user(http, admin, "pat@clinic.example", {"patient"});
  const auto pat = login(http, "pat@clinic.example");
  for (const auto& name : {"Ana\x1b[2J"s, "Ana\0"s, "Ana\r\nRuiz"s, "Ana\tRuiz"s})
    refused(http.post_json("/api/v1/cases", {{"patient", {{"name", name}}}}, bearer(pat)),
            "patient.name");
  CHECK(count(*server, "SELECT COUNT(*) FROM cases") == 0);

  auto created =
      http.post_json("/api/v1/cases", {{"patient", {{"name", "Ana Ruiz"}}}}, bearer(pat));
  REQUIRE(created.status == 201);
  const std::string base = "/api/v1/cases/" + created.json()["id"].get<std::string>();
  refused(http.request("PATCH", base, with(bearer(pat), "Content-Type", "application/json"),
                       nlohmann::json{{"patient", {{"name", "Ana\aRuiz"}}}}.dump()),
          "patient.name");
  CHECK(http.get(base, bearer(pat)).json()["patient"]["name"] == "Ana Ruiz");

  // Notes are text over lines.
  const nlohmann::json note = {{"date", "2024-01-01"}, {"text", "line one\nline\ttwo\r\nthree"}};
  auto notes = http.put_json(base + "/groups/notes", {{"data", {note}}}, bearer(pat));
  REQUIRE(notes.status == 200);
  auto bad_note = http.put_json(base + "/groups/notes",
                                {{"data", {note, {{"text", "hidden\rshown"}}}}}, bearer(pat));
  INFO(bad_note.summary());
  REQUIRE(bad_note.status == 422);
  CHECK(message_of(bad_note).starts_with("notes[1].text must not contain control characters"));
  auto bad_key =
      http.put_json(base + "/groups/timeline", {{"data", {{{"ev\x1bnt", "x"}}}}}, bearer(pat));
  CHECK(bad_key.status == 422);
  CHECK(message_of(bad_key).starts_with("timeline[0] has a key that must not contain"));
  const auto stored = http.get(base + "/groups/notes", bearer(pat)).json();
  CHECK(stored["version"] == 1);
  CHECK(stored["data"] == nlohmann::json{note});
  CHECK(http.get(base + "/groups/timeline", bearer(pat)).json()["version"] == 0);

  // Document names, from the query and from a form.
  refused(http.request("POST", base + "/documents?name=scan%1B%5B31m.pdf",
                       with(bearer(pat), "Content-Type", "application/pdf"), "%PDF-1.4"),
          "the document's name");
  const std::string form = "--" + kBoundary +
                           "\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nscan\x07.pdf"
                           "\r\n--" +
                           kBoundary +
                           "\r\nContent-Disposition: form-data; name=\"file\"; "
                           "filename=\"scan.pdf\"\r\n\r\n%PDF-1.4\r\n--" +
                           kBoundary + "--\r\n";
  refused(
      http.request("POST", base + "/documents",
                   with(bearer(pat), "Content-Type", "multipart/form-data; boundary=" + kBoundary),
                   form),
      "the document's name");
  auto bad_utf8 = http.request("POST", base + "/documents?name=scan%C3.pdf",
                               with(bearer(pat), "Content-Type", "application/pdf"), "%PDF-1.4");
  CHECK(bad_utf8.status == 422);
  CHECK(http.get(base + "/documents", bearer(pat)).json()["documents"].empty());

  // Literals become notification titles and error answers.
  const auto before = http.get("/api/v1/i18n/literals?lang=en").json()["literals"];
  auto literal = http.put_json(
      "/api/v1/i18n/literals",
      {{"lang", "en"}, {"literals", {{"notification.invitation.title", "New case\x1b[5m"}}}},
      bearer(admin));
  INFO(literal.summary());
  REQUIRE(literal.status == 422);
  CHECK(message_of(literal).starts_with(
      "literals.notification.invitation.title must not contain control characters"));
  CHECK(http.get("/api/v1/i18n/literals?lang=en").json()["literals"] == before);
  CHECK(http.put_json("/api/v1/i18n/literals",
                      {{"lang", "en"}, {"literals", {{"welcome.body", "Hello,\nwelcome."}}}},
                      bearer(admin))
            .status == 200);
}

TEST_CASE("text hygiene: tracing comments and device names refuse control characters",
          "[e2e][hygiene][tracing]") {
  auto server = started_server({});
  auto http = server->client();
  const auto admin = login(http, kAdmin);
  add_user(http, admin, "medic@clinic.example", {"user", "medical"});
  const auto medic = login(http, "medic@clinic.example");
  const auto today = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
  refused(
      http.post_json(
          "/api/v1/tracing/status-changes",
          {{"status_id", 2}, {"status_changed_on", today}, {"comment", "positive\x1b[8m hidden"}},
          bearer(medic)),
      "comment");
  CHECK(count(*server, "SELECT COUNT(*) FROM tracing_codes") == 0);
  auto lines = http.post_json(
      "/api/v1/tracing/status-changes",
      {{"status_id", 2}, {"status_changed_on", today}, {"comment", "PCR positive\nday 2"}},
      bearer(medic));
  INFO(lines.summary());
  CHECK(lines.status == 201);

  refused(http.post_json("/api/v1/notifications/devices",
                         {{"platform", "fcm"}, {"token", "abcdef123456"}, {"app", "clinic\x1b"}},
                         bearer(medic)),
          "app");
  CHECK(http.get("/api/v1/notifications/devices", bearer(medic)).json()["devices"].empty());
}
