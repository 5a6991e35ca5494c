#include "carehub/multipart.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <random>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

using carehub::MultipartError;
using carehub::MultipartPart;
using carehub::parse_multipart_content_type;

namespace {

using namespace std::string_literals;

// A body written to a fresh file under /tmp, removed again by the destructor.
class TempBody {
 public:
  explicit TempBody(const std::string& body) {
    char name[] = "/tmp/carehub-multipart-XXXXXX";
    fd_ = ::mkstemp(name);
    if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "mkstemp");
    path_ = name;
    for (std::size_t done = 0; done < body.size();) {
      const ssize_t n = ::write(fd_, body.data() + done, body.size() - done);
      if (n < 0) throw std::system_error(errno, std::generic_category(), "write");
      done += static_cast<std::size_t>(n);
    }
  }
  TempBody(const TempBody&) = delete;
  TempBody& operator=(const TempBody&) = delete;
  ~TempBody() {
    ::close(fd_);
    ::unlink(path_.c_str());
  }

  int fd() const { return fd_; }
  const std::string& path() const { return path_; }

  // The part's content, read back from the file at its reported range.
  std::string content(const MultipartPart& part) const {
    std::string out(part.length, '\0');
    const ssize_t n = ::pread(fd_, out.data(), out.size(), static_cast<off_t>(part.offset));
    REQUIRE(n == static_cast<ssize_t>(out.size()));
    return out;
  }

 private:
  int fd_ = -1;
  std::string path_;
};

std::vector<MultipartPart> scan(const TempBody& file, const std::string& boundary,
                                std::size_t chunk = carehub::kMultipartChunkBytes,
                                std::size_t max_parts = carehub::kMultipartDefaultMaxParts) {
  std::vector<MultipartPart> parts;
  carehub::scan_multipart(
      file.fd(), boundary, [&](MultipartPart&& p) { parts.push_back(std::move(p)); }, max_parts,
      chunk);
  return parts;
}

// The MultipartError message for body, which must be the same whatever the chunk size.
std::string scan_error(const std::string& body, const std::string& boundary,
                       std::size_t max_parts = carehub::kMultipartDefaultMaxParts) {
  const TempBody file(body);
  std::string message;
  for (std::size_t chunk : {carehub::kMultipartChunkBytes, std::size_t{1}, std::size_t{7}}) {
    try {
      scan(file, boundary, chunk, max_parts);
      FAIL("no MultipartError with chunk size " << chunk);
    } catch (const MultipartError& e) {
      if (message.empty()) message = e.what();
      CHECK(e.what() == message);
    }
  }
  return message;
}

std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string out(n, '\0');
  for (auto& c : out) c = static_cast<char>(rng() & 0xff);
  return out;
}

const std::string kBoundary = "----WebKitFormBoundary7MA4YWxkTrZu0gW";
const std::string kDash = "--" + kBoundary;

}  // namespace

TEST_CASE("multipart: parts of a form-data body keep their byte ranges", "[multipart]") {
  const std::string csv = "mrn,family,given\r\n1001,Doe,Jane\r\n1002,Roe,Richard\r\n";
  const std::string body =
      kDash + "\r\n" + "Content-Disposition: form-data; name=\"source\"\r\n\r\n" +
      "lab-import\r\n" + kDash + "\r\n" +
      "Content-Disposition: form-data; name=\"file\"; filename=\"a b.csv\"\r\n"
      "Content-Type: text/csv\r\n\r\n" +
      csv + "\r\n" + kDash + "\r\n" + "content-disposition: form-data; name=dry_run\r\n\r\n" +
      "true\r\n" + kDash + "--\r\n";
  const TempBody file(body);
  const auto parts = carehub::scan_multipart(file.path(), kBoundary);
  REQUIRE(parts.size() == 3);

  CHECK(parts[0].name == "source");
  CHECK_FALSE(parts[0].filename);
  CHECK(parts[0].content_type.empty());
  CHECK(file.content(parts[0]) == "lab-import");
  CHECK(parts[0].offset == body.find("lab-import"));

  CHECK(parts[1].name == "file");
  CHECK(parts[1].filename == "a b.csv");
  CHECK(parts[1].content_type == "text/csv");
  CHECK(parts[1].offset == body.find("mrn,"));
  CHECK(file.content(parts[1]) == csv);
  REQUIRE(parts[1].headers.size() == 2);
  CHECK(parts[1].headers[0].first == "content-disposition");
  CHECK(parts[1].headers[1] == std::pair<std::string, std::string>("content-type", "text/csv"));
  CHECK(parts[1].header("content-type") == "text/csv");

  CHECK(parts[2].name == "dry_run");
  CHECK(file.content(parts[2]) == "true");
}

