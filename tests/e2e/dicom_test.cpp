// The dicom module in the real binary: every pydicom test file that DCMTK reads goes in through
// STOW-RS, a plain POST and storescu, and comes back through WADO-RS exactly as stored; what is
// not DICOM, or truncated, is refused and nothing is stored; duplicates; an unknown calling AE.
#include <sys/xattr.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include "carehub/hash.hpp"
#include "e2e/dicom_support.hpp"

using namespace std::chrono_literals;
using namespace carehub::test;
using namespace carehub::test::dicom;
using carehub::sha256_hex;

namespace {

std::string study_path(const std::string& study) {
  return "/dicom-web/studies/" + study;
}

// Every instance of the study through WADO-RS, as (content type, bytes).
std::vector<Part> retrieve(HttpClient& http, const std::string& token, const std::string& study) {
  auto r = http.get(study_path(study), bearer(token));
  INFO(r.summary().substr(0, 400));
  REQUIRE(r.status == 200);
  CHECK(r.header("content-type")
            .value_or("")
            .rfind("multipart/related; type=\"application/dicom\"", 0) == 0);
  return multipart_parts(r);
}

std::size_t blob_files(const ServerUnderTest& server) {
  std::size_t n = 0;
  const auto root = server.dir() + "/blobs/dicom";
  if (!std::filesystem::exists(root)) return 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(root))
    n += e.is_regular_file() ? 1 : 0;
  return n;
}

// Blob files whose recorded checksum (the end of the name, the SHA-256 attribute) is not their
// content's: none when every checksum was taken over the bytes stored.
std::size_t blobs_misnamed(const ServerUnderTest& server) {
  std::size_t wrong = 0;
  const auto root = server.dir() + "/blobs/dicom";
  if (!std::filesystem::exists(root)) return 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(root)) {
    if (!e.is_regular_file()) continue;
    const std::string sha = sha256_hex(read_file(e.path().string()));
    const std::string name = e.path().filename().string();
    char attr[64];
    const auto n = ::getxattr(e.path().c_str(), "user.carehub.sha256", attr, sizeof attr);
    const bool named =
        name.size() > 21 && name.substr(name.size() - 21, 17) == "-" + sha.substr(0, 16);
    const bool attributed = n < 0 || std::string(attr, static_cast<std::size_t>(n)) == sha;
    wrong += named && attributed ? 0 : 1;
  }
  return wrong;
}

int studies_listed(HttpClient& http, const std::string& token) {
  auto r = http.get("/api/v1/dicom/studies?limit=500", bearer(token));
  REQUIRE(r.status == 200);
  return static_cast<int>(r.json()["studies"].size());
}

struct Files {
  std::vector<std::string> storable, refused;
};

Files classified() {
  Files f;
  for (const auto& path : pydicom_test_files())
    (storable(path) ? f.storable : f.refused).push_back(path);
  // Not DICOM at all, and empty.
  f.refused.push_back(kTestFiles + "/README.txt");
  return f;
}

}  // namespace

