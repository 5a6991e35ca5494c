// The empi module in the real binary, on SQLite and on PostgreSQL: a config, a CSV import through
// multipart upload with bad rows reported by line, a re-import that stores nothing, a wrong
// header failing the job cleanly, persons and the crosswalk export (scored against the FEBRL
// truth), and who may call what.
#include <algorithm>
#include <catch2/catch.hpp>
#include <fstream>
#include <map>
#include <memory>
#include <regex>
#include <sstream>
#include <thread>

#include "e2e/empi_support.hpp"

using namespace carehub::test;
using namespace carehub::test::empi;

namespace {

// The first `people` persons (4 records each) of febrl_clean.csv, header included.
std::string febrl_sample(int people) {
  std::ifstream in(source_dir() + "/../shared/data/empi/febrl_clean.csv");
  REQUIRE(in.good());
  std::string line, out;
  std::getline(in, line);
  out = line + "\n";
  const std::regex rec(R"(rec-(\d+)-)");
  while (std::getline(in, line)) {
    std::smatch m;
    if (std::regex_search(line, m, rec) && std::stoi(m[1]) < people) out += line + "\n";
  }
  return out;
}

// The FEBRL row with this source_person_id, as the JSON record the real-time routes take.
nlohmann::json record_of(const std::string& csv, const std::string& source_person_id) {
  std::istringstream in(csv);
  std::string line, header;
  std::getline(in, header);
  const std::string prefix = "febrl," + source_person_id + ",";
  while (std::getline(in, line) && !line.starts_with(prefix)) {
  }
  REQUIRE(line.starts_with(prefix));
  nlohmann::json record;
  std::istringstream names(header), values(line);
  std::string name, value;
  while (std::getline(names, name, ',')) {
    std::getline(values, value, ',');
    record[name] = value;
  }
  return record;
}

// Pairwise F1 of the crosswalk against rec-N.
double crosswalk_f1(const std::string& csv) {
  std::istringstream in(csv);
  std::string line;
  std::getline(in, line);
  std::map<std::string, std::map<std::string, long>> by_person;
  std::map<std::string, long> by_truth;
  const std::regex rec(R"(rec-(\d+)-)");
  while (std::getline(in, line)) {
    const auto person = line.substr(0, line.find(','));
    std::smatch m;
    REQUIRE(std::regex_search(line, m, rec));
    ++by_person[person][m[1]];
    ++by_truth[m[1]];
  }
  auto pairs = [](long n) { return n * (n - 1) / 2; };
  long tp = 0, predicted = 0, actual = 0;
  for (auto& [p, truths] : by_person) {
    long n = 0;
    for (auto& [t, k] : truths) {
      tp += pairs(k);
      n += k;
    }
    predicted += pairs(n);
  }
  for (auto& [t, k] : by_truth) actual += pairs(k);
  const double precision = predicted ? double(tp) / predicted : 0, recall = double(tp) / actual;
  return precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0;
}

void run_empi_flow(ServerOptions options) {
  auto owned = started_server(std::move(options));
  ServerUnderTest& server = *owned;
  auto http = server.client(std::chrono::seconds(30));
  const auto admin = login(http, kAdmin);
  for (const auto& [email, role] : {std::pair{"member@clinic.example", "member"},
                                    std::pair{"doc@clinic.example", "physician"}}) {
    REQUIRE(http.post_json("/api/v1/users",
                           {{"email", email}, {"roles", {role}}, {"password", kPassword}},
                           bearer(admin))
                .status == 201);
  }
  const auto member = login(http, "member@clinic.example");
  const auto doctor = login(http, "doc@clinic.example");
  auto token = http.post_json("/api/v1/tokens", {{"name", "reader"}, {"scopes", {"empi:read"}}},
                              bearer(admin));
  REQUIRE(token.status == 201);
  const std::string reader = token.json()["token"];

  // Configs: validated, then an id.
  CHECK(http.post_json("/api/v1/config",
                       {{"potential_match_threshold", 0.9}, {"auto_match_threshold", 0.5}},
                       bearer(member))
            .status == 422);
  CHECK(http.post_json("/api/v1/config", {{"auto_match_threshold", 0.5}}, bearer(member)).status ==
        422);
  CHECK(http.request("POST", "/api/v1/config",
                     {{"Authorization", "Bearer " + member}, {"Content-Type", "application/json"}},
                     "{not json")
            .status == 400);
  auto bad_model = http.post_json("/api/v1/config",
                                  {{"potential_match_threshold", 0.5},
                                   {"auto_match_threshold", 0.9},
                                   {"model", {{"comparisons", {"first_name", "shoe_size"}}}}},
                                  bearer(member));
  CHECK(bad_model.status == 422);
  CHECK(bad_model.json()["error"]["message"].get<std::string>().find("shoe_size") !=
        std::string::npos);
  CHECK(http.post_json("/api/v1/config",
                       {{"potential_match_threshold", 0.5},
                        {"auto_match_threshold", 0.9},
                        {"splink_settings", {{"max_iterations", -3}}}},
                       bearer(member))
            .status == 422);
  // Tuva's splink_settings (its SQL kept, never run) and carehub's model settings.
  auto config = http.post_json(
      "/api/v1/config",
      {{"potential_match_threshold", 0.5},
       {"auto_match_threshold", 0.9},
       {"splink_settings",
        {{"blocking_rules_to_generate_predictions", {"l.first_name = r.first_name"}}}},
       {"model", {{"max_iterations", 40}, {"seed", 7}}}},
      bearer(member));
  INFO(config.summary());
  REQUIRE(config.status == 200);
  const std::string config_id = config.json()["config_id"];

  // Bad requests change nothing and say why.
  CHECK(http.request("POST", "/api/v1/person-records/import",
                     {{"Authorization", "Bearer " + member}, {"Content-Type", "text/csv"}}, "a,b")
            .status == 415);
  CHECK(import(http, member, "x", "999999").status == 422);
  CHECK(import(http, reader, "x", config_id).status == 403);
  CHECK(import(http, doctor, "x", config_id).status == 403);
  CHECK(http.get("/api/v1/persons").status == 401);

  // An import with three bad rows among 200 good ones (50 people); one good row is quoted.
  std::string csv = febrl_sample(50);
  const int good = static_cast<int>(std::count(csv.begin(), csv.end(), '\n')) - 1;
  csv += "febrl,rec-bad-1,only,three\n";                                       // line good + 2
  csv += ",rec-bad-2,ann,smith,f,,19800101,,,1 a street,town,nsw,2000,,\n";    // line good + 3
  csv += "febrl,rec-bad-3,ann,smith,f,,hello,,,1 a street,town,nsw,2000,,\n";  // line good + 4
  csv += "febrl,\"rec-q-1\",\"o'brien, jr\",kelly,m,,19700101,,,\"2 b\nroad\",x,vic,3000,,\n";
  auto started = import(http, member, csv, config_id);
  INFO(started.summary());
  REQUIRE(started.status == 200);
  auto job = wait_for_job(http, member, started.json()["job_id"]);
  INFO(job.dump());
  REQUIRE(job["state"] == "succeeded");
  const auto& result = job["result"];
  CHECK(result["rows"] == good + 4);
  CHECK(result["records_stored"] == good + 1);
  CHECK(result["bad_rows"] == 3);
  REQUIRE(result["errors"].size() == 3);
  CHECK(result["errors"][0]["line"] == good + 2);
  CHECK(result["errors"][1]["line"] == good + 3);
  CHECK(result["errors"][1]["error"] == "data_source is empty");
  CHECK(result["errors"][2]["line"] == good + 4);
  CHECK(result["errors"][2]["error"].get<std::string>().find("is not a date") != std::string::npos);
  CHECK(result["matching"]["persons_created"].get<int>() >= 50);
  // The job is the member's and the admin's to see; to anyone else it does not exist.
  const std::string job_path = "/api/v1/jobs/" + started.json()["job_id"].get<std::string>();
  CHECK(http.get(job_path, bearer(doctor)).status == 404);
  CHECK(http.get(job_path, bearer(admin)).status == 200);

  // The same file again: every row is already stored.
  auto again = wait_for_job(http, member, import(http, member, csv, config_id).json()["job_id"]);
  CHECK(again["result"]["records_stored"] == 0);
  CHECK(again["result"]["records_already_stored"] == good + 1);

  // A wrong header fails the job with a reason, storing nothing.
  auto wrong = wait_for_job(
      http, member, import(http, member, "name,dob\nann,1980\n", config_id).json()["job_id"]);
  CHECK(wrong["state"] == "dead");
  CHECK(wrong["last_error"].get<std::string>().find("column 1 of the first row is not a column "
                                                    "name") != std::string::npos);

  // The crosswalk groups the FEBRL people correctly.
  auto exported = http.request("POST", "/api/v1/person-records/export", bearer(reader), "");
  REQUIRE(exported.status == 200);
  CHECK(exported.header("content-type").value_or("").starts_with("text/csv"));
  std::string febrl_only;
  {
    std::istringstream in(exported.body);
    std::string line;
    std::getline(in, line);
    febrl_only = line + "\n";
    while (std::getline(in, line)) {
      if (line.find(",rec-q-1,") == std::string::npos && line.find("rec-") != std::string::npos)
        febrl_only += line + "\n";
    }
  }
  CHECK(crosswalk_f1(febrl_only) >= 0.9);
  CHECK(exported.body.find("\"o'brien jr\"") == std::string::npos);  // normalised, not quoted

  // Persons: search, read, 404.
  auto sources = http.get("/api/v1/data-sources", bearer(reader));
  REQUIRE(sources.status == 200);
  CHECK(sources.json()["data_sources"] == nlohmann::json::array({{{"name", "febrl"}}}));
  auto found = http.get("/api/v1/persons?source_person_id=rec-0-dup-0", bearer(member));
  INFO(found.summary());
  REQUIRE(found.status == 200);
  REQUIRE(found.json()["persons"].size() == 1);
  const std::string person_id = found.json()["persons"][0]["id"];
  auto person = http.get("/api/v1/persons/" + person_id, bearer(reader));
  REQUIRE(person.status == 200);
  const auto person_body = person.json();
  const auto& records = person_body["person"]["records"];
  bool has_it = false;
  for (const auto& r : records) {
    CHECK(r["person_id"] == person_id);
    CHECK(r["source_person_id"].get<std::string>().starts_with("rec-0-"));
    has_it = has_it || r["source_person_id"] == "rec-0-dup-0";
  }
  CHECK(has_it);
  CHECK(http.get("/api/v1/persons/00000000-0000-4000-8000-000000000000", bearer(member)).status ==
        404);
  CHECK(http.get("/api/v1/persons", bearer(doctor)).status == 403);

  // Real time: a new record of rec-1 (a typo in the first name) finds rec-1's person.
  nlohmann::json incoming = record_of(csv, "rec-1-org");
  incoming["source_person_id"] = "rt-1";
  incoming["data_source"] = "clinic";
  incoming["first_name"] = incoming["first_name"].get<std::string>() + "x";
  auto rec1 = http.get("/api/v1/persons?source_person_id=rec-1-org", bearer(member));
  REQUIRE(rec1.json()["persons"].size() == 1);
  const std::string rec1_person = rec1.json()["persons"][0]["id"];
  auto searched = http.post_json("/api/v1/person-records/match", incoming, bearer(reader));
  INFO(searched.summary());
  REQUIRE(searched.status == 200);
  REQUIRE_FALSE(searched.json()["candidates"].empty());
  CHECK(searched.json()["candidates"][0]["person_id"] == rec1_person);
  CHECK(searched.json()["candidates"][0]["match_probability"].get<double>() >= 0.9);
  CHECK(http.get("/api/v1/data-sources", bearer(reader)).json()["data_sources"].size() == 1);
  CHECK(http.post_json("/api/v1/person-records", incoming, bearer(reader)).status == 403);
  nlohmann::json odd = incoming;
  odd["shoe_size"] = "42";
  CHECK(http.post_json("/api/v1/person-records/match", odd, bearer(reader)).status == 422);
  odd = incoming;
  odd["first_name"] = 7;
  CHECK(http.post_json("/api/v1/person-records", odd, bearer(member)).status == 422);
  auto posted = http.post_json("/api/v1/person-records", incoming, bearer(member));
  INFO(posted.summary());
  REQUIRE(posted.status == 201);
  CHECK(posted.json()["status"] == "Stored");
  CHECK(posted.json()["person_id"] == rec1_person);
  CHECK(posted.json()["auto_linked"] == true);
  auto again_posted = http.post_json("/api/v1/person-records", incoming, bearer(member));
  CHECK(again_posted.status == 200);
  CHECK(again_posted.json()["status"] == "AlreadyStored");
  CHECK(again_posted.json()["person_record_id"] == posted.json()["person_record_id"]);
  auto untrained = http.post_json(
      "/api/v1/config", {{"potential_match_threshold", 0.5}, {"auto_match_threshold", 0.9}},
      bearer(member));
  nlohmann::json with_untrained = incoming;
  with_untrained["config_id"] = untrained.json()["config_id"];
  CHECK(http.post_json("/api/v1/person-records/match", with_untrained, bearer(reader)).status ==
        409);
  CHECK(http.get("/api/v1/potential-matches", bearer(reader)).status == 200);
}

// Thresholds that send nearly every pair to review, then two reviewers deciding one potential
// match at once: one wins, the other gets 409, and the winner's decision holds.
void run_review_flow(ServerOptions options) {
  auto owned = started_server(std::move(options));
  ServerUnderTest& server = *owned;
  auto http = server.client(std::chrono::seconds(30));
  const auto admin = login(http, kAdmin);
  auto config = http.post_json(
      "/api/v1/config",
      {{"potential_match_threshold", 0.01}, {"auto_match_threshold", 0.999999999}}, bearer(admin));
  REQUIRE(config.status == 200);
  auto job = wait_for_job(
      http, admin,
      import(http, admin, febrl_sample(20), config.json()["config_id"]).json()["job_id"]);
  REQUIRE(job["state"] == "succeeded");
  auto list = http.get("/api/v1/potential-matches", bearer(admin));
  REQUIRE(list.status == 200);
  REQUIRE_FALSE(list.json()["potential_matches"].empty());
  const std::string pm_id = list.json()["potential_matches"][0]["id"];
  CHECK(http.get("/api/v1/potential-matches/999999", bearer(admin)).status == 404);
  auto detail = http.get("/api/v1/potential-matches/" + pm_id, bearer(admin));
  INFO(detail.summary());
  REQUIRE(detail.status == 200);
  const auto pm = detail.json()["potential_match"];
  REQUIRE(pm["persons"].size() >= 2);
  CHECK_FALSE(pm["results"].empty());

  // The decision: every record of the potential match into its first person.
  nlohmann::json records = nlohmann::json::array();
  for (const auto& person : pm["persons"]) {
    for (const auto& rec : person["records"]) records.push_back(rec["id"]);
  }
  nlohmann::json updates = nlohmann::json::array();
  updates.push_back({{"id", pm["persons"][0]["id"]},
                     {"version", pm["persons"][0]["version"]},
                     {"new_person_record_ids", records}});
  for (std::size_t i = 1; i < pm["persons"].size(); ++i) {
    updates.push_back({{"id", pm["persons"][i]["id"]},
                       {"version", pm["persons"][i]["version"]},
                       {"new_person_record_ids", nlohmann::json::array()}});
  }
  const nlohmann::json decision = {
      {"potential_match_id", pm_id},
      {"potential_match_version", pm["version"]},
      {"person_updates", updates},
      {"comments",
       {{{"person_record_id", records[0]}, {"comment", "same patient, checked the chart"}}}}};
  CHECK(http.post_json("/api/v1/matches", {{"potential_match_id", pm_id}}, bearer(admin)).status ==
        422);
  nlohmann::json wrong = decision;
  wrong["person_updates"][0]["new_person_record_ids"] = nlohmann::json::array({records[0]});
  CHECK(http.post_json("/api/v1/matches", wrong, bearer(admin)).status == 422);  // records left out

  int statuses[2] = {0, 0};
  std::thread racers[2];
  for (int i = 0; i < 2; ++i) {
    racers[i] = std::thread([&, i] {
      auto client = server.client(std::chrono::seconds(30));
      statuses[i] = client.post_json("/api/v1/matches", decision, bearer(admin)).status;
    });
  }
  for (auto& t : racers) t.join();
  CHECK(std::min(statuses[0], statuses[1]) == 200);
  CHECK(std::max(statuses[0], statuses[1]) == 409);

  auto merged =
      http.get("/api/v1/persons/" + pm["persons"][0]["id"].get<std::string>(), bearer(admin));
  REQUIRE(merged.status == 200);
  const auto merged_body = merged.json();
  CHECK(merged_body["person"]["records"].size() == records.size());
  for (const auto& rec : merged_body["person"]["records"])
    CHECK(rec["matched_or_reviewed"] == true);
  CHECK(http.get("/api/v1/persons/" + pm["persons"][1]["id"].get<std::string>(), bearer(admin))
            .status == 404);  // emptied by the decision
  auto after = http.get("/api/v1/potential-matches/" + pm_id, bearer(admin));
  CHECK(after.json()["potential_match"]["status"] == "resolved");

  // History, split, a refused merge across the split, undo.
  const std::string kept = pm["persons"][0]["id"];
  auto history = http.get("/api/v1/persons/" + kept + "/history", bearer(admin));
  REQUIRE(history.status == 200);
  const auto history_body = history.json();
  const auto& last = history_body["events"].back();
  CHECK(last["type"] == "manual-match");
  CHECK(last["actor"].get<std::string>().starts_with("user:"));
  CHECK(last["actor_name"] == kAdmin);
  CHECK(last["comments"][0]["comment"] == "same patient, checked the chart");
  CHECK_FALSE(last["actions"].empty());

  auto person_now = http.get("/api/v1/persons/" + kept, bearer(admin)).json()["person"];
  const auto moving = person_now["records"].back()["id"];
  CHECK(http.post_json("/api/v1/persons/" + kept + "/split",
                       {{"version", person_now["version"].get<int>() - 1},
                        {"person_record_ids", {moving}}},
                       bearer(admin))
            .status == 409);
  auto split = http.post_json(
      "/api/v1/persons/" + kept + "/split",
      {{"version", person_now["version"]}, {"person_record_ids", {moving}}, {"comment", "twins"}},
      bearer(admin));
  INFO(split.summary());
  REQUIRE(split.status == 200);
  const std::string split_off = split.json()["person"]["id"];
  CHECK(split.json()["person"]["records"].size() == 1);
  auto kept_now = http.get("/api/v1/persons/" + kept, bearer(admin)).json()["person"];
  CHECK(kept_now["records"].size() == records.size() - 1);
  auto split_now = http.get("/api/v1/persons/" + split_off, bearer(admin)).json()["person"];
  auto merge = http.post_json("/api/v1/persons/merge",
                              {{"persons",
                                {{{"id", kept}, {"version", kept_now["version"]}},
                                 {{"id", split_off}, {"version", split_now["version"]}}}}},
                              bearer(admin));
  CHECK(merge.status == 409);  // the split kept them apart
  CHECK(http.post_json("/api/v1/do-not-link",
                       {{"person_record_ids",
                         {kept_now["records"][0]["id"], kept_now["records"][1]["id"]}}},
                       bearer(admin))
            .status == 409);  // one person: split first
  auto undo = http.post_json(
      "/api/v1/match-events/" + split.json()["event_id"].get<std::string>() + "/undo",
      nlohmann::json::object(), bearer(admin));
  INFO(undo.summary());
  REQUIRE(undo.status == 200);
  CHECK(http.get("/api/v1/persons/" + kept, bearer(admin)).json()["person"]["records"].size() ==
        records.size());
  CHECK(http.get("/api/v1/persons/" + split_off, bearer(admin)).status == 404);
  CHECK(http.post_json(
                "/api/v1/match-events/" + split.json()["event_id"].get<std::string>() + "/undo",
                nlohmann::json::object(), bearer(admin))
            .status == 409);
  auto history_after = http.get("/api/v1/persons/" + kept + "/history", bearer(admin)).json();
  CHECK(history_after["events"].back()["type"] == "undo");
}

// A bulk import (over 10,000 records) stores its records' blocking keys in one sorted pass after
// the records and creates its persons together: it must match as well as a small one, and later
// arrivals (a real-time search, a small import) must find its records through those keys.
void run_bulk_flow(ServerOptions options) {
  auto owned = started_server(std::move(options));
  ServerUnderTest& server = *owned;
  auto http = server.client(std::chrono::seconds(60));
  const auto admin = login(http, kAdmin);
  auto config = http.post_json("/api/v1/config",
                               {{"potential_match_threshold", 0.5}, {"auto_match_threshold", 0.9}},
                               bearer(admin));
  REQUIRE(config.status == 200);
  const std::string config_id = config.json()["config_id"];
  const std::string csv = febrl_sample(2600);
  const int rows = static_cast<int>(std::count(csv.begin(), csv.end(), '\n')) - 1;
  REQUIRE(rows > 10000);
  auto job = wait_for_job(http, admin, import(http, admin, csv, config_id).json()["job_id"]);
  INFO(job.dump());
  REQUIRE(job["state"] == "succeeded");
  CHECK(job["result"]["records_stored"] == rows);
  CHECK(job["result"]["matching"]["seconds"].contains("keys"));  // the bulk path ran
  const int persons = job["result"]["matching"]["persons_created"];
  CHECK(persons >= 2400);
  CHECK(persons <= 2800);

  auto exported = http.request("POST", "/api/v1/person-records/export", bearer(admin), "");
  REQUIRE(exported.status == 200);
  CHECK(crosswalk_f1(exported.body) >= 0.95);
  const auto person_of = [&](const std::string& body, const std::string& source_id) {
    std::istringstream in(body);
    std::string line;
    while (std::getline(in, line)) {
      if (line.find("," + source_id + ",") != std::string::npos)
        return line.substr(0, line.find(','));
    }
    return std::string();
  };
  const std::string rec7 = person_of(exported.body, "rec-7-org");
  REQUIRE_FALSE(rec7.empty());

  // rec-7 again under another source with a typo: a search finds rec-7's person through the
  // stored keys, and a small import of it joins that person.
  nlohmann::json incoming = record_of(csv, "rec-7-org");
  incoming["data_source"] = "clinic";
  incoming["source_person_id"] = "late-7";
  incoming["first_name"] = incoming["first_name"].get<std::string>() + "e";
  auto searched = http.post_json("/api/v1/person-records/match", incoming, bearer(admin));
  INFO(searched.summary());
  REQUIRE(searched.status == 200);
  REQUIRE_FALSE(searched.json()["candidates"].empty());
  CHECK(searched.json()["candidates"][0]["person_id"] == rec7);

  std::string small = csv.substr(0, csv.find('\n') + 1);
  for (const char* column : {"data_source", "source_person_id", "first_name", "last_name", "sex",
                             "race", "birth_date", "death_date", "social_security_number",
                             "address", "city", "state", "zip_code", "county", "phone"}) {
    small += (small.back() == '\n' ? "" : ",") + incoming.value(column, std::string());
  }
  small += "\n";
  auto late = wait_for_job(http, admin, import(http, admin, small, config_id).json()["job_id"]);
  INFO(late.dump());
  REQUIRE(late["state"] == "succeeded");
  CHECK(late["result"]["records_stored"] == 1);
  CHECK_FALSE(late["result"]["matching"]["seconds"].contains("keys"));  // the small path
  auto after = http.request("POST", "/api/v1/person-records/export", bearer(admin), "");
  REQUIRE(after.status == 200);
  CHECK(person_of(after.body, "late-7") == rec7);
}

}  // namespace

TEST_CASE("empi: import then match then search and export on SQLite", "[e2e][empi]") {
  run_empi_flow({});
}

TEST_CASE("empi: import then match then search and export on PostgreSQL", "[e2e][empi]") {
  TestDatabase pg(carehub::Backend::kPostgres);
  ServerOptions options;
  options.database_url = pg.url();
  run_empi_flow(options);
}

TEST_CASE("empi: two reviewers decide one potential match on SQLite", "[e2e][empi]") {
  run_review_flow({});
}

TEST_CASE("empi: two reviewers decide one potential match on PostgreSQL", "[e2e][empi]") {
  TestDatabase pg(carehub::Backend::kPostgres);
  ServerOptions options;
  options.database_url = pg.url();
  run_review_flow(options);
}

TEST_CASE("empi: a bulk import matches and its records are found later, on SQLite", "[e2e][empi]") {
  run_bulk_flow({});
}

TEST_CASE("empi: a bulk import matches and its records are found later, on PostgreSQL",
          "[e2e][empi]") {
  TestDatabase pg(carehub::Backend::kPostgres);
  ServerOptions options;
  options.database_url = pg.url();
  run_bulk_flow(options);
}
