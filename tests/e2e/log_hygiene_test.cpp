// Issue 17, finding 6: what a client sends never reaches the server's log, a job's record or the
// audit trail. A unique made-up patient name is planted in every kind of bad input the server
// takes (CSV imports without a header and with broken rows, malformed and ill-typed JSON on every
// module, non-DICOM, truncated and invalid DICOM over HTTP and C-STORE, broken multipart bodies,
// bad query strings, path parameters and a bad login name); then the whole log output, every job
// (state, progress, last_error, result) and every audit event are searched for it. The error
// answers themselves must not quote it either: they say what is wrong and what is expected.
#include <algorithm>
#include <catch2/catch.hpp>
#include <sstream>

#include "carehub/hash.hpp"
#include "e2e/dicom_support.hpp"
#include "e2e/empi_support.hpp"

using namespace carehub::test;
using namespace carehub::test::dicom;
using namespace carehub::test::empi;

namespace {

const std::string kBoundary = "hygiene-boundary-5c2e";

class Planter {
 public:
  Planter(ServerUnderTest& server, std::string marker)
      : server_(server),
        http_(server.client(std::chrono::seconds(30))),
        marker_(std::move(marker)) {}

  HttpClient& http() { return http_; }
  const std::string& marker() const { return marker_; }

  // Sends a search that is answered (a filter that does not normalise is matched as text, not
  // refused): found nothing, and its answer must not quote the marker.
  void searched(const std::string& target, const HttpHeaders& headers) {
    auto r = http_.request("GET", target, headers, {});
    INFO("GET " << target << " -> " << r.summary());
    CHECK(r.status == 200);
    CHECK(r.json()["total"] == 0);
    CHECK(r.body.find(marker_) == std::string::npos);
  }
  // Sends a request that must be refused; its answer must not quote the marker.
  HttpResponse refused(const std::string& method, const std::string& target,
                       const HttpHeaders& headers, const std::string& body = {}) {
    auto r = http_.request(method, target, headers, body);
    INFO(method << " " << target << " -> " << r.summary());
    CHECK(r.status >= 400);
    CHECK(r.body.find(marker_) == std::string::npos);
    return r;
  }
  // token "": no Authorization header.
  HttpResponse json(const std::string& method, const std::string& target, const std::string& token,
                    const std::string& body) {
    return refused(
        method, target,
        with(token.empty() ? HttpHeaders{} : bearer(token), "Content-Type", "application/json"),
        body);
  }
  HttpResponse json(const std::string& method, const std::string& target, const std::string& token,
                    const nlohmann::json& body) {
    return json(method, target, token, body.dump());
  }
  // The same body cut short, so it is no longer JSON.
  HttpResponse broken_json(const std::string& target, const std::string& token,
                           const nlohmann::json& body) {
    const auto text = body.dump();
    return json("POST", target, token, text.substr(0, text.size() - 2));
  }

