// A deliberately small HTTP/1.1 client over plain POSIX sockets to 127.0.0.1, for end-to-end tests:
// keep-alive, Content-Length and chunked responses, a timeout on every wait (poll). Besides
// request(), it gives raw access (send any bytes, read responses one by one, wait for the server
// to close) for the tests of slow clients, pipelining and limits. Failures throw HttpError.
#pragma once

#include <chrono>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace carehub::test {

class HttpError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpResponse {
  int status = 0;
  std::string reason;
  std::map<std::string, std::string> headers;  // names lower-case; repeated headers joined ", "
  std::string body;

  std::optional<std::string> header(const std::string& lower_name) const;
  // The body as JSON; throws HttpError quoting the body when it is not JSON.
  nlohmann::json json() const;
  // "HTTP 404 <headers> <body>" (body cut at 2000 characters), for failure messages.
  std::string summary() const;
};

class HttpClient {
 public:
  explicit HttpClient(int port, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  ~HttpClient();
  HttpClient(HttpClient&& other) noexcept;
  HttpClient& operator=(HttpClient&&) = delete;
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends one request on the open connection (connecting first when there is none) and reads the
  // response. Host and Content-Length are added unless given. A response with "Connection: close"
  // (or one delimited by the close) closes the connection; the next request opens a new one.
  HttpResponse request(std::string_view method, std::string_view target,
                       const HttpHeaders& headers = {}, std::string_view body = {});
  HttpResponse get(std::string_view target, const HttpHeaders& headers = {});
  HttpResponse post_json(std::string_view target, const nlohmann::json& body,
                         const HttpHeaders& headers = {});
  HttpResponse put_json(std::string_view target, const nlohmann::json& body,
                        const HttpHeaders& headers = {});

  // Raw access.
  void connect();  // throws HttpError (e.g. connection refused)
  bool connected() const { return fd_ >= 0; }
  // Returns false when the peer refused the bytes (reset / broken pipe).
  bool send_raw(std::string_view bytes);
  // Reads one response from the connection (the reply to a HEAD request has no body).
  HttpResponse read_response(bool head_request = false);
  // Waits until the server closes the connection (EOF or reset): true, or false at the timeout.
  // Bytes that arrive meanwhile are kept in received().
  bool wait_for_close(std::chrono::milliseconds timeout);
  const std::string& received() const { return buffer_; }
  // Reads until received() holds `text` after position `from` (true), or the timeout or the
  // server's close (false). For streams (SSE) read as they come.
  bool wait_for_text(std::string_view text, std::chrono::milliseconds timeout,
                     std::size_t from = 0);
  void close();

  int connections_opened() const { return connections_opened_; }
  int port() const { return port_; }
  void set_timeout(std::chrono::milliseconds timeout) { timeout_ = timeout; }
  // Connect from this loopback address (127.0.0.2, ...) from the next connection on: a test's
  // way of being another client machine to the server.
  void set_source_address(std::string address) { source_ = std::move(address); }

 private:
  using Deadline = std::chrono::steady_clock::time_point;
  // Reads more bytes into buffer_. False on EOF or reset; throws HttpError at the deadline.
  bool fill(Deadline deadline);
  std::string read_line(Deadline deadline);
  void read_exact(std::size_t n, std::string& out, Deadline deadline);

  int port_;
  std::chrono::milliseconds timeout_;
  int fd_ = -1;
  std::string buffer_;
  int connections_opened_ = 0;
  std::string source_;  // empty: the kernel's choice (127.0.0.1)
};

// Lower-cased copy.
std::string to_lower(std::string_view s);

}  // namespace carehub::test