TEST_CASE("dicom: every readable pydicom test file in by plain POST and back byte-identical",
          "[e2e][dicom]") {
  auto server = dicom_server();
  auto http = server->client(std::chrono::seconds(30));
  const auto admin = login(http, kAdmin);
  const auto token = api_token(http, admin, {"dicom:write"});
  const auto files = classified();
  REQUIRE(files.storable.size() >= 40);  // implicit/explicit LE, BE, deflated, JPEG, RLE, SR, RT
  std::map<std::string, std::string> first_bytes;  // SOP Instance UID -> the bytes stored
  for (const auto& path : files.storable) {
    INFO(path);
    const std::string bytes = read_file(path);
    auto r = post_instance(http, token, bytes);
    INFO(r.summary());
    const auto [sop, study] = uids_of(path);
    auto first = first_bytes.find(sop);
    if (first != first_bytes.end() && first->second != bytes) {
      // Several test files are one image in other encodings: the first is stored, another
      // content under the same SOP Instance UID is a conflict.
      CHECK(r.status == 409);
      continue;
    }
    REQUIRE(r.status == 200);
    CHECK(r.json()["sop_instance_uid"] == sop);
    CHECK(r.json()["study_instance_uid"] == study);
    CHECK(r.json()["status"] == (first == first_bytes.end() ? "Stored" : "AlreadyStored"));
    first_bytes.emplace(sop, bytes);
  }
  // Back through WADO-RS: each stored instance exactly as sent.
  std::map<std::string, std::string> by_sha;
  for (const auto& [sop, bytes] : first_bytes) by_sha[sha256_hex(bytes)] = sop;
  const auto reader = api_token(http, admin, {"dicom:read"});
  std::set<std::string> studies;
  for (const auto& path : files.storable) studies.insert(uids_of(path).second);
  std::set<std::string> returned;
  for (const auto& study : studies) {
    for (const auto& part : retrieve(http, reader, study)) {
      INFO("study " << study);
      CHECK(part.content_type.rfind("application/dicom; transfer-syntax=", 0) == 0);
      const auto it = by_sha.find(sha256_hex(part.body));
      REQUIRE(it != by_sha.end());  // byte-identical to what was stored
      returned.insert(it->second);
    }
  }
  CHECK(returned.size() == first_bytes.size());

  // What is not DICOM Part 10, or truncated, is refused with a reason; nothing is stored.
  const auto before = blob_files(*server);
  const int studies_before = studies_listed(http, reader);
  for (const auto& path : files.refused) {
    INFO(path);
    auto r = post_instance(http, token, read_file(path));
    CHECK(r.status == 400);
    CHECK_FALSE(r.json()["error"]["message"].get<std::string>().empty());
  }
  auto random = post_instance(http, token, std::string(5000, '\x42'));
  CHECK(random.status == 400);
  CHECK(post_instance(http, token, "").status == 400);
  CHECK(blob_files(*server) == before);
  CHECK(studies_listed(http, reader) == studies_before);
}

