// A study as one ZIP (GET /api/v1/dicom/studies/{study}/archive): every stored instance in it
// byte for byte under <series>/<instance>.dcm, as unzip -t and Python's zipfile read it; who may
// download it; the audit trail.
#include <catch2/catch.hpp>
#include <chrono>
#include <map>
#include <thread>

#include "carehub/hash.hpp"
#include "e2e/dicom_support.hpp"

using namespace carehub::test;
using namespace carehub::test::dicom;

namespace {

// Python's zipfile reads the archive: {name: sha256} of each entry, after its own CRC check.
constexpr const char* kListZip = R"(
import hashlib, json, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    bad = z.testzip()
    if bad: sys.exit('CRC mismatch in ' + bad)
    print(json.dumps({i.filename: hashlib.sha256(z.read(i)).hexdigest() for i in z.infolist()}))
)";

std::string fresh_uid() {
  return "1.2.826.0.1.3680043.9.7433." +
         std::to_string(std::stoull(carehub::random_hex(6), nullptr, 16));
}

}  // namespace

TEST_CASE("dicom: a study downloads as a ZIP of its stored files, byte for byte", "[e2e][dicom]") {
  auto server = dicom_server();
  auto http = server->client(std::chrono::seconds(60));
  const auto admin = login(http, kAdmin);
  add_user(http, admin, "doc@clinic.example", {"physician"});
  add_user(http, admin, "pat@clinic.example", {"patient"});
  const auto doctor = login(http, "doc@clinic.example");
  const auto patient = login(http, "pat@clinic.example");

  // One study of two series, three instances, made from CT_small.dcm.
  const std::string study = fresh_uid(), series_a = fresh_uid(), series_b = fresh_uid();
  nlohmann::json spec = nlohmann::json::array();
  const std::vector<std::pair<std::string, std::string>> made = {
      {"a1", series_a}, {"a2", series_a}, {"b1", series_b}};
  for (const auto& [file, series] : made) {
    spec.push_back({{"file", file},
                    {"patient_id", "ZIP-1"},
                    {"patient_name", "Zip^Zoe"},
                    {"study_uid", study},
                    {"series_uid", series},
                    {"modality", "CT"}});
  }
  const auto dir = server->dir() + "/made";
  write_file(dir + ".json", spec.dump());
  const auto tool = dicom_tool({"make", dir, dir + ".json"});
  INFO(describe(tool));
  REQUIRE(tool.exit_code == 0);
  std::vector<std::string> contents;
  std::map<std::string, std::string> expected;  // entry name -> SHA-256 of the uploaded file
  for (const auto& [file, series] : made) {
    contents.push_back(read_file(dir + "/" + file));
    expected[series + "/" + uids_of(dir + "/" + file).first + ".dcm"] =
        carehub::sha256_hex(contents.back());
  }
  REQUIRE(stow(http, doctor, contents).status == 200);

  const std::string path = "/api/v1/dicom/studies/" + study + "/archive";
  auto zip = http.get(path, bearer(doctor));
  INFO(zip.summary().substr(0, 400));
  REQUIRE(zip.status == 200);
  CHECK(zip.header("content-type").value_or("") == "application/zip");
  CHECK(zip.header("content-disposition").value_or("").find(study + ".zip") != std::string::npos);
  const std::string zip_path = server->dir() + "/study.zip";
  write_file(zip_path, zip.body);

  const auto tested = run_to_completion({"/usr/bin/unzip", "-t", zip_path});
  INFO(describe(tested));
  CHECK(tested.exit_code == 0);
  CHECK(tested.out.find("No errors detected") != std::string::npos);

  const auto listed = run_to_completion({"/usr/bin/python3", "-c", kListZip, zip_path});
  INFO(describe(listed));
  REQUIRE(listed.exit_code == 0);
  std::map<std::string, std::string> got;
  const auto listing = nlohmann::json::parse(listed.out);
  for (const auto& entry : listing.items()) got[entry.key()] = entry.value().get<std::string>();
  CHECK(got == expected);

  // A browser follows a link with a single-use ticket instead of the token: once. Later than
  // ZIP's two-second time step, it still gets the same bytes (entries dated by the study).
  std::this_thread::sleep_for(std::chrono::milliseconds(2100));
  auto issued = http.request("POST", path + "/ticket", bearer(doctor), "");
  REQUIRE(issued.status == 201);
  const std::string ticket = issued.json()["ticket"];
  auto by_ticket = http.get(path + "?ticket=" + ticket, {});
  CHECK(by_ticket.status == 200);
  CHECK(by_ticket.body == zip.body.substr(0, by_ticket.body.size()));
  CHECK(by_ticket.body.size() == zip.body.size());
  CHECK(http.get(path + "?ticket=" + ticket, {}).status == 401);
  CHECK(http.get(path + "?ticket=" + std::string(64, 'a'), {}).status == 401);
  CHECK(http.request("POST", path + "/ticket", bearer(patient), "").status == 403);
  CHECK(http.request("POST", "/api/v1/dicom/studies/1.2.3.4/archive/ticket", bearer(doctor), "")
            .status == 404);

  // Who may: readers of DICOM only; an unknown study is 404.
  CHECK(http.get(path, bearer(patient)).status == 403);
  CHECK(http.get(path, {}).status == 401);
  CHECK(http.get("/api/v1/dicom/studies/1.2.3.4/archive", bearer(doctor)).status == 404);

  auto db = open_test_database(server->database_url());
  std::int64_t audited = 0;
  db->transact([&](carehub::Tx& tx) {
    for (const auto& row : tx.query("SELECT count(*) FROM audit_events WHERE action = "
                                    "'dicom.archive' AND resource_id = '" +
                                    study + "'"))
      audited = row.integer(0);
  });
  CHECK(audited == 2);  // by token, then by ticket
}