 private:
  ServerUnderTest& server_;
  HttpClient http_;
  std::string marker_;
};

std::string import_job(HttpClient& http, const std::string& token, const std::string& csv,
                       const std::string& config_id) {
  auto r = import(http, token, csv, config_id);
  INFO(r.summary());
  REQUIRE(r.status == 200);
  return r.json()["job_id"];
}

void plant_in_empi(Planter& p, const std::string& admin) {
  auto& http = p.http();
  const auto& m = p.marker();
  add_user(http, admin, "member@clinic.example", {"member"});
  const auto member = login(http, "member@clinic.example");
  auto config = http.post_json("/api/v1/config",
                               {{"potential_match_threshold", 0.5}, {"auto_match_threshold", 0.9}},
                               bearer(member));
  REQUIRE(config.status == 200);
  const std::string config_id = config.json()["config_id"];

  // A CSV whose header row is missing: its first row is a patient (the name first, as some
  // exports have it).
  const std::string patient = m + "," + m + "-1,febrl,Smith,f,,19800101,,,1 a st,town,nsw,,,";
  const auto headless = wait_for_job(
      http, admin, import_job(http, member, patient + "\n" + patient + "\n", config_id));
  CHECK(headless["state"] == "dead");
  // A CSV with a header and broken rows among good ones.
  std::string csv = febrl_head(40);
  csv += "febrl," + m + "-2," + m + ",smith\n";                                    // too few fields
  csv += "febrl," + m + "-3," + m + ",smith,f,," + m + ",,,1 a st,town,nsw,,,\n";  // a bad date
  csv += "febrl," + m + "-4," + m + "\x1b[31m,smith,f,,19800101,,,1 a st,town,nsw,,,\n";
  csv += "febrl," + m + "-5,\"" + m + "\"x,smith,f,,19800101,,,1 a st,town,nsw,,,\n";
  csv += "febrl," + m + "-6," + m + std::string(1, '\0') + ",smith,f,,19800101,,,,,,,,\n";
  csv += "febrl,," + m + ",smith,f,,19800101,,,1 a st,town,nsw,,,\n";  // no source_person_id
  csv += "febrl," + m + "-7,\"" + m + ",smith,f,,19800101\n";          // never closed
  const auto broken = wait_for_job(http, admin, import_job(http, member, csv, config_id));
  INFO(broken.dump());
  CHECK(broken["state"] == "succeeded");
  CHECK(broken["result"]["bad_rows"].get<int>() >= 6);
  // A multipart body that ends early.
  p.refused(
      "POST", "/api/v1/person-records/import",
      with(bearer(member), "Content-Type", "multipart/form-data; boundary=" + kImportBoundary),
      import_form(patient, config_id).substr(0, 200));

  // JSON: malformed, ill-typed, invalid values.
  const nlohmann::json record = {{"data_source", "febrl"}, {"source_person_id", m},
                                 {"first_name", m},        {"last_name", "smith"},
                                 {"birth_date", m},        {"config_id", config_id}};
  for (const char* route : {"/api/v1/person-records", "/api/v1/person-records/match"}) {
    p.json("POST", route, member, record);
    p.broken_json(route, member, record);
    auto typed = record;
    typed["birth_date"] = 19800101;
    p.json("POST", route, member, typed);
    p.json("POST", route, member, nlohmann::json{{"first_name", {m}}});
  }
  p.json("POST", "/api/v1/config", member, nlohmann::json{{"potential_match_threshold", m}});
  p.json("POST", "/api/v1/matches", member,
         nlohmann::json{{"potential_match_id", m}, {"potential_match_version", 1}});
  p.json("POST", "/api/v1/matches", member,
         nlohmann::json{{"potential_match_id", "1"},
                        {"potential_match_version", 0},
                        {"person_updates", {{{"id", m}}}}});
  p.json("POST", "/api/v1/persons/merge", member,
         nlohmann::json{{"persons", {{{"id", m}, {"version", 1}}, {{"id", m}, {"version", 1}}}}});
  p.json("POST", "/api/v1/persons/" + m + "/split", member,
         nlohmann::json{{"version", 1}, {"person_record_ids", {"1"}}, {"comment", m}});
  p.json("POST", "/api/v1/do-not-link", member,
         nlohmann::json{{"person_record_ids", {m, "2"}}, {"comment", m}});
  // Query strings and path parameters.
  for (const std::string& q : {"limit=" + m, "offset=" + m, "first_name=" + m + "&limit=0"}) {
    p.refused("GET", "/api/v1/persons?" + q, bearer(member));
    p.refused("GET", "/api/v1/potential-matches?" + q, bearer(member));
  }
  p.searched("/api/v1/persons?birth_date=" + m, bearer(member));
  p.searched("/api/v1/potential-matches?birth_date=" + m, bearer(member));
  p.refused("GET", "/api/v1/potential-matches?max_match_probability=" + m, bearer(member));
  p.refused("GET", "/api/v1/persons/" + m, bearer(member));
  p.refused("GET", "/api/v1/persons/" + m + "/history", bearer(member));
  p.refused("GET", "/api/v1/potential-matches/" + m, bearer(member));
  p.json("POST", "/api/v1/match-events/" + m + "/undo", member, nlohmann::json::object());
  p.refused("GET", "/api/v1/jobs/" + m, bearer(member));
}

void plant_in_auth(Planter& p, const std::string& admin) {
  const auto& m = p.marker();
  // A sign-in with a login no one has, and sign-ins that are not JSON or not strings.
  p.json("POST", "/api/v1/auth/login", "",
         nlohmann::json{{"email", m + "@clinic.example"}, {"password", "a long admin passphrase"}});
  p.json("POST", "/api/v1/auth/login", "", nlohmann::json{{"username", m}, {"password", m}});
  p.broken_json("/api/v1/auth/login", "", {{"email", m + "@clinic.example"}, {"password", m}});
  p.json("POST", "/api/v1/auth/login", "", nlohmann::json{{"email", {m}}, {"password", 1}});
  p.json("POST", "/api/v1/auth/refresh", "", nlohmann::json{{"refresh_token", m}});
  p.json("POST", "/api/v1/auth/reset-password", "", nlohmann::json{{"token", m}, {"password", m}});
  p.json("POST", "/api/v1/auth/register", "",
         nlohmann::json{{"email", m + "@clinic.example"}, {"password", m}, {"role", "patient"}});
  // Accounts and tokens.
  p.json("POST", "/api/v1/users", admin, nlohmann::json{{"email", m}, {"password", m}});
  p.json("POST", "/api/v1/users", admin, nlohmann::json{{"username", m + " " + m}});
  p.json("POST", "/api/v1/users", admin,
         nlohmann::json{{"email", m + "@clinic.example"}, {"roles", {m}}, {"first_name", m}});
  p.json("POST", "/api/v1/users", admin,
         nlohmann::json{{"email", m + "@clinic.example"}, {"language", m}, {"last_name", m}});
  p.broken_json("/api/v1/users", admin, {{"email", m + "@clinic.example"}, {"first_name", m}});
  p.json("PATCH", "/api/v1/auth/me", admin, nlohmann::json{{"first_name", {m}}});
  p.json("PATCH", "/api/v1/auth/me", admin, nlohmann::json{{"language", m}});
  p.json("PATCH", "/api/v1/users/" + m, admin, nlohmann::json{{"first_name", m}});
  p.json("POST", "/api/v1/tokens", admin, nlohmann::json{{"name", m}, {"scopes", {m}}});
  p.json("POST", "/api/v1/tokens", admin, nlohmann::json{{"name", m}, {"expires_in", m}});
  p.refused("GET", "/api/v1/users?limit=" + m, bearer(admin));
  p.refused("GET", "/api/v1/users/" + m, bearer(admin));
  p.refused("DELETE", "/api/v1/tokens/" + m, bearer(admin));
  p.refused("GET", "/api/v1/auth/me", bearer(m));
}

void plant_in_cases(Planter& p, const std::string& admin) {
  auto& http = p.http();
  const auto& m = p.marker();
  add_user(http, admin, "pat@clinic.example", {"patient"});
  const auto pat = login(http, "pat@clinic.example");
  auto created =
      http.post_json("/api/v1/cases", {{"patient", {{"name", "Ana Ruiz"}}}}, bearer(pat));
  REQUIRE(created.status == 201);
  const std::string base = "/api/v1/cases/" + created.json()["id"].get<std::string>();
  p.json("POST", "/api/v1/cases", pat, nlohmann::json{{"patient", {{"name", 7}}}});
  p.json("POST", "/api/v1/cases", pat,
         nlohmann::json{{"patient", {{"name", m}, {"birth_date", m}}}});
  p.json("POST", "/api/v1/cases", pat, nlohmann::json{{"patient", {{"name", m}, {"gender", m}}}});
  p.broken_json("/api/v1/cases", pat, {{"patient", {{"name", m}}}});
  p.json("PATCH", base, pat, nlohmann::json{{"patient", {{"name", m}}}, {"version", m}});
  p.json("PUT", base + "/groups/phenotype", pat,
         nlohmann::json{{"data", {{"terms", {{{"id", m}, {"name", m}}}}}}});
  p.json("PUT", base + "/groups/notes", pat, nlohmann::json{{"data", {m}}});
  p.json("PUT", base + "/groups/" + m, pat, nlohmann::json{{"data", nlohmann::json::array()}});
  // (An address with no account is no longer bad input: it is invited, invitations_test.cpp.)
  p.json("POST", base + "/shares", pat, nlohmann::json{{"email", m}});
  p.json("POST", base + "/shares", pat, nlohmann::json{{"email", m + " x@clinic.example"}});
  p.json("POST", base + "/shares", pat,
         nlohmann::json{{"email", m + "@clinic.example\r\nRCPT TO:<x@y.example>"}});
  p.refused("GET", "/api/v1/cases/" + m, bearer(pat));
  p.refused("GET", base + "/documents/" + m, bearer(pat));
  p.refused("POST", base + "/documents",
            with(bearer(pat), "Content-Type", "multipart/form-data; boundary=" + kBoundary),
            "--" + kBoundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" +
                m + ".pdf\"\r\n\r\n" + m);
  p.refused("POST", base + "/documents?name=" + m + "%1B%5B31m",
            with(bearer(pat), "Content-Type", "application/pdf"), m);
  p.refused("GET", "/api/v1/i18n/literals?lang=" + m, {});
  p.refused("GET", "/api/v1/i18n/documents/" + m + "?lang=en", {});
  p.json("PUT", "/api/v1/i18n/literals", admin,
         nlohmann::json{{"lang", "en"}, {"literals", {{"greeting", {m}}}}});
}

void plant_in_tracing(Planter& p, const std::string& admin) {
  auto& http = p.http();
  const auto& m = p.marker();
  add_user(http, admin, "medic@clinic.example", {"user", "medical"});
  const auto medic = login(http, "medic@clinic.example");
  p.json("POST", "/api/v1/tracing/status-changes", medic,
         nlohmann::json{{"status_id", 2}, {"status_changed_on", m}, {"comment", m}});
  p.json("POST", "/api/v1/tracing/status-changes", medic,
         nlohmann::json{{"status_id", m}, {"status_changed_on", "2024-01-01"}});
  p.broken_json("/api/v1/tracing/status-changes", medic, {{"status_id", 2}, {"comment", m}});
  p.json("POST", "/api/v1/tracing/status-changes/accept", medic,
         nlohmann::json{{"medical_code", m}});
  p.json("POST", "/api/v1/tracing/status-changes/accept", medic,
         nlohmann::json{{"medical_code", "x"}, {"meetings", {{{"token", m}, {"timestamp", m}}}}});
  p.json("POST", "/api/v1/tracing/medical/register", medic,
         nlohmann::json{{"health_security_id", m}});
  p.json("PUT", "/api/v1/tracing/users/" + m + "/status", admin, nlohmann::json{{"status_id", 2}});
  p.refused("GET", "/api/v1/tracing/history?limit=" + m, bearer(medic));
  p.refused("GET", "/api/v1/tracing/recommendations?lang=en&status_id=" + m, bearer(medic));
  p.refused("GET", "/api/v1/notifications?since=" + m, bearer(medic));
  p.json("POST", "/api/v1/notifications/devices", medic,
         nlohmann::json{{"platform", m}, {"token", m}, {"app", m}});
}

void plant_in_dicom(Planter& p, ServerUnderTest& server, const std::string& admin) {
  auto& http = p.http();
  const auto& m = p.marker();
  const auto token = api_token(http, admin, {"dicom:write", "dicom:read"});
  // An instance whose Series Instance UID is the name, and one cut short.
  const auto dir = server.dir() + "/planted";
  write_file(dir + ".json",
             nlohmann::json{{{"file", "bad-uid"}, {"patient_name", m}, {"series_uid", m}},
                            {{"file", "whole"}, {"patient_name", m}, {"patient_id", m}}}
                 .dump());
  const auto made = dicom_tool({"make", dir, dir + ".json"});
  INFO(describe(made));
  REQUIRE(made.exit_code == 0);
  const auto bad_uid = read_file(dir + "/bad-uid");
  const auto whole = read_file(dir + "/whole");
  const auto truncated = whole.substr(0, whole.size() / 3);
  const HttpHeaders dicom_type = with(bearer(token), "Content-Type", "application/dicom");
  for (const auto& body : {m + " is not DICOM", bad_uid, truncated})
    p.refused("POST", "/api/v1/dicom/instances", dicom_type, body);
  const auto stow_type =
      with(bearer(token), "Content-Type",
           "multipart/related; type=\"application/dicom\"; boundary=" + kBoundary);
  p.refused("POST", "/dicom-web/studies", stow_type,
            stow_body({m + " is not DICOM", bad_uid, truncated}, kBoundary));
  p.refused("POST", "/dicom-web/studies", stow_type,
            "--" + kBoundary + "\r\nContent-Type: " + m + "\r\n\r\n" + m + "\r\n--" + kBoundary +
                "--\r\n");
  p.refused("POST", "/dicom-web/studies", stow_type, "--" + kBoundary + "\r\n" + m);
  p.refused("POST", "/dicom-web/studies/" + m, stow_type, stow_body({whole}, kBoundary));
  // C-STORE: the refusal is logged.
  storescu(server, dir + "/bad-uid");
  // Searches and paths.
  for (const std::string& q : {"StudyInstanceUID=" + m, "StudyInstanceUID=1.2," + m,
                               "includefield=" + m, "limit=" + m, "StudyDate=" + m})
    p.refused("GET", "/dicom-web/studies?" + q, bearer(token));
  p.refused("GET", "/dicom-web/series?SeriesInstanceUID=" + m, bearer(token));
  p.refused("GET", "/api/v1/dicom/studies?limit=" + m, bearer(token));
  p.refused("GET", "/api/v1/dicom/studies?study_date=" + m, bearer(token));
  p.refused("GET", "/dicom-web/studies/" + m + "/metadata", bearer(token));
  p.refused("GET", "/dicom-web/studies/1.2.3/series/4.5/instances/6.7/frames/" + m, bearer(token));
  p.refused("DELETE", "/api/v1/dicom/studies/" + m, bearer(admin));
}

std::vector<carehub::JobInfo> all_jobs(carehub::Database& db, JobProbe& probe) {
  std::vector<carehub::JobInfo> out;
  const auto rows = db.transact([](carehub::Tx& tx) { return tx.query("SELECT id FROM jobs"); },
                                carehub::TxMode::kRead);
  for (const auto& row : rows) {
    if (auto job = probe.get(row.integer(0))) out.push_back(std::move(*job));
  }
  return out;
}

// Every job the server recorded, as the job API shows it, and every audit event.
std::string jobs_and_audit(carehub::Database& db, JobProbe& probe) {
  std::string out;
  db.transact(
      [&](carehub::Tx& tx) {
        out.clear();
        for (const auto& row :
             tx.query("SELECT actor, action, resource_type, resource_id, outcome, request_id, "
                      "client_address, detail FROM audit_events")) {
          for (int i = 0; i < 8; ++i) out += row.text(i) + (i < 7 ? " | " : "\n");
        }
      },
      carehub::TxMode::kRead);
  for (const auto& job : all_jobs(db, probe)) out += job.to_json().dump() + "\n";
  return out;
}

// The lines of text holding what, one per line (empty when none does).
std::string lines_with(const std::string& text, const std::string& what) {
  std::string out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.find(what) != std::string::npos) out += line + "\n";
  }
  return out;
}

