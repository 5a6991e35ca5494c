// The dicom module's rules as integrators meet them, on SQLite and PostgreSQL: QIDO-RS matching,
// duplicates and overwrites, who may do what, the study list, deletion, the audit trail,
// interrupted and large uploads, the orphan sweep, and patients joining the master index.
#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "carehub/hash.hpp"
#include "e2e/dicom_support.hpp"

using namespace carehub::test;
using namespace carehub::test::dicom;
using carehub::sha256_hex;

namespace {

struct Made {
  std::string sop, study, series;
  std::string bytes;
};

// Instances from a spec (see dicom_tool.py make), keyed by file name.
std::map<std::string, Made> make(const ServerUnderTest& server, const nlohmann::json& spec) {
  const auto dir = server.dir() + "/made-" + carehub::random_hex(4);
  write_file(dir + ".json", spec.dump());
  const auto r = dicom_tool({"make", dir, dir + ".json"});
  INFO(describe(r));
  REQUIRE(r.exit_code == 0);
  std::map<std::string, Made> out;
  for (const auto& entry : spec) {
    const std::string file = entry["file"];
    Made m;
    m.bytes = read_file(dir + "/" + file);
    std::tie(m.sop, m.study) = uids_of(dir + "/" + file);
    out[file] = std::move(m);
  }
  return out;
}

std::set<std::string> study_uids(const HttpResponse& r) {
  INFO(r.summary().substr(0, 600));
  REQUIRE(r.status == 200);
  std::set<std::string> out;
  for (const auto& s : r.json()) out.insert(s["0020000D"]["Value"][0].get<std::string>());
  return out;
}

std::size_t files_under(const std::string& dir) {
  std::size_t n = 0;
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(dir, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    n += it->is_regular_file() ? 1 : 0;
  }
  return n;
}

void run_qido_flow(ServerOptions options) {
  auto server = dicom_server(std::move(options));
  auto http = server->client(std::chrono::seconds(30));
  const auto admin = login(http, kAdmin);
  const auto token = api_token(http, admin, {"dicom:write", "dicom:read"});
  const nlohmann::json spec = {{{"file", "a"},
                                {"patient_name", "Smith^Anna"},
                                {"patient_id", "PA"},
                                {"study_date", "20230105"},
                                {"modality", "CT"},
                                {"accession", "ACC-1"}},
                               {{"file", "b"},
                                {"patient_name", "SMITHERS^Bob"},
                                {"patient_id", "PB"},
                                {"study_date", "20230610"},
                                {"modality", "MR"},
                                {"accession", "ACC-2"}},
                               {{"file", "c"},
                                {"patient_name", "Jones^Carl"},
                                {"patient_id", "PC"},
                                {"study_date", "20240101"},
                                {"modality", "US"},
                                {"accession", "ACC-3"}},
                               {{"file", "d"},
                                {"patient_name", "smyth^dora"},
                                {"patient_id", "PD"},
                                {"study_date", "20221231"},
                                {"modality", "CT"},
                                {"accession", "X_1%"}}};
  auto m = make(*server, spec);
  for (const auto& [name, made] : m) REQUIRE(post_instance(http, token, made.bytes).status == 200);
  const auto q = [&](const std::string& query) {
    return study_uids(http.get("/dicom-web/studies?" + query, bearer(token)));
  };
  const auto uids = [&](std::initializer_list<const char*> names) {
    std::set<std::string> out;
    for (const char* n : names) out.insert(m[n].study);
    return out;
  };
  // PatientName: wildcards * and ?, case-insensitive; a plain value is an exact, case-blind match.
  CHECK(q("PatientName=smith*") == uids({"a", "b"}));
  CHECK(q("PatientName=SM%3FTH*") == uids({"a", "b", "d"}));
  CHECK(q("00100010=jones%5Ecarl") == uids({"c"}));
  CHECK(q("PatientName=Jones").empty());
  // PatientID, AccessionNumber (LIKE's own % and _ are literal here).
  CHECK(q("PatientID=PB") == uids({"b"}));
  CHECK(q("AccessionNumber=ACC-*") == uids({"a", "b", "c"}));
  CHECK(q("AccessionNumber=X_1%25") == uids({"d"}));
  CHECK(q("AccessionNumber=X%251*").empty());
  // StudyDate: exact, ranges closed and open.
  CHECK(q("StudyDate=20230610") == uids({"b"}));
  CHECK(q("StudyDate=20230101-20231231") == uids({"a", "b"}));
  CHECK(q("StudyDate=-20221231") == uids({"d"}));
  CHECK(q("StudyDate=20240101-") == uids({"c"}));
  // ModalitiesInStudy, and a list of Study Instance UIDs.
  CHECK(q("ModalitiesInStudy=CT") == uids({"a", "d"}));
  CHECK(q("ModalitiesInStudy=MR,US") == uids({"b", "c"}));
  CHECK(q("StudyInstanceUID=" + m["a"].study + "," + m["c"].study) == uids({"a", "c"}));
  CHECK(q("StudyInstanceUID=" + m["a"].study + "%5C" + m["c"].study) == uids({"a", "c"}));
  // Paging: limit and offset walk all four once.
  std::set<std::string> paged;
  for (int offset = 0; offset < 4; offset += 2) {
    const auto page = q("limit=2&offset=" + std::to_string(offset));
    CHECK(page.size() == 2);
    paged.insert(page.begin(), page.end());
  }
  CHECK(paged.size() == 4);
  // includefield: an attribute the index has no column for, from the stored metadata.
  auto with = http.get("/dicom-web/studies?PatientID=PA&includefield=SliceThickness,00180060",
                       bearer(token));
  REQUIRE(with.status == 200);
  CHECK(with.header("content-type").value_or("").rfind("application/dicom+json", 0) == 0);
  const auto study = with.json()[0];
  CHECK(study["00180050"]["vr"] == "DS");
  CHECK_FALSE(study["00180050"]["Value"].empty());
  CHECK(study["00100020"]["Value"][0] == "PA");
  CHECK(study["00201208"]["Value"][0] == 1);
  auto all = http.get("/dicom-web/studies?PatientID=PA&includefield=all", bearer(token));
  CHECK(all.json()[0].contains("00180050"));
  // Series and instance levels, with study-level keys.
  auto series = http.get("/dicom-web/series?Modality=MR", bearer(token));
  REQUIRE(series.status == 200);
  REQUIRE(series.json().size() == 1);
  CHECK(series.json()[0]["0020000D"]["Value"][0] == m["b"].study);
  auto instances = http.get("/dicom-web/instances?PatientID=PD", bearer(token));
  REQUIRE(instances.json().size() == 1);
  CHECK(instances.json()[0]["00080018"]["Value"][0] == m["d"].sop);
  // Refused with a reason: unknown names, a series key in a study search, bad dates and limits.
  for (const char* bad : {"Colour=red", "Modality=CT", "StudyDate=2023", "StudyDate=a-b", "limit=0",
                          "limit=100000", "includefield=NoSuchThing", "StudyInstanceUID=1..2"}) {
    INFO(bad);
    auto r = http.get(std::string("/dicom-web/studies?") + bad, bearer(token));
    CHECK(r.status == 400);
    CHECK_FALSE(r.json()["error"]["message"].get<std::string>().empty());
  }
  auto fuzzy = http.get("/dicom-web/studies?fuzzymatching=true&StudyTime=1200", bearer(token));
  CHECK(fuzzy.status == 200);
  CHECK(fuzzy.header("warning").has_value());

  // The study list for people.
  auto list = http.get("/api/v1/dicom/studies?modality=CT&limit=10", bearer(token));
  REQUIRE(list.status == 200);
  REQUIRE(list.json()["studies"].size() == 2);
  const auto first = list.json()["studies"][0];
  CHECK(first["instance_count"] == 1);
  CHECK(first["series_count"] == 1);
  CHECK(first["size_bytes"].get<std::size_t>() == m["a"].bytes.size());
  CHECK(first["modalities"] == nlohmann::json{"CT"});
  CHECK(http.get("/api/v1/dicom/studies?colour=red", bearer(token)).status == 400);
  CHECK(http.get("/api/v1/dicom/studies?patient_name=smith*", bearer(token))
            .json()["studies"]
            .size() == 2);
}

}  // namespace

