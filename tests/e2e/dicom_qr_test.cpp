// DICOM query/retrieve on the listener, driven by DCMTK's own tools: findscu at each level with
// wildcards, dates and lists; getscu retrieving a study (compressed data decoded on the way);
// movescu to a storescp the test starts; an unknown calling AE and an unknown destination
// refused; every query and retrieve in the audit trail. On SQLite and PostgreSQL.
#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "carehub/hash.hpp"
#include "e2e/dicom_support.hpp"

using namespace std::chrono_literals;
using namespace carehub::test;
using namespace carehub::test::dicom;
namespace fs = std::filesystem;

namespace {

// Two patients, three studies, four series, seven instances (dicom_tool.py make), every
// attribute the queries below match on chosen here.
nlohmann::json archive_spec() {
  nlohmann::json spec = nlohmann::json::array();
  const auto add = [&](const std::string& file, const std::string& name, const std::string& id,
                       const std::string& study, const std::string& series, const std::string& date,
                       const std::string& modality, const std::string& accession) {
    spec.push_back({{"file", file},
                    {"patient_name", name},
                    {"patient_id", id},
                    {"study_uid", study},
                    {"series_uid", series},
                    {"study_date", date},
                    {"modality", modality},
                    {"accession", accession}});
  };
  for (int i = 1; i <= 3; ++i)
    add("a1-" + std::to_string(i), "Garcia^Ana", "PA1", "1.2.826.0.1.3680043.9.7.1",
        "1.2.826.0.1.3680043.9.7.1.1", "20240105", "CT", "ACC1");
  for (int i = 1; i <= 2; ++i)
    add("a2-" + std::to_string(i), "Garcia^Ana", "PA1", "1.2.826.0.1.3680043.9.7.2",
        "1.2.826.0.1.3680043.9.7.2.1", "20240310", "MR", "ACC2");
  add("b1-1", "Smith^John", "PB1", "1.2.826.0.1.3680043.9.7.3", "1.2.826.0.1.3680043.9.7.3.1",
      "20231120", "CT", "ACC3");
  add("b1-2", "Smith^John", "PB1", "1.2.826.0.1.3680043.9.7.3", "1.2.826.0.1.3680043.9.7.3.2",
      "20231120", "CT", "ACC3");
  return spec;
}

struct Archive {
  std::unique_ptr<ServerUnderTest> server;
  std::string dir;                          // the files as made, by spec name
  std::map<std::string, std::string> sops;  // spec name -> SOP Instance UID
  int storescp_port = 0;
};

Archive archive(ServerOptions options, nlohmann::json dicom = nlohmann::json::object()) {
  Archive a;
  a.storescp_port = free_loopback_port();
  dicom.merge_patch({{"destinations", {"STORESCP=127.0.0.1:" + std::to_string(a.storescp_port)}}});
  a.server = dicom_server(std::move(options), dicom);
  a.dir = a.server->dir() + "/made";
  const auto spec = archive_spec();
  write_file(a.dir + ".json", spec.dump());
  const auto made = dicom_tool({"make", a.dir, a.dir + ".json"});
  INFO(describe(made));
  REQUIRE(made.exit_code == 0);
  for (const auto& entry : spec) {
    const std::string file = a.dir + "/" + entry["file"].get<std::string>();
    const auto r = storescu(*a.server, file);
    INFO(describe(r));
    REQUIRE(sent(r));
    a.sops[entry["file"]] = uids_of(file).first;
  }
  return a;
}

// One answer of findscu, as dcmdump reads the file findscu wrote: keyword -> value.
using Answer = std::map<std::string, std::string>;

std::vector<Answer> findscu(const ServerUnderTest& server, const std::string& model,
                            const std::vector<std::string>& keys, RunResult* result = nullptr,
                            const std::string& calling = kCallingAe) {
  const auto out = server.dir() + "/find-" + carehub::random_hex(4);
  fs::create_directories(out);
  // -d: a refusal's ErrorComment is printed only at debug level.
  std::vector<std::string> argv = {
      "/usr/bin/findscu", "-d", model, "-X", "-od", out, "-aet", calling, "-aec", "CAREHUB"};
  for (const auto& k : keys) argv.insert(argv.end(), {"-k", k});
  argv.insert(argv.end(), {"127.0.0.1", std::to_string(dimse_port(server))});
  auto r = run_to_completion(argv, {}, {}, 60s);
  if (result) *result = r;
  std::vector<Answer> answers;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(out)) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    const auto dump = run_to_completion({"/usr/bin/dcmdump", "-q", "+L", "-Un", f.string()});
    REQUIRE(dump.exit_code == 0);
    Answer answer;
    std::istringstream lines(dump.out);
    std::string line;
    while (std::getline(lines, line)) {
      // (0010,0010) PN [Garcia^Ana]    #  10, 1 PatientName
      const auto hash = line.rfind('#');
      const auto open = line.find('[');
      const auto close = line.rfind(']', hash);
      const auto keyword = line.substr(line.find_last_of(' ') + 1);
      answer[keyword] = open != std::string::npos && close != std::string::npos && close > open
                            ? line.substr(open + 1, close - open - 1)
                            : "";
    }
    answers.push_back(std::move(answer));
  }
  return answers;
}