TEST_CASE("dicom: STOW-RS stores many parts, reports each failure, and WADO-RS returns them",
          "[e2e][dicom]") {
  auto server = dicom_server();
  auto http = server->client(std::chrono::seconds(60));
  const auto admin = login(http, kAdmin);
  const auto token = api_token(http, admin, {"dicom:write", "dicom:read"});
  const auto files = classified();
  std::vector<std::string> contents;
  std::set<std::string> sops;
  for (const auto& path : files.storable) {
    const auto sop = uids_of(path).first;
    if (!sops.insert(sop).second) continue;  // one encoding per SOP Instance UID
    contents.push_back(read_file(path));
  }
  auto r = stow(http, token, contents);
  INFO(r.summary().substr(0, 2000));
  REQUIRE(r.status == 200);
  CHECK(r.header("content-type").value_or("").rfind("application/dicom+json", 0) == 0);
  const auto answer = r.json();
  CHECK(answer["00081199"]["Value"].size() == contents.size());
  CHECK_FALSE(answer.contains("00081198"));

  // A second request mixing a good new instance, a truncated file and a duplicate: 202, with the
  // failures listed and the good one stored.
  const auto dir = server->dir() + "/made";
  write_file(server->dir() + "/spec.json", R"([{"file": "new.dcm", "patient_id": "STOW-NEW"}])");
  REQUIRE(dicom_tool({"make", dir, server->dir() + "/spec.json"}).exit_code == 0);
  auto mixed = stow(http, token,
                    {read_file(dir + "/new.dcm"), read_file(kTestFiles + "/MR_truncated.dcm"),
                     contents[0], "not dicom at all"});
  INFO(mixed.summary().substr(0, 2000));
  REQUIRE(mixed.status == 202);
  const auto m = mixed.json();
  CHECK(m["00081199"]["Value"].size() == 2);  // the new one, and the duplicate (same bytes)
  REQUIRE(m["00081198"]["Value"].size() == 2);
  for (const auto& failed : m["00081198"]["Value"]) {
    CHECK(failed["00081197"]["Value"][0] == 0xC000);
    CHECK_FALSE(failed["00000902"]["Value"][0].get<std::string>().empty());
  }
  // Nothing storable: 409.
  CHECK(stow(http, token, {"junk"}).status == 409);
  // Not multipart/related of application/dicom: 415; malformed: 400.
  HttpHeaders json_type = bearer(token);
  json_type.emplace_back("Content-Type", "application/json");
  CHECK(http.request("POST", "/dicom-web/studies", json_type, "{}").status == 415);
  HttpHeaders broken = bearer(token);
  broken.emplace_back("Content-Type", "multipart/related; type=\"application/dicom\"; boundary=x");
  CHECK(http.request("POST", "/dicom-web/studies", broken, "no boundary here").status == 400);

  // STOW-RS to one study refuses instances of another.
  const auto [new_sop, new_study] = uids_of(dir + "/new.dcm");
  auto wrong = stow(http, token, {read_file(kTestFiles + "/CT_small.dcm")},
                    "/dicom-web/studies/" + new_study);
  CHECK(wrong.status == 409);
  CHECK(wrong.json()["00081198"]["Value"][0]["00081197"]["Value"][0] == 0xA900);

  // Series and instance retrieval, metadata from the index, and a frame of CT_small.
  const auto [ct_sop, ct_study] = uids_of(kTestFiles + "/CT_small.dcm");
  auto instances = http.get(study_path(ct_study) + "/instances", bearer(token));
  REQUIRE(instances.status == 200);
  const auto listed = instances.json();
  REQUIRE(listed.size() == 1);
  const std::string series = listed[0]["0020000E"]["Value"][0];
  const std::string instance_url =
      study_path(ct_study) + "/series/" + series + "/instances/" + ct_sop;
  auto one = http.get(instance_url, bearer(token));
  REQUIRE(one.status == 200);
  const auto parts = multipart_parts(one);
  REQUIRE(parts.size() == 1);
  CHECK(parts[0].body == read_file(kTestFiles + "/CT_small.dcm"));
  HttpHeaders accept_single = bearer(token);
  accept_single.emplace_back("Accept", "application/dicom");
  CHECK(http.get(instance_url, accept_single).body == read_file(kTestFiles + "/CT_small.dcm"));
  HttpHeaders accept_json = bearer(token);
  accept_json.emplace_back("Accept", "application/json");
  CHECK(http.get(instance_url, accept_json).status == 406);
  HttpHeaders other_ts = bearer(token);
  other_ts.emplace_back(
      "Accept",
      "multipart/related; type=\"application/dicom\"; transfer-syntax=1.2.840.10008.1.2.4.50");
  CHECK(http.get(instance_url, other_ts).status == 406);

  auto meta = http.get(instance_url + "/metadata", bearer(token));
  REQUIRE(meta.status == 200);
  const auto md = meta.json();
  REQUIRE(md.size() == 1);
  CHECK(md[0]["00080018"]["Value"][0] == ct_sop);
  CHECK(md[0]["7FE00010"].contains("BulkDataURI"));
  CHECK_FALSE(md[0].contains("00020010"));  // the file meta group is not the data set

  auto frame = http.get(instance_url + "/frames/1", bearer(token));
  INFO(frame.summary().substr(0, 300));
  REQUIRE(frame.status == 200);
  const auto frame_parts = multipart_parts(frame);
  REQUIRE(frame_parts.size() == 1);
  const auto expected = dicom_tool({"frame", kTestFiles + "/CT_small.dcm", "1"});
  REQUIRE(expected.exit_code == 0);
  CHECK(frame_parts[0].body == expected.out);
  CHECK(http.get(instance_url + "/frames/2", bearer(token)).status == 400);
  auto bulk = http.get(md[0]["7FE00010"]["BulkDataURI"].get<std::string>(), bearer(token));
  REQUIRE(bulk.status == 200);
  CHECK(multipart_parts(bulk)[0].body == expected.out);
  CHECK(http.get(study_path("1.2.3.4.5.6.7"), bearer(token)).status == 404);
}

