// Shared by the dicom end-to-end tests: Debian's pydicom test files, DCMTK's command-line tools,
// multipart bodies both ways, and a server with the DICOM listener on.
#pragma once

#include <string>
#include <vector>

#include "support/signed_in_server.hpp"

namespace carehub::test::dicom {

inline const std::string kTestFiles = "/usr/lib/python3/dist-packages/pydicom/data/test_files";
inline const std::string kCallingAe = "TESTSCU";

// Every *.dcm among pydicom's test files, sorted.
std::vector<std::string> pydicom_test_files();
// True when DCMTK reads the file as Part 10 and it has SOP Class, SOP Instance, Study and Series
// Instance UIDs: what carehub must store. Anything else it must refuse.
bool storable(const std::string& path);
// (SOP Instance UID, Study Instance UID) of a file, read with dcmdump.
std::pair<std::string, std::string> uids_of(const std::string& path);
std::string transfer_syntax_of(const std::string& path);

// A server with the DICOM listener on a free port (calling AE kCallingAe allowed).
std::unique_ptr<ServerUnderTest> dicom_server(ServerOptions options = {},
                                              nlohmann::json dicom = nlohmann::json::object());
int dimse_port(const ServerUnderTest& server);

// storescu of one file to the server's listener, as calling AE `calling`, proposing the file's
// own transfer syntax (storescu proposes only uncompressed ones unless told).
RunResult storescu(const ServerUnderTest& server, const std::string& file,
                   const std::string& calling = kCallingAe);
// True when storescu reported no error.
bool sent(const RunResult& r);

HttpResponse post_instance(HttpClient& http, const std::string& token, const std::string& bytes);
// A STOW-RS body of these files (each an application/dicom part), with its boundary.
std::string stow_body(const std::vector<std::string>& contents, const std::string& boundary);
HttpResponse stow(HttpClient& http, const std::string& token,
                  const std::vector<std::string>& contents,
                  const std::string& path = "/dicom-web/studies");
// The parts of a multipart/related answer (content only), with each part's Content-Type.
struct Part {
  std::string content_type, body;
};
std::vector<Part> multipart_parts(const HttpResponse& r);

// Runs tests/e2e/dicom/dicom_tool.py with Debian's python3 (which has pydicom).
RunResult dicom_tool(const std::vector<std::string>& args);

}  // namespace carehub::test::dicom