TEST_CASE("multipart: a single part spans everything up to the closing delimiter", "[multipart]") {
  const std::string body = "--x\r\nContent-Type: application/octet-stream\r\n\r\nABC\r\n--x--";
  const TempBody file(body);
  const auto parts = scan(file, "x");
  REQUIRE(parts.size() == 1);
  CHECK(parts[0].content_type == "application/octet-stream");
  CHECK(parts[0].offset == body.find("ABC"));
  CHECK(parts[0].length == 3);
}

TEST_CASE("multipart: near-delimiters inside content stay content", "[multipart]") {
  const std::string content = "line one --" + kBoundary + " not at a line start\r\n" +
                              "\r\n--another-boundary\r\n" + "\r\n--" + kBoundary +
                              "X trailing characters\r\n" + "\n--" + kBoundary + "\n" + "\r\n-" +
                              kBoundary + "\r\n" + "\r\n--" + kBoundary.substr(1) + "\r\nend";
  const std::string body =
      kDash + "\r\nContent-Disposition: form-data; name=\"f\"; filename=" + "\"x.bin\"\r\n\r\n" +
      content + "\r\n" + kDash + "--\r\n";
  const TempBody file(body);
  for (std::size_t chunk = 1; chunk <= 17; ++chunk) {
    const auto parts = scan(file, kBoundary, chunk);
    REQUIRE(parts.size() == 1);
    CHECK(file.content(parts[0]) == content);
  }
}

TEST_CASE("multipart: binary content with NULs and CRs comes back byte for byte", "[multipart]") {
  std::string binary = random_bytes(300000, 42);
  binary += "\r\r\n\0\r\n-\r\n--\0"s;
  const std::string second = "\0\0\r\0\n"s;
  REQUIRE(binary.find("\r\n" + kDash) == std::string::npos);
  const std::string head = kDash + "\r\nContent-Type: application/dicom\r\n\r\n";
  const std::string body = head + binary + "\r\n" + head + second + "\r\n" + kDash + "--";
  const TempBody file(body);
  for (std::size_t chunk : {std::size_t{3}, std::size_t{4096}, carehub::kMultipartChunkBytes}) {
    const auto parts = scan(file, kBoundary, chunk);
    REQUIRE(parts.size() == 2);
    CHECK(parts[0].offset == head.size());
    CHECK(file.content(parts[0]) == binary);
    CHECK(file.content(parts[1]) == second);
  }
}

TEST_CASE("multipart: empty contents and parts without headers", "[multipart]") {
  const std::string body =
      "--b\r\n"
      "Content-Disposition: form-data; name=\"empty\"\r\n\r\n"
      "\r\n--b\r\n"                // empty content
      "\r\nno headers\r\n--b\r\n"  // no headers at all
      "X-Only: headers\r\n\r\n"
      "--b\r\n"  // headers, blank line, straight into the delimiter
      "--b\r\n"  // nothing at all
      "\r\n"
      "\r\n--b--";
  const TempBody file(body);
  const auto parts = scan(file, "b");
  REQUIRE(parts.size() == 5);
  CHECK(parts[0].name == "empty");
  CHECK(parts[0].length == 0);
  CHECK(parts[0].offset == body.find("\r\n\r\n") + 4);
  CHECK(parts[1].headers.empty());
  CHECK(file.content(parts[1]) == "no headers");
  CHECK(parts[2].header("x-only") == "headers");
  CHECK(parts[2].length == 0);
  CHECK(parts[3].headers.empty());
  CHECK(parts[3].length == 0);
  CHECK(parts[4].headers.empty());
  CHECK(parts[4].length == 0);
}

TEST_CASE("multipart: preamble and epilogue are ignored", "[multipart]") {
  const std::string body =
      "This is the preamble. --b is not a delimiter here\r\n"
      "nor is\n--b\r\n"
      "\r\n--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b--  \r\n"
      "epilogue\r\n--b\r\nContent-Type: text/plain\r\n\r\nignored\r\n--b--\r\n";
  const TempBody file(body);
  const auto parts = scan(file, "b", 5);
  REQUIRE(parts.size() == 1);
  CHECK(file.content(parts[0]) == "hello");
}

TEST_CASE("multipart: padding, LF-only header lines and folded headers", "[multipart]") {
  const std::string body =
      "--b \t \r\n"
      "Content-Type: text/plain;\n"
      "\tcharset=utf-8\n"
      "X-Empty:\n"
      "\n"
      "one\r\n--b\t\n"
      "\r\n"
      "two\r\n--b--";
  const TempBody file(body);
  const auto parts = scan(file, "b");
  REQUIRE(parts.size() == 2);
  CHECK(parts[0].content_type == "text/plain; charset=utf-8");
  CHECK(parts[0].header("x-empty") == "");
  CHECK(file.content(parts[0]) == "one");
  CHECK(file.content(parts[1]) == "two");
}

