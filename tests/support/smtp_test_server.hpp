// A real SMTP server on loopback for the mail tests (tests/support/smtp_server.py, Debian's
// python3-aiosmtpd), with a certificate from a TestPki naming localhost; stopped at the end.
// What it accepted is read back as messages: envelope, headers, and the body decoded.
#pragma once

#include <openssl/evp.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/process.hpp"
#include "support/test_database.hpp"
#include "support/test_pki.hpp"

namespace carehub::test {

struct SmtpServerOptions {
  bool implicit_tls = false;  // smtps://
  std::string auth;           // "user:password": AUTH required
  int defer = 0;              // the first N messages answered 451
  bool reject = false;        // every message answered 550
  bool no_starttls = false;   // STARTTLS not offered
};

struct ReceivedMail {
  nlohmann::json envelope;  // from, to, tls, login
  std::string raw;          // as received
  std::string header(const std::string& name) const {
    const auto head = raw.substr(0, raw.find("\r\n\r\n"));
    const std::string key = "\r\n" + name + ": ";
    const auto at = ("\r\n" + head).find(key);
    if (at == std::string::npos) return {};
    const auto from = at + key.size() - 2;
    return head.substr(from, head.find("\r\n", from) - from);
  }
  static std::string unbase64(std::string text) {
    text.erase(
        std::remove_if(text.begin(), text.end(), [](char c) { return c == '\r' || c == '\n'; }),
        text.end());
    std::string out(text.size(), '\0');
    const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                  reinterpret_cast<const unsigned char*>(text.data()),
                                  static_cast<int>(text.size()));
    if (n < 0) throw std::runtime_error("not base64");
    out.resize(static_cast<std::size_t>(n) -
               std::count(text.end() - std::min<std::size_t>(2, text.size()), text.end(), '='));
    return out;
  }
  // The Subject, an RFC 2047 encoded word decoded.
  std::string subject() const {
    const auto s = header("Subject");
    if (s.rfind("=?UTF-8?B?", 0) == 0 && s.size() > 12)
      return unbase64(s.substr(10, s.size() - 12));
    return s;
  }
  // The text/plain body, base64 decoded.
  std::string body() const { return unbase64(raw.substr(raw.find("\r\n\r\n") + 4)); }
};

class SmtpTestServer {
 public:
  SmtpTestServer(const TestPki& pki, SmtpServerOptions options = {}) : port_(free_loopback_port()) {
    std::vector<std::string> argv{
        "/usr/bin/python3",
        std::string(CAREHUB_TEST_SOURCE_DIR) + "/tests/support/smtp_server.py",
        "--dir",
        dir_.path(),
        "--port",
        std::to_string(port_),
        "--cert",
        pki.path("localhost.pem"),
        "--key",
        pki.path("localhost.key")};
    if (options.implicit_tls) argv.push_back("--implicit-tls");
    if (!options.auth.empty()) argv.insert(argv.end(), {"--auth", options.auth});
    if (options.defer > 0) argv.insert(argv.end(), {"--defer", std::to_string(options.defer)});
    if (options.reject) argv.push_back("--reject");
    if (options.no_starttls) argv.push_back("--no-starttls");
    implicit_tls_ = options.implicit_tls;
    process_ = std::make_unique<Process>(argv);
    for (int i = 0; i < 200 && !std::filesystem::exists(dir_.path() + "/ready"); ++i) {
      if (!process_->running())
        throw std::runtime_error("smtp_server.py ended: " + process_->stderr_text());
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (!std::filesystem::exists(dir_.path() + "/ready"))
      throw std::runtime_error("smtp_server.py did not start: " + process_->stderr_text());
  }

  int port() const { return port_; }
  std::string url() const {
    return std::string(implicit_tls_ ? "smtps" : "smtp") + "://localhost:" + std::to_string(port_);
  }

  // The messages accepted so far, in order.
  std::vector<ReceivedMail> messages() const {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(dir_.path()))
      if (e.path().extension() == ".eml") names.push_back(e.path().stem().string());
    std::sort(names.begin(), names.end());
    std::vector<ReceivedMail> out;
    for (const auto& n : names) {
      out.push_back({nlohmann::json::parse(read_file(dir_.path() + "/" + n + ".json")),
                     read_file(dir_.path() + "/" + n + ".eml")});
    }
    return out;
  }
  // Waits until at least n messages were accepted (or the timeout); returns them all.
  std::vector<ReceivedMail> wait_for(
      std::size_t n, std::chrono::milliseconds timeout = std::chrono::seconds(20)) const {
    const auto until = std::chrono::steady_clock::now() + timeout;
    auto got = messages();
    while (got.size() < n && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      got = messages();
    }
    return got;
  }
  // A line per refusal: deferred, rejected, auth-failed.
  std::string events() const {
    const auto path = dir_.path() + "/events.log";
    return std::filesystem::exists(path) ? read_file(path) : std::string();
  }

 private:
  TempDir dir_;
  int port_;
  bool implicit_tls_ = false;
  std::unique_ptr<Process> process_;
};

}  // namespace carehub::test