std::set<std::string> values_of(const std::vector<Answer>& answers, const std::string& keyword) {
  std::set<std::string> out;
  for (const auto& a : answers) out.insert(a.count(keyword) ? a.at(keyword) : "(absent)");
  return out;
}

const std::string kStudy1 = "1.2.826.0.1.3680043.9.7.1";
const std::string kStudy2 = "1.2.826.0.1.3680043.9.7.2";
const std::string kStudy3 = "1.2.826.0.1.3680043.9.7.3";

std::set<std::string> audited(const ServerUnderTest& server) {
  auto db = open_test_database(server.database_url());
  std::set<std::string> actions;
  db->transact([&](carehub::Tx& tx) {
    for (const auto& row : tx.query("SELECT action || ':' || actor || ':' || outcome FROM "
                                    "audit_events WHERE action IN ('dicom.find', "
                                    "'dicom.get', 'dicom.move')"))
      actions.insert(row.text(0));
  });
  return actions;
}

// The files a DCMTK receiver wrote into dir, by SOP Instance UID.
std::map<std::string, std::string> received(const std::string& dir) {
  std::map<std::string, std::string> out;
  if (!fs::exists(dir)) return out;
  for (const auto& e : fs::directory_iterator(dir))
    out[uids_of(e.path().string()).first] = e.path();
  return out;
}

