// A real DICOMweb client against the real binary: tests/dicomweb/client.mjs drives the npm package
// dicomweb-client (the one OHIF uses) through STOW-RS, QIDO-RS and WADO-RS on carehub's
// /dicom-web, so the requests are the ones a viewer sends and the answers are parsed the way it
// parses them (multipart/related both ways, DICOM JSON). The script checks what comes back against
// the files themselves: instances byte-identical, UIDs in searches and metadata, frame 1 of each
// natively encoded image as in the file. Its packages come from `npm ci --prefix tests/dicomweb`.
#include <catch2/catch.hpp>
#include <filesystem>
#include <set>

#include "e2e/dicom_support.hpp"

using namespace carehub::test;
using namespace carehub::test::dicom;

namespace {

const std::string kNode = "/usr/bin/node";

std::string client_dir() {
  return source_dir() + "/tests/dicomweb";
}

// The test cannot run without node and the npm packages: that is a failure, said plainly.
void require_client() {
  if (!std::filesystem::exists(kNode))
    FAIL(kNode << " is missing: install Debian's nodejs (scripts/install-deps.sh does it)");
  for (const char* package : {"dicomweb-client", "xhr2"}) {
    if (!std::filesystem::exists(client_dir() + "/node_modules/" + package + "/package.json"))
      FAIL(client_dir() << "/node_modules/" << package
                        << " is missing: run `npm ci` in tests/dicomweb (`npm ci --prefix "
                           "tests/dicomweb`; scripts/install-deps.sh does it)");
  }
}

RunResult run_client(const ServerUnderTest& server, const std::string& token,
                     const std::vector<std::string>& files, bool viewer = false) {
  std::vector<std::string> argv = {
      kNode, client_dir() + "/client.mjs",
      "http://127.0.0.1:" + std::to_string(server.port()) + "/dicom-web", token};
  argv.insert(argv.end(), files.begin(), files.end());
  // The script gives up (with a message) before the runner kills it.
  return run_to_completion(
      argv, {{"DICOMWEB_CLIENT_TIMEOUT_S", "100"}, {"DICOMWEB_CLIENT_VIEWER", viewer ? "1" : "0"}},
      {}, std::chrono::seconds(120));
}

// An API token for the client: it stores and reads.
std::string client_token(const ServerUnderTest& server) {
  auto http = server.client(std::chrono::seconds(30));
  return api_token(http, login(http, kAdmin), {"dicom:write", "dicom:read"});
}

bool has_line(const RunResult& r, const std::string& text) {
  return r.out.find(text) != std::string::npos;
}

}  // namespace

TEST_CASE("dicomweb-client: stores, searches and retrieves CT, MR, RGB and RT instances",
          "[e2e][dicom][dicomweb-client]") {
  require_client();
  auto server = dicom_server();
  const auto token = client_token(*server);
  // Explicit VR 16-bit CT and MR, an 8-bit RGB image of odd length (3x3x3 = 27 bytes, padded in
  // the file) and an implicit VR RT plan without pixel data: four studies, four patients.
  const std::vector<std::string> files = {
      kTestFiles + "/CT_small.dcm", kTestFiles + "/MR_small.dcm",
      kTestFiles + "/SC_rgb_small_odd.dcm", kTestFiles + "/rtplan.dcm"};
  const auto r = run_client(*server, token, files);
  INFO(describe(r));
  INFO(server->server_stderr().substr(0, 4000));
  CHECK(r.exit_code == 0);
  CHECK(has_line(r, "STOW-RS storeInstances: 4 instances in 4 studies stored"));
  CHECK(has_line(r, "QIDO-RS searchForStudies PatientID=1CT1: "));
  CHECK(has_line(r, "WADO-RS retrieveInstance: 4 instances byte-identical to the files"));
  // CT_small is 128x128, 16 bits allocated: frame 1 is 32768 bytes.
  CHECK(has_line(r, "WADO-RS retrieveInstanceFrames CT_small.dcm frame 1: 32768 bytes"));
  CHECK(has_line(r, "WADO-RS retrieveInstanceFrames MR_small.dcm frame 1: 8192 bytes"));
  CHECK(has_line(r, "WADO-RS retrieveInstanceFrames SC_rgb_small_odd.dcm frame 1: 27 bytes"));
  CHECK(has_line(r, "steps passed (4 instances, 4 studies, 3 frames)"));
}

TEST_CASE(
    "dicomweb-client: what a viewer asks for: rendered, thumbnails, transcoded frames, "
    "includefield",
    "[e2e][dicom][dicomweb-client]") {
  require_client();
  auto server = dicom_server();
  const auto token = client_token(*server);
  // Uncompressed CT, JPEG-LS MR, JPEG lossless RGB and JPEG 2000.
  const std::vector<std::string> files = {
      kTestFiles + "/CT_small.dcm", kTestFiles + "/MR_small_jpeg_ls_lossless.dcm",
      kTestFiles + "/SC_rgb_jpeg_gdcm.dcm", kTestFiles + "/JPEG2000.dcm"};
  const auto r = run_client(*server, token, files, true);
  INFO(describe(r));
  INFO(server->server_stderr().substr(0, 4000));
  CHECK(r.exit_code == 0);
  CHECK(has_line(r, "QIDO-RS includefield=00080070 and includefield=all: the Manufacturer of "));
  CHECK(has_line(r, "retrieveInstanceThumbnail: 4 images"));
  // JPEG2000.dcm is 1024x256, 16 bits allocated: 524288 bytes decoded.
  CHECK(has_line(r,
                 "retrieveInstanceFrames JPEG2000.dcm frame 1 transcoded to Explicit VR Little "
                 "Endian: 524288 bytes"));
  CHECK(has_line(r,
                 "retrieveInstanceFrames SC_rgb_jpeg_gdcm.dcm frame 1 transcoded to Explicit VR "
                 "Little Endian: 30000 bytes"));
}

TEST_CASE("dicomweb-client: every storable little-endian pydicom file round-trips",
          "[e2e][dicom][dicomweb-client]") {
  require_client();
  // What DCMTK reads as Part 10 with its UIDs, one file per SOP Instance UID; the script reads
  // little-endian datasets only (not explicit big endian, not deflated).
  std::vector<std::string> files;
  std::set<std::string> sops;
  for (const auto& path : pydicom_test_files()) {
    if (!storable(path)) continue;
    const auto ts = transfer_syntax_of(path);
    if (ts == "1.2.840.10008.1.2.2" || ts == "1.2.840.10008.1.2.1.99") continue;
    if (!sops.insert(uids_of(path).first).second) continue;
    files.push_back(path);
  }
  REQUIRE(files.size() >= 20);  // implicit and explicit VR, JPEG, JPEG 2000, RLE, SR, RT, SEG
  auto server = dicom_server();
  const auto token = client_token(*server);
  const auto r = run_client(*server, token, files);
  INFO(describe(r));
  INFO(server->server_stderr().substr(0, 4000));
  CHECK(r.exit_code == 0);
  CHECK(has_line(r, "STOW-RS storeInstances: " + std::to_string(files.size()) + " instances"));
  CHECK(has_line(r, "WADO-RS retrieveInstance: " + std::to_string(files.size()) +
                        " instances byte-identical to the files"));
  CHECK(has_line(r, "WADO-RS retrieveInstanceFrames CT_small.dcm frame 1: 32768 bytes"));
}
