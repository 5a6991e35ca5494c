#include "e2e/dicom_support.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <map>
#include <sstream>

namespace carehub::test::dicom {

std::vector<std::string> pydicom_test_files() {
  std::vector<std::string> out;
  for (const auto& entry : std::filesystem::directory_iterator(kTestFiles)) {
    if (entry.path().extension() == ".dcm") out.push_back(entry.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

namespace {

RunResult dcmdump_uids(const std::string& path) {
  return run_to_completion({"/usr/bin/dcmdump", "-q", "-Un", "--read-file-only", "+P", "0008,0016",
                            "+P", "0008,0018", "+P", "0020,000d", "+P", "0020,000e", path});
}

std::string value_of(const std::string& dump, const std::string& tag) {
  std::istringstream in(dump);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(tag, 0) != 0) continue;
    const auto open = line.find('['), close = line.find(']');
    if (open != std::string::npos && close != std::string::npos && close > open + 1)
      return line.substr(open + 1, close - open - 1);
  }
  return "";
}

}  // namespace

bool storable(const std::string& path) {
  const auto r = dcmdump_uids(path);
  if (r.exit_code != 0) return false;
  for (const char* tag : {"(0008,0016)", "(0008,0018)", "(0020,000d)", "(0020,000e)"}) {
    if (value_of(r.out, tag).empty()) return false;
  }
  return true;
}

std::string transfer_syntax_of(const std::string& path) {
  const auto r = run_to_completion({"/usr/bin/dcmdump", "-q", "-Un", "+P", "0002,0010", path});
  return value_of(r.out, "(0002,0010)");
}

std::pair<std::string, std::string> uids_of(const std::string& path) {
  const auto r = dcmdump_uids(path);
  return {value_of(r.out, "(0008,0018)"), value_of(r.out, "(0020,000d)")};
}

std::unique_ptr<ServerUnderTest> dicom_server(ServerOptions options, nlohmann::json dicom) {
  nlohmann::json section = {{"dimse_port", free_loopback_port()},
                            {"ae_title", "CAREHUB"},
                            {"allowed_callers", {kCallingAe + "=test-modality"}}};
  section.merge_patch(dicom);
  options.extra.merge_patch({{"dicom", section}});
  return started_server(std::move(options));
}

int dimse_port(const ServerUnderTest& server) {
  return server.config()["dicom"]["dimse_port"].get<int>();
}

RunResult storescu(const ServerUnderTest& server, const std::string& file,
                   const std::string& calling) {
  static const std::map<std::string, std::string> kProposal = {
      {"1.2.840.10008.1.2.4.50", "-xy"}, {"1.2.840.10008.1.2.4.51", "-xx"},
      {"1.2.840.10008.1.2.4.57", "-xs"}, {"1.2.840.10008.1.2.4.70", "-xs"},
      {"1.2.840.10008.1.2.4.80", "-xt"}, {"1.2.840.10008.1.2.4.81", "-xu"},
      {"1.2.840.10008.1.2.4.90", "-xv"}, {"1.2.840.10008.1.2.4.91", "-xw"},
      {"1.2.840.10008.1.2.5", "-xr"},    {"1.2.840.10008.1.2.1.99", "-xd"}};
  std::vector<std::string> argv = {"/usr/bin/storescu", "-R", "-aet", calling, "-aec", "CAREHUB"};
  if (auto it = kProposal.find(transfer_syntax_of(file)); it != kProposal.end())
    argv.push_back(it->second);
  argv.insert(argv.end(), {"127.0.0.1", std::to_string(dimse_port(server)), file});
  return run_to_completion(argv, {{"TCP_NODELAY", "1"}}, {}, std::chrono::seconds(60));
}

bool sent(const RunResult& r) {
  return r.exit_code == 0 && r.err.find("\nE: ") == std::string::npos && r.err.rfind("E: ", 0) != 0;
}

HttpResponse post_instance(HttpClient& http, const std::string& token, const std::string& bytes) {
  HttpHeaders h = bearer(token);
  h.emplace_back("Content-Type", "application/dicom");
  return http.request("POST", "/api/v1/dicom/instances", h, bytes);
}

std::string stow_body(const std::vector<std::string>& contents, const std::string& boundary) {
  std::string body;
  for (const auto& c : contents)
    body += "--" + boundary + "\r\nContent-Type: application/dicom\r\n\r\n" + c + "\r\n";
  return body + "--" + boundary + "--\r\n";
}

HttpResponse stow(HttpClient& http, const std::string& token,
                  const std::vector<std::string>& contents, const std::string& path) {
  const std::string boundary = "stow-test-boundary-93b1";
  HttpHeaders h = bearer(token);
  h.emplace_back("Content-Type",
                 "multipart/related; type=\"application/dicom\"; boundary=" + boundary);
  return http.request("POST", path, h, stow_body(contents, boundary));
}

std::vector<Part> multipart_parts(const HttpResponse& r) {
  const std::string type = r.header("content-type").value_or("");
  const auto at = type.find("boundary=");
  REQUIRE(at != std::string::npos);
  std::string boundary = type.substr(at + 9);
  boundary = boundary.substr(0, boundary.find(';'));
  const std::string delimiter = "--" + boundary;
  std::vector<Part> out;
  std::size_t pos = r.body.find(delimiter);
  REQUIRE(pos == 0);
  while (true) {
    pos += delimiter.size();
    if (r.body.compare(pos, 2, "--") == 0) break;
    REQUIRE(r.body.compare(pos, 2, "\r\n") == 0);
    const auto head_end = r.body.find("\r\n\r\n", pos);
    REQUIRE(head_end != std::string::npos);
    const std::string head = r.body.substr(pos + 2, head_end - pos - 2);
    const auto next = r.body.find("\r\n" + delimiter, head_end + 4);
    REQUIRE(next != std::string::npos);
    Part part;
    std::istringstream lines(head);
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind("Content-Type: ", 0) == 0) part.content_type = line.substr(14);
    }
    if (!part.content_type.empty() && part.content_type.back() == '\r')
      part.content_type.pop_back();
    part.body = r.body.substr(head_end + 4, next - head_end - 4);
    out.push_back(std::move(part));
    pos = next + 2;
  }
  return out;
}

RunResult dicom_tool(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"/usr/bin/python3",
                                   source_dir() + "/tests/e2e/dicom/dicom_tool.py"};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_to_completion(argv, {}, {}, std::chrono::seconds(60));
}

}  // namespace carehub::test::dicom
