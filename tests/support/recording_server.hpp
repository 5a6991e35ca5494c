// An HTTP receiver on 127.0.0.1 for tests of outgoing calls (push gateways): it records every
// request (method, target, headers, body) and answers each with what the test's reply function
// says for it (status and JSON body), one request per connection.
#pragma once

#include <atomic>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace carehub::test {

// A listening socket on 127.0.0.1 at a free port (written to port). Throws std::runtime_error.
int listen_on_loopback(int& port, int backlog = 16);

struct RecordedRequest {
  std::string method, target, body;
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
  std::string header(const std::string& lower_name) const;
};

class RecordingServer {
 public:
  // reply(index, request) -> {status, body}; index counts from 0.
  using Reply = std::function<std::pair<int, std::string>(std::size_t, const RecordedRequest&)>;
  explicit RecordingServer(Reply reply);
  ~RecordingServer();
  RecordingServer(const RecordingServer&) = delete;
  RecordingServer& operator=(const RecordingServer&) = delete;

  std::string url(const std::string& path = "/") const;
  std::vector<RecordedRequest> requests() const;

 private:
  void serve();
  Reply reply_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mutex_;
  std::vector<RecordedRequest> requests_;
  std::thread thread_;
};

}  // namespace carehub::test