TEST_CASE("dicom: QIDO-RS matching rules and the study list on SQLite", "[e2e][dicom]") {
  run_qido_flow({});
}

TEST_CASE("dicom: QIDO-RS matching rules and the study list on PostgreSQL", "[e2e][dicom]") {
  TestDatabase pg(carehub::Backend::kPostgres);
  ServerOptions options;
  options.database_url = pg.url();
  run_qido_flow(options);
}

TEST_CASE("dicom: duplicates, overwrites, access, deletion and the audit trail", "[e2e][dicom]") {
  auto server = dicom_server();
  auto http = server->client(std::chrono::seconds(30));
  const auto admin = login(http, kAdmin);
  const auto writer = api_token(http, admin, {"dicom:write"});
  const auto reader = api_token(http, admin, {"dicom:read"});
  const auto empi = api_token(http, admin, {"empi:write"});
  add_user(http, admin, "doc@clinic.example", {"physician"});
  add_user(http, admin, "pat@clinic.example", {"patient"});
  const auto doctor = login(http, "doc@clinic.example");
  const auto patient = login(http, "pat@clinic.example");
  auto m = make(*server, {{{"file", "one"}, {"patient_id", "DUP"}}});
  const auto& one = m["one"];

  // Who may upload and read.
  CHECK(post_instance(http, reader, one.bytes).status == 403);
  CHECK(post_instance(http, empi, one.bytes).status == 403);
  CHECK(post_instance(http, patient, one.bytes).status == 403);
  CHECK(post_instance(http, "", one.bytes).status == 401);
  auto stored = post_instance(http, doctor, one.bytes);
  REQUIRE(stored.status == 200);
  CHECK(stored.json()["status"] == "Stored");
  CHECK(http.get("/dicom-web/studies", bearer(patient)).status == 403);
  CHECK(http.get("/dicom-web/studies", bearer(reader)).status == 200);
  CHECK(http.get("/dicom-web/studies/" + one.study, bearer(doctor)).status == 200);

  // Same bytes: AlreadyStored, no new file. Other bytes under the UID: 409, nothing changed.
  const auto blobs = files_under(server->dir() + "/blobs/dicom");
  auto again = post_instance(http, writer, one.bytes);
  CHECK(again.json()["status"] == "AlreadyStored");
  std::string changed = one.bytes;
  changed[changed.size() - 1] ^= 0x01;  // a pixel
  auto conflict = post_instance(http, writer, changed);
  CHECK(conflict.status == 409);
  CHECK(files_under(server->dir() + "/blobs/dicom") == blobs);
  auto back = http.get("/dicom-web/studies/" + one.study, bearer(reader));
  REQUIRE(multipart_parts(back).size() == 1);
  CHECK(multipart_parts(back)[0].body == one.bytes);

  // Deletion: admin only; rows and files go.
  CHECK(http.request("DELETE", "/api/v1/dicom/studies/" + one.study, bearer(doctor)).status == 403);
  auto deleted = http.request("DELETE", "/api/v1/dicom/studies/" + one.study, bearer(admin));
  INFO(deleted.summary());
  CHECK(deleted.status == 200);
  CHECK(deleted.json()["instances_deleted"] == 1);
  CHECK(http.get("/dicom-web/studies/" + one.study, bearer(reader)).status == 404);
  CHECK(files_under(server->dir() + "/blobs/dicom") == blobs - 1);
  CHECK(http.request("DELETE", "/api/v1/dicom/studies/" + one.study, bearer(admin)).status == 404);

  // Every access is in the audit trail: uploads per instance, searches, retrievals, the delete.
  auto db = open_test_database(server->database_url());
  std::set<std::string> actions;
  db->transact([&](carehub::Tx& tx) {
    for (const auto& row : tx.query("SELECT action FROM audit_events WHERE action LIKE 'dicom.%'"))
      actions.insert(row.text(0));
  });
  for (const char* a :
       {"dicom.instance.store", "dicom.query", "dicom.retrieve", "dicom.study.delete"}) {
    CHECK(actions.contains(a));
  }
}