void run_find(const Archive& a) {
  const auto& server = *a.server;
  {
    INFO("STUDY level, universal matching: every study, with the attributes asked for");
    const auto all = findscu(server, "-S",
                             {"QueryRetrieveLevel=STUDY", "StudyInstanceUID", "PatientName",
                              "StudyDate", "AccessionNumber", "ModalitiesInStudy",
                              "NumberOfStudyRelatedInstances", "InstitutionName"});
    REQUIRE(all.size() == 3);
    CHECK(values_of(all, "StudyInstanceUID") == std::set<std::string>{kStudy1, kStudy2, kStudy3});
    CHECK(values_of(all, "PatientName") == std::set<std::string>{"Garcia^Ana", "Smith^John"});
    CHECK(values_of(all, "AccessionNumber") == std::set<std::string>{"ACC1", "ACC2", "ACC3"});
    for (const auto& answer : all) {
      INFO(answer.at("StudyInstanceUID"));
      const int n = std::stoi(answer.at("NumberOfStudyRelatedInstances"));
      CHECK(n == (answer.at("StudyInstanceUID") == kStudy1 ? 3 : 2));
      // Not in the index: read from an instance (CT_small.dcm's own institution).
      CHECK(answer.count("InstitutionName") == 1);
      CHECK(answer.at("RetrieveAETitle") == "CAREHUB");
    }
  }
  {
    INFO("STUDY level: a name wildcard, a date range, a modality, an accession number");
    CHECK(values_of(findscu(server, "-S",
                            {"QueryRetrieveLevel=STUDY", "StudyInstanceUID", "PatientName=GARC*"}),
                    "StudyInstanceUID") == std::set<std::string>{kStudy1, kStudy2});
    CHECK(values_of(findscu(server, "-S",
                            {"QueryRetrieveLevel=STUDY", "StudyInstanceUID",
                             "StudyDate=20240101-20240228"}),
                    "StudyInstanceUID") == std::set<std::string>{kStudy1});
    CHECK(
        values_of(findscu(server, "-S",
                          {"QueryRetrieveLevel=STUDY", "StudyInstanceUID", "StudyDate=-20240201"}),
                  "StudyInstanceUID") == std::set<std::string>{kStudy1, kStudy3});
    CHECK(
        values_of(findscu(server, "-S",
                          {"QueryRetrieveLevel=STUDY", "StudyInstanceUID", "ModalitiesInStudy=MR"}),
                  "StudyInstanceUID") == std::set<std::string>{kStudy2});
    CHECK(
        values_of(findscu(server, "-S",
                          {"QueryRetrieveLevel=STUDY", "StudyInstanceUID", "AccessionNumber=ACC3"}),
                  "StudyInstanceUID") == std::set<std::string>{kStudy3});
    CHECK(findscu(server, "-S", {"QueryRetrieveLevel=STUDY", "PatientName=Nobody*"}).empty());
    // A UID list.
    CHECK(values_of(
              findscu(server, "-S",
                      {"QueryRetrieveLevel=STUDY", "StudyInstanceUID=" + kStudy1 + "\\" + kStudy3}),
              "StudyInstanceUID") == std::set<std::string>{kStudy1, kStudy3});
  }
  {
    INFO("SERIES and IMAGE levels");
    const auto series =
        findscu(server, "-S",
                {"QueryRetrieveLevel=SERIES", "StudyInstanceUID=" + kStudy3, "SeriesInstanceUID",
                 "Modality", "NumberOfSeriesRelatedInstances"});
    REQUIRE(series.size() == 2);
    CHECK(values_of(series, "SeriesInstanceUID") ==
          std::set<std::string>{kStudy3 + ".1", kStudy3 + ".2"});
    CHECK(values_of(series, "Modality") == std::set<std::string>{"CT"});
    CHECK(values_of(series, "NumberOfSeriesRelatedInstances") == std::set<std::string>{"1"});
    const auto images =
        findscu(server, "-S",
                {"QueryRetrieveLevel=IMAGE", "StudyInstanceUID=" + kStudy1,
                 "SeriesInstanceUID=" + kStudy1 + ".1", "SOPInstanceUID", "SOPClassUID"});
    CHECK(values_of(images, "SOPInstanceUID") ==
          std::set<std::string>{a.sops.at("a1-1"), a.sops.at("a1-2"), a.sops.at("a1-3")});
    CHECK(values_of(images, "SOPClassUID") ==
          std::set<std::string>{"1.2.840.10008.5.1.4.1.1.2"});  // CT Image Storage
  }
  {
    INFO("PATIENT level in the Patient Root model");
    const auto patients = findscu(server, "-P",
                                  {"QueryRetrieveLevel=PATIENT", "PatientID", "PatientName",
                                   "NumberOfPatientRelatedStudies"});
    REQUIRE(patients.size() == 2);
    std::map<std::string, std::string> studies;
    for (const auto& p : patients)
      studies[p.at("PatientID")] = p.at("NumberOfPatientRelatedStudies");
    CHECK(studies == std::map<std::string, std::string>{{"PA1", "2"}, {"PB1", "1"}});
    // Patient Root, STUDY level under a patient.
    CHECK(values_of(findscu(server, "-P",
                            {"QueryRetrieveLevel=STUDY", "PatientID=PB1", "StudyInstanceUID"}),
                    "StudyInstanceUID") == std::set<std::string>{kStudy3});
  }
  {
    INFO("what cannot be answered is refused, saying why");
    RunResult r;
    CHECK(findscu(server, "-S", {"QueryRetrieveLevel=PATIENT", "PatientID"}, &r).empty());
    INFO(describe(r));
    CHECK(r.err.find("the PATIENT level needs the Patient Root model") != std::string::npos);
    CHECK(findscu(server, "-S", {"QueryRetrieveLevel=STUDY", "StudyDate=2024"}, &r).empty());
    CHECK(r.err.find("StudyDate must be a date") != std::string::npos);
    CHECK(findscu(server, "-S", {"QueryRetrieveLevel=STUDY"}, &r, "STRANGER").empty());
    CHECK(r.err.find("Calling AE Title Not Recognized") != std::string::npos);
  }
  CHECK(audited(server).contains("dicom.find:ae:" + kCallingAe + ":success"));
  CHECK(audited(server).contains("dicom.find:ae:" + kCallingAe + ":failure"));
}