TEST_CASE(
    "dicom: a STOW-RS request of many parts is answered part by part as single uploads "
    "would be",
    "[e2e][dicom]") {
  auto server = dicom_server();
  auto http = server->client(std::chrono::seconds(120));
  const auto admin = login(http, kAdmin);
  const auto token = api_token(http, admin, {"dicom:write", "dicom:read"});
  // 150 instances of one study in two series (more than one batch of the server's), an instance
  // that puts series A under another study, and one that reuses instance 5's UID with other bytes.
  const std::string study = "1.2.826.0.1.3680043.8.498.1001";
  const std::string series_a = study + ".1", series_b = study + ".2";
  const std::string other_study = "1.2.826.0.1.3680043.8.498.1002";
  nlohmann::json spec = nlohmann::json::array();
  for (int i = 0; i < 150; ++i) {
    spec.push_back({{"file", std::to_string(i) + ".dcm"},
                    {"patient_id", "BATCH-1"},
                    {"study_uid", study},
                    {"series_uid", i % 2 ? series_b : series_a},
                    {"sop_uid", study + ".9." + std::to_string(i + 1)}});
  }
  spec.push_back({{"file", "wrong_study.dcm"},
                  {"study_uid", other_study},
                  {"series_uid", series_a},
                  {"sop_uid", other_study + ".9.1"}});
  spec.push_back({{"file", "other_bytes.dcm"},
                  {"patient_name", "Other^Bytes"},
                  {"study_uid", study},
                  {"series_uid", series_a},
                  {"sop_uid", study + ".9.5"}});
  const auto dir = server->dir() + "/made";
  write_file(server->dir() + "/spec.json", spec.dump());
  REQUIRE(dicom_tool({"make", dir, server->dir() + "/spec.json"}).exit_code == 0);

  std::vector<std::string> parts;
  for (int i = 0; i < 150; ++i) parts.push_back(read_file(dir + "/" + std::to_string(i) + ".dcm"));
  // Failures and repeats land in different batches: part 66 junk, 71 the wrong study, 101
  // instance 5 again (same bytes: already stored), 141 instance 5 with other bytes.
  parts.insert(parts.begin() + 65, "junk, not DICOM");
  parts.insert(parts.begin() + 70, read_file(dir + "/wrong_study.dcm"));
  parts.insert(parts.begin() + 100, read_file(dir + "/4.dcm"));
  parts.insert(parts.begin() + 140, read_file(dir + "/other_bytes.dcm"));
  auto r = stow(http, token, parts);
  INFO(r.summary().substr(0, 3000));
  REQUIRE(r.status == 202);
  const auto answer = r.json();
  CHECK(answer["00081199"]["Value"].size() == 151);  // 150 stored, and the repeat
  REQUIRE(answer["00081198"]["Value"].size() == 3);
  std::map<std::string, int> failure_of_part;
  for (const auto& failed : answer["00081198"]["Value"]) {
    const std::string reason = failed["00000902"]["Value"][0];
    failure_of_part[reason.substr(0, reason.find(':'))] = failed["00081197"]["Value"][0];
  }
  CHECK(failure_of_part["part 66"] == 0xC000);   // not DICOM
  CHECK(failure_of_part["part 71"] == 0xA900);   // its series is another study's
  CHECK(failure_of_part["part 141"] == 0x0111);  // the UID is stored with other bytes

  // The index and the blob store hold exactly the 150, instance 5 with its first bytes, and the
  // refused instance left no study behind.
  auto listed = http.get("/dicom-web/studies/" + study + "/instances?limit=1000", bearer(token));
  REQUIRE(listed.status == 200);
  CHECK(listed.json().size() == 150);
  CHECK(studies_listed(http, token) == 1);
  auto other = http.get("/dicom-web/studies?StudyInstanceUID=" + other_study, bearer(token));
  CHECK((other.status == 204 || (other.status == 200 && other.json().empty())));
  CHECK(blob_files(*server) == 150);
  CHECK(blobs_misnamed(*server) == 0);
  auto fifth = http.get(
      "/dicom-web/studies/" + study + "/series/" + series_a + "/instances/" + study + ".9.5",
      bearer(token));
  REQUIRE(fifth.status == 200);
  CHECK(multipart_parts(fifth)[0].body == read_file(dir + "/4.dcm"));
  // The same refusal by plain POST: 409, and still nothing of the other study.
  CHECK(post_instance(http, token, read_file(dir + "/wrong_study.dcm")).status == 409);
  CHECK(studies_listed(http, token) == 1);
}

