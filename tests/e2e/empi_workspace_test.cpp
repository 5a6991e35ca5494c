// What the console's EMPI workspace asks of the API, in the real binary on SQLite and PostgreSQL:
// configs and the history of imports (members may read them), records shown as imported beside
// their normalised values, the queue's total, sort and probability range, search filters that
// cannot be normalised matched as text instead of refused, and the explanation of each scored
// pair adding up to its match weight.
#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>

#include "e2e/empi_support.hpp"

using namespace carehub::test;
using namespace carehub::test::empi;

namespace {

// Two records of one clinic patient typed two ways, and a row whose birth date is no date.
const std::string kClinicRows =
    "clinic,c-1,John,Smith,M,,19010312,,123-45-6789,12 High Street,Springfield,IL,62701,,"
    "(217) 555-0100\n"
    "clinic,c-2,JOHN,Smith ,m,,1901-03-12,,123456789,12 high street,Springfield,IL,62701,,"
    "2175550100\n"
    "clinic,c-3,Ann,Lee,F,,not-a-date,,,,,,,,\n";

nlohmann::json record_with_source_id(const nlohmann::json& pm, const std::string& id) {
  for (const auto& p : pm["persons"])
    for (const auto& r : p["records"])
      if (r["source_person_id"] == id) return r;
  FAIL("no record " << id);
  return {};
}

void run_workspace_flow(ServerOptions options) {
  auto owned = started_server(std::move(options));
  ServerUnderTest& server = *owned;
  auto http = server.client(std::chrono::seconds(30));
  const auto admin = login(http, kAdmin);
  add_user(http, admin, "member@clinic.example", {"member"});
  add_user(http, admin, "doc@clinic.example", {"physician"});
  const auto member = login(http, "member@clinic.example");
  const auto doctor = login(http, "doc@clinic.example");

  // Every pair to review, none merged automatically.
  auto config = http.post_json("/api/v1/config",
                               {{"potential_match_threshold", 0.01}, {"auto_match_threshold", 1.0}},
                               bearer(member));
  REQUIRE(config.status == 200);
  const std::string config_id = config.json()["config_id"];
  auto configs = http.get("/api/v1/configs", bearer(member));
  REQUIRE(configs.status == 200);
  REQUIRE(configs.json()["configs"].size() == 1);
  CHECK(configs.json()["configs"][0]["id"] == config_id);
  CHECK(configs.json()["configs"][0]["potential_match_threshold"] == 0.01);
  CHECK(configs.json()["configs"][0]["trained"] == false);
  CHECK(http.get("/api/v1/configs", bearer(doctor)).status == 403);

  const std::string csv = febrl_head(100) + kClinicRows;
  auto job = wait_for_job(http, member,
                          import(http, member, csv, config_id).json()["job_id"].get<std::string>());
  REQUIRE(job["state"] == "succeeded");
  CHECK(job["result"]["bad_rows"] == 1);

  // The history: every import with its counts and bad lines; no server path.
  auto imports = http.get("/api/v1/imports", bearer(member));
  INFO(imports.summary());
  REQUIRE(imports.status == 200);
  CHECK(imports.json()["total"] == 1);
  const auto first = imports.json()["imports"][0];
  CHECK(first["state"] == "succeeded");
  CHECK(first["config_id"] == config_id);
  CHECK(first["bytes"].get<std::int64_t>() == static_cast<std::int64_t>(csv.size()));
  CHECK(first["actor"].get<std::string>().starts_with("user:"));
  CHECK(first["actor_name"] == "member@clinic.example");  // the console shows who, not an id
  CHECK(first["result"]["errors"][0]["line"] == 104);     // header, 100 rows, c-1, c-2, c-3
  CHECK(imports.body.find("\"path\"") == std::string::npos);
  CHECK(http.get("/api/v1/imports", bearer(doctor)).status == 403);
  CHECK(http.get("/api/v1/configs", bearer(member)).json()["configs"][0]["trained"] == true);

  // The queue: a total, sorted either way, a probability range.
  auto all = http.get("/api/v1/potential-matches?limit=500", bearer(member));
  REQUIRE(all.status == 200);
  const auto total = all.json()["total"].get<std::int64_t>();
  REQUIRE(total >= 2);
  CHECK(total == static_cast<std::int64_t>(all.json()["potential_matches"].size()));
  double last = 2;
  const auto all_rows = all.json()["potential_matches"];
  for (const auto& row : all_rows) {
    CHECK(row["max_match_probability"].get<double>() <= last);
    last = row["max_match_probability"];
    CHECK(row["person_count"].get<int>() >= 2);
    CHECK(row["record_count"].get<int>() >= 2);
  }
  auto ascending =
      http.get("/api/v1/potential-matches?sort=probability_asc&limit=500", bearer(member));
  REQUIRE(ascending.status == 200);
  last = -1;
  const auto ascending_rows = ascending.json()["potential_matches"];
  for (const auto& row : ascending_rows) {
    CHECK(row["max_match_probability"].get<double>() >= last);
    last = row["max_match_probability"];
  }
  const double middle = all_rows[total / 2]["max_match_probability"];
  auto ranged =
      http.get("/api/v1/potential-matches?limit=500&min_match_probability=" +
                   nlohmann::json(middle).dump(),  // the shortest text that reads back as middle
               bearer(member));
  REQUIRE(ranged.status == 200);
  const auto at_least_middle = std::count_if(all_rows.begin(), all_rows.end(), [&](const auto& r) {
    return r["max_match_probability"].template get<double>() >= middle;
  });
  CHECK(ranged.json()["total"].get<std::int64_t>() == at_least_middle);
  const auto ranged_rows = ranged.json()["potential_matches"];
  for (const auto& row : ranged_rows)
    CHECK(row["max_match_probability"].get<double>() >= middle - 1e-12);
  CHECK(http.get("/api/v1/potential-matches?sort=sideways", bearer(member)).status == 400);
  CHECK(http.get("/api/v1/potential-matches?min_match_probability=lots", bearer(member)).status ==
        400);

  // Filters: a normalisable value exactly, a half-typed date as text; never a 400.
  auto johns =
      http.get("/api/v1/potential-matches?first_name=JOHN&last_name=smith", bearer(member));
  REQUIRE(johns.status == 200);
  REQUIRE(johns.json()["total"] == 1);
  const auto john_row = johns.json()["potential_matches"][0];
  CHECK(john_row["first_name"] == "John");  // as imported
  CHECK(john_row["birth_date"] == "19010312");
  for (const auto* date : {"1901-0", "1901-03-12", "19010312", "1901"}) {
    auto found = http.get(std::string("/api/v1/persons?birth_date=") + date, bearer(member));
    INFO(date << ": " << found.summary());
    REQUIRE(found.status == 200);
    CHECK(found.json()["total"] == 2);  // c-1 and c-2, two persons until someone merges them
    CHECK(found.json()["persons"][0]["first_name"] == "John");
    CHECK(found.json()["persons"][0]["record_count"] == 1);
    CHECK(http.get(std::string("/api/v1/potential-matches?birth_date=") + date, bearer(member))
              .json()["total"] == 1);
  }
  CHECK(http.get("/api/v1/persons?birth_date=2099-0", bearer(member)).json()["total"] == 0);
  CHECK(http.get("/api/v1/persons?birth_date=1901%25", bearer(member)).json()["total"] == 0);

  // The potential match: records as imported beside their normalised values, and why.
  auto detail =
      http.get("/api/v1/potential-matches/" + john_row["id"].get<std::string>(), bearer(member));
  INFO(detail.summary());
  REQUIRE(detail.status == 200);
  const auto pm = detail.json()["potential_match"];
  const auto c1 = record_with_source_id(pm, "c-1");
  CHECK(c1["first_name"] == "John");
  CHECK(c1["normalized"]["first_name"] == "john");
  CHECK(c1["birth_date"] == "19010312");
  CHECK(c1["normalized"]["birth_date"] == "1901-03-12");
  CHECK(c1["phone"] == "(217) 555-0100");
  CHECK(c1["normalized"]["phone"] == "2175550100");
  const auto c2 = record_with_source_id(pm, "c-2");
  CHECK(c2["last_name"] == "Smith");  // trimmed, not lowered
  REQUIRE(pm["results"].size() >= 1);
  for (const auto& result : pm["results"]) {
    const auto& why = result["explanation"];
    REQUIRE(why.is_object());
    CHECK(why["config_id"] == config_id);
    REQUIRE(why["comparisons"].size() == 6);
    double sum = why["prior_match_weight"];
    for (const auto& c : why["comparisons"]) {
      sum += c["match_weight"].get<double>() + c["term_frequency_weight"].get<double>();
      const std::string agreement = c["agreement"];
      CHECK((agreement == "same" || agreement == "similar" || agreement == "different" ||
             agreement == "missing"));
      CHECK(c["columns"].size() >= 1);
    }
    CHECK(std::abs(sum - why["match_weight"].get<double>()) < 1e-9);
    CHECK(std::abs(why["match_probability"].get<double>() -
                   1.0 / (1.0 + std::exp2(-why["match_weight"].get<double>()))) < 1e-12);
    // The stored score was computed with the same model and these records' frequencies.
    CHECK(std::abs(why["match_probability"].get<double>() -
                   result["match_probability"].get<double>()) < 1e-6);
    if (result["person_record_l_id"] == c1["id"] || result["person_record_r_id"] == c1["id"]) {
      for (const auto& c : why["comparisons"]) {
        INFO(c.dump());
        CHECK(c["agreement"] == "same");  // everything agrees once normalised
        CHECK(c["match_weight"].get<double>() > 0);
      }
    }
  }

  // The crosswalk is as imported too.
  auto crosswalk = http.request("POST", "/api/v1/person-records/export", bearer(member), "");
  REQUIRE(crosswalk.status == 200);
  CHECK(crosswalk.body.find(",clinic,c-1,John,Smith,M,,19010312,") != std::string::npos);
  CHECK(crosswalk.body.find("\"(217) 555-0100\"") == std::string::npos);  // no quotes needed
  CHECK(crosswalk.body.find(",(217) 555-0100\n") != std::string::npos);
}

}  // namespace

TEST_CASE("empi workspace: configs, imports, originals, queue, filters, explanations on SQLite",
          "[e2e][empi]") {
  run_workspace_flow({});
}

TEST_CASE("empi workspace: configs, imports, originals, queue, filters, explanations on PostgreSQL",
          "[e2e][empi]") {
  TestDatabase pg(carehub::Backend::kPostgres);
  ServerOptions options;
  options.database_url = pg.url();
  run_workspace_flow(options);
}