void run_retrieve(const Archive& a) {
  const auto& server = *a.server;
  const auto port = std::to_string(dimse_port(server));
  {
    INFO("C-GET of a study: each instance comes back as stored");
    const auto out = server.dir() + "/got";
    fs::create_directories(out);
    const auto r = run_to_completion(
        {"/usr/bin/getscu", "-S", "-aet", kCallingAe, "-aec", "CAREHUB", "-od", out, "-k",
         "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID=" + kStudy1, "127.0.0.1", port},
        {}, {}, 60s);
    INFO(describe(r));
    CHECK(r.exit_code == 0);
    const auto got = received(out);
    REQUIRE(got.size() == 3);
    for (const char* name : {"a1-1", "a1-2", "a1-3"}) {
      REQUIRE(got.contains(a.sops.at(name)));
      const auto same = dicom_tool({"same-dataset", got.at(a.sops.at(name)), a.dir + "/" + name});
      INFO(describe(same));
      CHECK(same.exit_code == 0);
    }
    // A wildcard is for C-FIND: a retrieve must name what it wants.
    const auto wild = run_to_completion(
        {"/usr/bin/getscu", "-d", "-S", "-aet", kCallingAe, "-aec", "CAREHUB", "-od", out, "-k",
         "QueryRetrieveLevel=STUDY", "-k", "PatientName=*", "127.0.0.1", port},
        {}, {}, 60s);
    CHECK(received(out).size() == 3);
    INFO(describe(wild));
    CHECK((wild.err + wild.out).find("needs a StudyInstanceUID") != std::string::npos);
  }
  {
    INFO("C-MOVE of a series to a storescp; an unknown destination is refused");
    const auto out = server.dir() + "/moved";
    fs::create_directories(out);
    Process storescp(
        {"/usr/bin/storescp", "-aet", "STORESCP", "-od", out, std::to_string(a.storescp_port)});
    // storescp is ready once it accepts an echo.
    for (int i = 0; i < 100; ++i) {
      if (run_to_completion({"/usr/bin/echoscu", "-aec", "STORESCP", "127.0.0.1",
                             std::to_string(a.storescp_port)})
              .exit_code == 0)
        break;
      std::this_thread::sleep_for(50ms);
    }
    const auto r = run_to_completion(
        {"/usr/bin/movescu", "-S", "-aet", kCallingAe, "-aec", "CAREHUB", "-aem", "STORESCP", "-k",
         "QueryRetrieveLevel=SERIES", "-k", "StudyInstanceUID=" + kStudy3, "-k",
         "SeriesInstanceUID=" + kStudy3 + ".2", "127.0.0.1", port},
        {}, {}, 60s);
    INFO(describe(r));
    CHECK(r.exit_code == 0);
    const auto got = received(out);
    REQUIRE(got.size() == 1);
    REQUIRE(got.contains(a.sops.at("b1-2")));
    const auto same = dicom_tool({"same-dataset", got.at(a.sops.at("b1-2")), a.dir + "/b1-2"});
    INFO(describe(same));
    CHECK(same.exit_code == 0);

    const auto unknown = run_to_completion(
        {"/usr/bin/movescu", "-v", "-S", "-aet", kCallingAe, "-aec", "CAREHUB", "-aem", "ELSEWHERE",
         "-k", "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID=" + kStudy1, "127.0.0.1", port},
        {}, {}, 60s);
    INFO(describe(unknown));
    CHECK((unknown.err + unknown.out).find("MoveDestinationUnknown") != std::string::npos);
    CHECK(received(out).size() == 1);
    const auto actions = audited(server);
    CHECK(actions.contains("dicom.move:ae:" + kCallingAe + ":success"));
    CHECK(actions.contains("dicom.move:ae:" + kCallingAe + ":failure"));  // the unknown one
    CHECK(actions.contains("dicom.get:ae:" + kCallingAe + ":success"));
  }
}

}  // namespace

TEST_CASE("dicom query/retrieve: C-FIND at every level, on SQLite", "[e2e][dicom][dimse]") {
  run_find(archive({}));
}