TEST_CASE("dicom: storescu stores every readable file, an unknown calling AE is refused",
          "[e2e][dicom]") {
  auto server = dicom_server();
  auto http = server->client(std::chrono::seconds(30));
  const auto admin = login(http, kAdmin);
  const auto token = api_token(http, admin, {"dicom:read"});
  const auto files = classified();

  auto refused = storescu(*server, kTestFiles + "/CT_small.dcm", "STRANGER");
  CHECK_FALSE(sent(refused));
  CHECK(refused.err.find("Calling AE Title Not Recognized") != std::string::npos);
  CHECK(studies_listed(http, token) == 0);

  // One file per SOP Instance UID (several test files are one image in other encodings, which
  // would rightly be refused as other content under a stored UID).
  std::set<std::string> sops;
  std::size_t checked = 0;
  for (const auto& path : files.storable) {
    const auto [sop, study] = uids_of(path);
    if (!sops.insert(sop).second) continue;
    INFO(path);
    auto r = storescu(*server, path);
    INFO(describe(r));
    REQUIRE(sent(r));
    // C-STORE carries the data set (the file meta is the receiver's): what WADO-RS returns is
    // the same data set, element for element.
    auto found = http.get("/dicom-web/instances?SOPInstanceUID=" + sop, bearer(token));
    REQUIRE(found.status == 200);
    REQUIRE(found.json().size() == 1);
    const std::string series = found.json()[0]["0020000E"]["Value"][0];
    auto back =
        http.get(study_path(study) + "/series/" + series + "/instances/" + sop, bearer(token));
    REQUIRE(back.status == 200);
    const auto parts = multipart_parts(back);
    REQUIRE(parts.size() == 1);
    const auto got = server->dir() + "/got.dcm";
    write_file(got, parts[0].body);
    const auto same = dicom_tool({"same-dataset", got, path});
    INFO(describe(same));
    CHECK(same.exit_code == 0);
    ++checked;
  }
  CHECK(checked >= 30);
  // Each file's checksum, taken as its parts arrived, is the stored bytes' checksum.
  CHECK(blob_files(*server) == checked);
  CHECK(blobs_misnamed(*server) == 0);
  // A file storescu sends again: success (already stored), nothing new.
  CHECK(sent(storescu(*server, kTestFiles + "/CT_small.dcm")));
  auto echo = run_to_completion({"/usr/bin/echoscu", "-aet", kCallingAe, "-aec", "CAREHUB",
                                 "127.0.0.1", std::to_string(dimse_port(*server))});
  CHECK(echo.exit_code == 0);
}

namespace {

// The TCP ports process pid listens on: its socket descriptors' inodes, looked up among the
// listening (state 0A) sockets of /proc/net/tcp and tcp6.
std::set<int> listening_ports(pid_t pid) {
  std::set<std::string> inodes;
  for (const auto& entry :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd")) {
    std::error_code ec;
    const auto target = std::filesystem::read_symlink(entry.path(), ec).string();
    if (!ec && target.starts_with("socket:[")) inodes.insert(target.substr(8, target.size() - 9));
  }
  std::set<int> ports;
  for (const std::string table : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    std::istringstream lines(read_file(table));
    std::string line;
    std::getline(lines, line);  // the header
    while (std::getline(lines, line)) {
      std::istringstream fields(line);
      std::string slot, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
      fields >> slot >> local >> remote >> state >> queues >> timer >> retransmits >> uid >>
          timeout >> inode;
      if (state == "0A" && inodes.contains(inode))
        ports.insert(std::stoi(local.substr(local.find(':') + 1), nullptr, 16));
    }
  }
  return ports;
}

}  // namespace

TEST_CASE("dicom: the listener listens only where dicom.host says", "[e2e][dicom]") {
  // DCMTK binds every interface by itself; carehub hands it a socket bound to dicom.host. Two
  // loopback addresses stand for two interfaces.
  auto echo = [](const std::string& address, int port) {
    return run_to_completion({"/usr/bin/echoscu", "-to", "5", "-aet", kCallingAe, "-aec", "CAREHUB",
                              address, std::to_string(port)},
                             {}, {}, 20s);
  };
  for (const std::string bound : {"127.0.0.1", "127.0.0.2"}) {
    const std::string other = bound == "127.0.0.1" ? "127.0.0.2" : "127.0.0.1";
    auto server = dicom_server({}, {{"host", bound}});
    const int port = dimse_port(*server);
    INFO("bound to " << bound);
    const auto here = echo(bound, port);
    INFO(describe(here));
    CHECK(here.exit_code == 0);
    const auto there = echo(other, port);
    INFO(describe(there));
    CHECK(there.exit_code != 0);
    // No other listening socket is left behind (DCMTK's own, on the port it was given): the
    // server listens on its HTTP port and the DICOM port, and nowhere else.
    const auto sockets = listening_ports(server->process().pid());
    CHECK(sockets == std::set<int>{server->port(), port});
  }
  // An address that is not IPv4 stops the start, saying so.
  check_start_refused(
      {.extra = {{"dicom", {{"dimse_port", free_loopback_port()}, {"host", "::1"}}}}},
      "dicom.host '::1' is not an IPv4 address");
}