TEST_CASE("dicom: with allow_overwrite, other bytes under a known UID replace the stored ones",
          "[e2e][dicom]") {
  auto server = dicom_server({}, {{"allow_overwrite", true}});
  auto http = server->client(std::chrono::seconds(30));
  const auto admin = login(http, kAdmin);
  const auto token = api_token(http, admin, {"dicom:write", "dicom:read"});
  auto m = make(*server, {{{"file", "one"}}});
  const auto& one = m["one"];
  REQUIRE(post_instance(http, token, one.bytes).status == 200);
  std::string changed = one.bytes;
  changed[changed.size() - 1] ^= 0x01;
  auto replaced = post_instance(http, token, changed);
  CHECK(replaced.status == 200);
  CHECK(replaced.json()["status"] == "Stored");
  auto back = http.get("/dicom-web/studies/" + one.study, bearer(token));
  CHECK(multipart_parts(back)[0].body == changed);
  CHECK(files_under(server->dir() + "/blobs/dicom") == 1);  // the old file went
}

TEST_CASE(
    "dicom: a large instance streams in and out with bounded memory, an interrupted "
    "upload leaves nothing",
    "[e2e][dicom]") {
  auto server = dicom_server();
  auto http = server->client(std::chrono::seconds(120));
  const auto admin = login(http, kAdmin);
  const auto token = api_token(http, admin, {"dicom:write", "dicom:read"});
  const auto path = server->dir() + "/big.dcm";
  REQUIRE(dicom_tool({"big", path, "160"}).exit_code == 0);
  const std::string bytes = read_file(path);
  const auto [sop, study] = uids_of(path);
  const long before = peak_rss_kib(server->process().pid());
  auto r = post_instance(http, token, bytes);
  INFO(r.summary());
  REQUIRE(r.status == 200);
  auto back = http.get("/dicom-web/studies/" + study, bearer(token));
  REQUIRE(back.status == 200);
  CHECK(sha256_hex(multipart_parts(back)[0].body) == sha256_hex(bytes));
  const long peak = peak_rss_kib(server->process().pid());
  INFO("peak RSS KiB before " << before << ", after " << peak << "; instance "
                              << bytes.size() / 1024 << " KiB");
  CHECK(peak - before < 48 * 1024);  // far below the instance's 160 MB
  // Its metadata does not carry the pixel data.
  auto meta = http.get("/dicom-web/studies/" + study + "/metadata", bearer(token));
  CHECK(meta.body.size() < 64 * 1024);
  CHECK(meta.json()[0]["7FE00010"].contains("BulkDataURI"));

  // A client that stops halfway: no instance, no file, nothing left in the upload directory.
  const auto uploads = server->dir() + "/data/uploads";
  const auto blobs = files_under(server->dir() + "/blobs");
  {
    HttpClient quitter(server->port());
    quitter.connect();
    REQUIRE(
        quitter.send_raw("POST /api/v1/dicom/instances HTTP/1.1\r\nHost: x\r\n"
                         "Authorization: Bearer " +
                         token +
                         "\r\n"
                         "Content-Type: application/dicom\r\nContent-Length: " +
                         std::to_string(bytes.size()) + "\r\n\r\n" + bytes.substr(0, 4 << 20)));
    CHECK(eventually([&] { return files_under(uploads) == 1; }, std::chrono::seconds(5)));
  }
  CHECK(eventually([&] { return files_under(uploads) == 0; }, std::chrono::seconds(5)));
  CHECK(files_under(server->dir() + "/blobs") == blobs);
  CHECK(http.get("/api/v1/dicom/studies", bearer(token)).json()["studies"].size() == 1);
}

