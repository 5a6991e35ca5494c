#include "e2e/empi_support.hpp"

#include <catch2/catch.hpp>
#include <fstream>
#include <thread>

namespace carehub::test::empi {

std::string import_form(const std::string& csv, const std::string& config_id) {
  return "--" + kImportBoundary + "\r\nContent-Disposition: form-data; name=\"config_id\"\r\n\r\n" +
         config_id + "\r\n--" + kImportBoundary +
         "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"people.csv\"\r\n"
         "Content-Type: text/csv\r\n\r\n" +
         csv + "\r\n--" + kImportBoundary + "--\r\n";
}

HttpResponse import(HttpClient& http, const std::string& token, const std::string& csv,
                    const std::string& config_id) {
  HttpHeaders h = bearer(token);
  h.emplace_back("Content-Type", "multipart/form-data; boundary=" + kImportBoundary);
  return http.request("POST", "/api/v1/person-records/import", h, import_form(csv, config_id));
}

nlohmann::json wait_for_job(HttpClient& http, const std::string& token, const std::string& id) {
  nlohmann::json job;
  for (int i = 0; i < 600; ++i) {
    auto r = http.get("/api/v1/jobs/" + id, bearer(token));
    REQUIRE(r.status == 200);
    job = r.json();
    const std::string state = job["state"];
    if (state == "succeeded" || state == "dead" || state == "cancelled") return job;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  FAIL("job " << id << " did not finish: " << job.dump());
  return job;
}

std::string febrl_head(int records) {
  std::ifstream in(source_dir() + "/../shared/data/empi/febrl_clean.csv");
  REQUIRE(in.good());
  std::string line, out;
  for (int i = 0; i <= records && std::getline(in, line); ++i) out += line + "\n";
  return out;
}

}  // namespace carehub::test::empi