TEST_CASE("dicom query/retrieve: C-FIND at every level, on PostgreSQL", "[e2e][dicom][dimse]") {
  TestDatabase pg(carehub::Backend::kPostgres);
  ServerOptions options;
  options.database_url = pg.url();
  run_find(archive(options));
}

TEST_CASE("dicom query/retrieve: C-GET and C-MOVE, on SQLite", "[e2e][dicom][dimse]") {
  run_retrieve(archive({}));
}

TEST_CASE("dicom query/retrieve: C-GET and C-MOVE, on PostgreSQL", "[e2e][dicom][dimse]") {
  TestDatabase pg(carehub::Backend::kPostgres);
  ServerOptions options;
  options.database_url = pg.url();
  run_retrieve(archive(options));
}

TEST_CASE("dicom query/retrieve: C-GET decodes what the caller cannot take as stored",
          "[e2e][dicom][dimse]") {
  auto server = dicom_server();
  // Compressed files, stored as they are; getscu proposes only uncompressed transfer syntaxes.
  std::map<std::string, std::string> originals;  // SOP UID -> file
  for (const char* name :
       {"JPEG2000.dcm", "MR_small_RLE.dcm", "SC_rgb_jpeg_gdcm.dcm", "image_dfl.dcm"}) {
    const auto path = kTestFiles + "/" + name;
    const auto r = storescu(*server, path);
    INFO(describe(r));
    REQUIRE(sent(r));
    originals[uids_of(path).first] = path;
  }
  const auto out = server->dir() + "/got";
  fs::create_directories(out);
  for (const auto& [sop, path] : originals) {
    const auto r = run_to_completion(
        {"/usr/bin/getscu", "-S", "-aet", kCallingAe, "-aec", "CAREHUB", "-od", out, "-k",
         "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID=" + uids_of(path).second, "127.0.0.1",
         std::to_string(dimse_port(*server))},
        {}, {}, 60s);
    INFO(describe(r));
    CHECK(r.exit_code == 0);
  }
  const auto got = received(out);
  REQUIRE(got.size() == originals.size());
  for (const auto& [sop, path] : originals) {
    INFO(path);
    REQUIRE(got.contains(sop));
    CHECK(transfer_syntax_of(got.at(sop)).rfind("1.2.840.10008.1.2.4", 0) != 0);
    const auto same = dicom_tool({"same-image", path, got.at(sop)});
    INFO(describe(same));
    REQUIRE(same.exit_code == 0);
    const auto result = nlohmann::json::parse(same.out);
    CHECK(result["differing"].empty());
    // Lossless syntaxes decode to the same pixels; lossy JPEG 2000 as pydicom decodes it, within
    // rounding.
    if (path.find("JPEG2000") == std::string::npos) {
      CHECK(result["pixels_equal"] == true);
    } else {
      CHECK(result["mad"].get<double>() < 1.0);
    }
  }
  CHECK(audited(*server).contains("dicom.get:ae:" + kCallingAe + ":success"));
}

TEST_CASE("dicom query/retrieve: more matches than find_max_results are refused, none sent",
          "[e2e][dicom][dimse]") {
  const auto a = archive({}, {{"find_max_results", 2}});
  RunResult r;
  // Three studies match a universal C-FIND: refused whole (Out of Resources), no partial list.
  CHECK(findscu(*a.server, "-S", {"QueryRetrieveLevel=STUDY", "StudyInstanceUID"}, &r).empty());
  INFO(describe(r));
  CHECK(r.err.find("too many matches") != std::string::npos);
  // Two do not.
  CHECK(findscu(*a.server, "-S",
                {"QueryRetrieveLevel=STUDY", "PatientName=Garcia*", "StudyInstanceUID"})
            .size() == 2);
  // A retrieve of a three-instance study.
  const auto out = a.server->dir() + "/got";
  fs::create_directories(out);
  const auto get = run_to_completion(
      {"/usr/bin/getscu", "-d", "-S", "-aet", kCallingAe, "-aec", "CAREHUB", "-od", out, "-k",
       "QueryRetrieveLevel=STUDY", "-k", "StudyInstanceUID=" + kStudy1, "127.0.0.1",
       std::to_string(dimse_port(*a.server))},
      {}, {}, 60s);
  INFO(describe(get));
  CHECK(get.err.find("more than 2 instances match") != std::string::npos);
  CHECK(received(out).empty());
}