TEST_CASE("dicom: the orphan sweep removes stored files no index row names", "[e2e][dicom]") {
  auto server = dicom_server({}, {{"orphan_min_age_s", 0}});
  auto http = server->client(std::chrono::seconds(30));
  const auto admin = login(http, kAdmin);
  const auto token = api_token(http, admin, {"dicom:write", "dicom:read"});
  auto m = make(*server, {{{"file", "kept"}}});
  REQUIRE(post_instance(http, token, m["kept"].bytes).status == 200);
  // What a crash between the blob write and the index commit leaves: a file and no row.
  const auto orphan = server->dir() + "/blobs/dicom/ab/abcdef/0123/4567-89ab.dcm";
  std::filesystem::create_directories(std::filesystem::path(orphan).parent_path());
  write_file(orphan, "orphaned bytes");
  // The sweep runs when the server starts (and hourly).
  server->stop();
  server->start();
  CHECK(eventually([&] { return !std::filesystem::exists(orphan); }, std::chrono::seconds(10)));
  auto after = server->client(std::chrono::seconds(30));
  auto back = after.get("/dicom-web/studies/" + m["kept"].study, bearer(token));
  CHECK(back.status == 200);
}

TEST_CASE("dicom: a patient seen for the first time joins the master patient index",
          "[e2e][dicom][empi]") {
  auto server = dicom_server();
  auto http = server->client(std::chrono::seconds(60));
  const auto admin = login(http, kAdmin);
  const auto token = api_token(http, admin, {"dicom:write"});
  // The EMPI learns its model from an import first.
  auto config = http.post_json("/api/v1/config",
                               {{"potential_match_threshold", 0.5}, {"auto_match_threshold", 0.9}},
                               bearer(admin));
  REQUIRE(config.status == 200);
  const std::string boundary = "empi-boundary-1";
  std::ifstream in(source_dir() + "/../shared/data/empi/febrl_clean.csv");
  std::string csv, line;
  for (int i = 0; i < 400 && std::getline(in, line); ++i) csv += line + "\n";
  HttpHeaders h = bearer(admin);
  h.emplace_back("Content-Type", "multipart/form-data; boundary=" + boundary);
  auto job = http.request(
      "POST", "/api/v1/person-records/import", h,
      "--" + boundary + "\r\nContent-Disposition: form-data; name=\"config_id\"\r\n\r\n" +
          config.json()["config_id"].get<std::string>() + "\r\n--" + boundary +
          "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"p.csv\"\r\n\r\n" + csv +
          "\r\n--" + boundary + "--\r\n");
  REQUIRE(job.status == 200);
  REQUIRE(eventually(
      [&] {
        return http.get("/api/v1/jobs/" + job.json()["job_id"].get<std::string>(), bearer(admin))
                   .json()["state"] == "succeeded";
      },
      std::chrono::seconds(60)));

  auto m = make(*server,
                {{{"file", "p"},
                  {"patient_id", "MRN-4711"},
                  {"patient_name", "Kowalski^Anna"},
                  {"birth_date", "19800402"},
                  {"sex", "F"}},
                 {{"file", "p2"}, {"patient_id", "MRN-4711"}, {"patient_name", "Kowalski^Anna"}}});
  REQUIRE(post_instance(http, token, m["p"].bytes).status == 200);
  REQUIRE(post_instance(http, token, m["p2"].bytes).status == 200);  // same patient: once
  nlohmann::json persons;
  REQUIRE(eventually(
      [&] {
        persons = http.get("/api/v1/persons?source_person_id=MRN-4711", bearer(admin)).json();
        return persons["persons"].size() == 1;
      },
      std::chrono::seconds(30)));
  const std::string person = persons["persons"][0]["id"];
  auto detail = http.get("/api/v1/persons/" + person, bearer(admin)).json()["person"];
  REQUIRE(detail["records"].size() == 1);
  const auto record = detail["records"][0];
  CHECK(record["data_source"].get<std::string>().rfind("dicom:token:", 0) == 0);
  // Shown as the image gave them, matched on the normalised values beside them.
  CHECK(record["first_name"] == "Anna");
  CHECK(record["last_name"] == "Kowalski");
  CHECK(record["birth_date"] == "19800402");
  CHECK(record["normalized"]["first_name"] == "anna");
  CHECK(record["normalized"]["last_name"] == "kowalski");
  CHECK(record["normalized"]["birth_date"] == "1980-04-02");
}