TEST_CASE("multipart: Content-Disposition parameters quoted, bare and RFC 5987", "[multipart]") {
  const auto disposition = [](const std::string& value) {
    const TempBody file("--b\r\nContent-Disposition: " + value + "\r\n\r\nx\r\n--b--");
    auto parts = scan(file, "b");
    REQUIRE(parts.size() == 1);
    return parts[0];
  };
  auto p = disposition(R"(form-data; name="a \"quoted\" name"; filename="C:\dir\f.csv")");
  CHECK(p.name == R"(a "quoted" name)");
  CHECK(p.filename == R"(C:\dir\f.csv)");
  p = disposition("form-data;name=bare ;FILENAME=report.csv");
  CHECK(p.name == "bare");
  CHECK(p.filename == "report.csv");
  p = disposition(R"(form-data; name="semi;colon"; filename*=UTF-8''%E2%82%AC%20rates.csv)");
  CHECK(p.name == "semi;colon");
  CHECK(p.filename == "\xE2\x82\xAC rates.csv");
  p = disposition("attachment; filename=\"fallback.csv\"; filename*=iso-8859-1'en'%E9t%E9.csv");
  CHECK(p.filename == "\xC3\xA9t\xC3\xA9.csv");
  p = disposition("attachment; filename=\"fallback.csv\"; filename*=UTF-8''%FF%00bad");
  CHECK(p.filename == "fallback.csv");
  p = disposition("form-data; name=\"\"; filename=\"\"");
  CHECK(p.name.empty());
  CHECK(p.filename == "");
  CHECK_THROWS_WITH(disposition("form-data; name=\"unterminated"),
                    "malformed Content-Disposition in part 1");
}

TEST_CASE("multipart: the content type gives media type, boundary and type", "[multipart]") {
  auto t = parse_multipart_content_type("multipart/form-data; boundary=" + kBoundary);
  REQUIRE(t);
  CHECK(t->media_type == "multipart/form-data");
  CHECK(t->boundary == kBoundary);
  CHECK_FALSE(t->type);

  t = parse_multipart_content_type(
      R"(Multipart/Related; type="application/dicom"; BOUNDARY="a b:c=d?"; start="<1@x>")");
  REQUIRE(t);
  CHECK(t->media_type == "multipart/related");
  CHECK(t->boundary == "a b:c=d?");
  CHECK(t->type == "application/dicom");

  CHECK(parse_multipart_content_type("multipart/mixed;boundary=\"" + std::string(70, 'z') + "\""));
  CHECK_FALSE(parse_multipart_content_type("multipart/mixed; boundary=" + std::string(71, 'z')));
  CHECK_FALSE(parse_multipart_content_type("multipart/form-data"));
  CHECK_FALSE(parse_multipart_content_type("multipart/form-data; boundary="));
  CHECK_FALSE(parse_multipart_content_type("multipart/form-data; boundary=\"\""));
  CHECK_FALSE(parse_multipart_content_type("multipart/form-data; boundary=\"ends in space \""));
  CHECK_FALSE(parse_multipart_content_type("multipart/form-data; boundary=\"unterminated"));
  CHECK_FALSE(parse_multipart_content_type("multipart/form-data; boundary=a; boundary=b"));
  CHECK_FALSE(parse_multipart_content_type("multipart/form-data; boundary=\"a\rb\""));
  CHECK_FALSE(parse_multipart_content_type("text/plain; boundary=abc"));
  CHECK_FALSE(parse_multipart_content_type("multipart/; boundary=abc"));
}

TEST_CASE("multipart: a STOW-RS multipart/related body", "[multipart]") {
  const auto type = parse_multipart_content_type(
      "multipart/related; type=\"application/dicom\"; boundary=\"DICOMwebBoundary\"");
  REQUIRE(type);
  const std::string one = "\0\0\0\0DICM\x02\x00"s + random_bytes(5000, 1);
  const std::string two = random_bytes(7000, 2);
  const std::string body = "--DICOMwebBoundary\r\nContent-Type: application/dicom\r\n\r\n" + one +
                           "\r\n--DICOMwebBoundary\r\n\r\n" + two + "\r\n--DICOMwebBoundary--\r\n";
  const TempBody file(body);
  const auto parts = carehub::scan_multipart(file.path(), type->boundary);
  REQUIRE(parts.size() == 2);
  CHECK(parts[0].content_type == "application/dicom");
  CHECK(file.content(parts[0]) == one);
  CHECK(parts[1].content_type.empty());
  CHECK(file.content(parts[1]) == two);
}