void run_log_hygiene(ServerOptions options) {
  options.extra.merge_patch({{"log", {{"level", "debug"}}}, {"jobs", {{"poll_interval_ms", 50}}}});
  auto server = dicom_server(std::move(options));
  Planter p(*server, "Zqxname" + carehub::random_hex(8));
  const auto admin = login(p.http(), kAdmin);
  plant_in_auth(p, admin);
  plant_in_empi(p, admin);
  plant_in_cases(p, admin);
  plant_in_tracing(p, admin);
  plant_in_dicom(p, *server, admin);

  // Jobs still running have their say in the log too.
  auto db = open_test_database(server->database_url());
  JobProbe probe(server->database_url());
  CHECK(eventually(
      [&] {
        const auto jobs = all_jobs(*db, probe);
        return std::none_of(jobs.begin(), jobs.end(), [](const carehub::JobInfo& j) {
          return j.state == carehub::JobState::kRunning;
        });
      },
      std::chrono::seconds(60)));
  const std::string stored = jobs_and_audit(*db, probe);
  REQUIRE(server->stop() == 0);
  const std::string log = server->server_stderr() + server->process().stdout_text();
  REQUIRE(log.find("\"event\":\"request\"") != std::string::npos);  // the log is really read
  REQUIRE(stored.find("\"state\":\"dead\"") != std::string::npos);  // and the jobs
  const auto in_log = lines_with(log, p.marker());
  INFO("log lines with the planted name:\n" << in_log);
  CHECK(in_log.empty());
  const auto in_stored = lines_with(stored, p.marker());
  INFO("jobs and audit events with the planted name:\n" << in_stored);
  CHECK(in_stored.empty());
}

}  // namespace

TEST_CASE(
    "log hygiene on SQLite: a name planted in any bad input is in no log line nor job nor "
    "audit event",
    "[e2e][hygiene]") {
  run_log_hygiene({});
}

TEST_CASE("log hygiene on PostgreSQL: the same", "[e2e][hygiene]") {
  carehub::test::TestDatabase pg(carehub::Backend::kPostgres);
  ServerOptions options;
  options.database_url = pg.url();
  run_log_hygiene(options);
}