TEST_CASE("dicom: numbers DICOM allows and JSON does not are written as JSON numbers, or left out",
          "[e2e][dicom]") {
  // Found by fuzz/dicom_fuzz: a DS of "1981010." was written into the metadata as it stood, which
  // is not JSON, so WADO-RS metadata and QIDO-RS includefield served or failed on broken JSON.
  auto server = dicom_server();
  auto http = server->client(std::chrono::seconds(30));
  const auto admin = login(http, kAdmin);
  const auto token = api_token(http, admin, {"dicom:write", "dicom:read"});
  auto m = make(*server, {{{"file", "odd"},
                           {"raw",
                            {{"00200032", {"DS", "1981010.\\+5\\ 007"}},
                             {"00180050", {"DS", "abc"}},
                             {"00200013", {"IS", "+12"}},
                             {"00281050", {"DS", "1e999"}}}}}});
  const auto& odd = m["odd"];
  auto stored = post_instance(http, token, odd.bytes);
  INFO(stored.summary());
  REQUIRE(stored.status < 300);
  const std::string series = stored.json()["series_instance_uid"];
  auto meta = http.get("/dicom-web/studies/" + odd.study + "/series/" + series + "/instances/" +
                           odd.sop + "/metadata",
                       bearer(token));
  REQUIRE(meta.status == 200);
  const auto instance = nlohmann::json::parse(meta.body)[0];  // throws if it is not JSON
  CHECK(instance["00200032"]["Value"] == nlohmann::json::array({1981010, 5, 7}));
  CHECK(instance["00200013"]["Value"] == nlohmann::json::array({12}));
  // Not numbers at all, or beyond a double: the attribute without a value.
  CHECK(instance["00180050"]["vr"] == "DS");
  CHECK_FALSE(instance["00180050"].contains("Value"));
  CHECK_FALSE(instance["00281050"].contains("Value"));
  auto listed =
      http.get("/dicom-web/studies/" + odd.study + "/instances?includefield=all", bearer(token));
  CHECK(listed.status == 200);
  // The stored file keeps the bytes as they were sent.
  auto back =
      http.get("/dicom-web/studies/" + odd.study + "/series/" + series + "/instances/" + odd.sop,
               bearer(token));
  REQUIRE(back.status == 200);
  const auto parts = multipart_parts(back);
  REQUIRE(parts.size() == 1);
  CHECK(parts[0].body == odd.bytes);
}