TEST_CASE("multipart: malformed bodies say what is wrong", "[multipart]") {
  CHECK(scan_error("", "b") == "no opening boundary");
  CHECK(scan_error("just text\r\n-- b\r\n", "b") == "no opening boundary");
  CHECK(scan_error("\n--b\nX: y\n\nz\n--b--", "b") == "no opening boundary");
  CHECK(scan_error("--b\r\nX: y\r\n\r\ncontent", "b") == "body ends before the closing boundary");
  CHECK(scan_error("--b\r\nX: y\r\n\r\nz\n--b--\n", "b") ==
        "body ends before the closing boundary");
  CHECK(scan_error("--b\r\nX: y\r\n\r\nz\r\n--b", "b") == "body ends before the closing boundary");
  CHECK(scan_error("--b\r\nX: y\r\n\r\nz\r\n--b-", "b") == "body ends before the closing boundary");
  CHECK(scan_error("--b\r\nX: y\r\n", "b") == "body ends before the closing boundary");
  CHECK(scan_error("--b", "b") == "no opening boundary");
  CHECK(scan_error("--b\r\nno colon here\r\n\r\n\r\n--b--", "b") ==
        "malformed header line in part 1");
  CHECK(scan_error("--b\r\n folded first\r\n\r\n\r\n--b--", "b") ==
        "malformed header line in part 1");

  std::string endless = "--b\r\n";
  for (int i = 0; endless.size() < 20000; ++i) endless += "X-H" + std::to_string(i) + ": v\r\n";
  CHECK(scan_error(endless + "\r\nz\r\n--b--", "b") ==
        "part headers too long (part 1, limit 16384 bytes)");
  CHECK(scan_error("--b\r\n\r\n\r\n--b\r\nX: " + std::string(20000, 'v'), "b") ==
        "part headers too long (part 2, limit 16384 bytes)");
}

TEST_CASE("multipart: a boundary straddling chunk borders is found", "[multipart]") {
  std::string body = "pre\r\n";
  std::vector<std::string> contents;
  for (int i = 0; i < 6; ++i) {
    contents.push_back(random_bytes(static_cast<std::size_t>(i * 13), static_cast<unsigned>(i)) +
                       "\r\n--" + kBoundary.substr(0, static_cast<std::size_t>(i)));
    body += kDash + (i % 2 ? " \r\n" : "\r\n") + "Content-Disposition: form-data; name=\"p" +
            std::to_string(i) + "\"\r\n\r\n" + contents.back() + "\r\n";
  }
  body += kDash + "--\r\nepilogue";
  const TempBody file(body);
  std::vector<std::size_t> chunks{carehub::kMultipartChunkBytes};
  for (std::size_t chunk = 1; chunk <= 17; ++chunk) chunks.push_back(chunk);
  for (std::size_t chunk : chunks) {
    INFO("chunk size " << chunk);
    const auto parts = scan(file, kBoundary, chunk);
    REQUIRE(parts.size() == contents.size());
    for (std::size_t i = 0; i < parts.size(); ++i) {
      CHECK(parts[i].name == "p" + std::to_string(i));
      CHECK(file.content(parts[i]) == contents[i]);
    }
  }
}

TEST_CASE("multipart: the part count is limited", "[multipart]") {
  std::string body;
  for (int i = 0; i < 3; ++i) body += "--b\r\n\r\npart " + std::to_string(i) + "\r\n";
  body += "--b--";
  const TempBody file(body);
  CHECK(scan(file, "b", carehub::kMultipartChunkBytes, 3).size() == 3);
  CHECK(scan_error(body, "b", 2) == "more than 2 parts");
  CHECK(scan_error(body, "b", 0) == "more than 0 parts");
}

TEST_CASE("multipart: a body closed right away has no parts", "[multipart]") {
  const TempBody file("preamble\r\n--b--\r\n");
  CHECK(scan(file, "b").empty());
}

TEST_CASE("multipart: callers' mistakes and unreadable files", "[multipart]") {
  const TempBody file("--b\r\n\r\nx\r\n--b--");
  CHECK_THROWS_AS(scan(file, ""), std::invalid_argument);
  CHECK_THROWS_AS(scan(file, std::string(71, 'b')), std::invalid_argument);
  CHECK_THROWS_AS(carehub::scan_multipart("/nonexistent/carehub/body", "b"), std::system_error);
  const off_t before = ::lseek(file.fd(), 0, SEEK_CUR);
  CHECK(scan(file, "b").size() == 1);
  CHECK(::lseek(file.fd(), 0, SEEK_CUR) == before);
}
