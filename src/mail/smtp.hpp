// An SMTP client (RFC 5321) for the outbox's deliveries: smtp:// upgraded with STARTTLS (RFC
// 3207) before anything else is said, or smtps:// (TLS from the first byte, RFC 8314). The server's
// certificate is verified against the system's CAs (and mail.ca_file) and its name; AUTH PLAIN or
// LOGIN (RFC 4954) when a user is set. A session stays open between messages (RSET between them)
// and is opened again when the server has closed it. Never logs the password or a message body.
#pragma once

#include <openssl/ssl.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "carehub/result.hpp"
#include "carehub/unique_fd.hpp"

namespace carehub::mail {

struct SmtpSettings {
  std::string url;  // smtp://host[:port] (STARTTLS, default 587) or smtps://host[:port] (465)
  std::string user, password;
  std::string ca_file;  // extra trusted CAs (PEM); the system's are trusted too
  std::string helo = "carehub";
  std::chrono::seconds timeout{30};
};

// What the server said about one message.
struct SmtpOutcome {
  enum class Kind { kSent, kTransient, kPermanent } kind = Kind::kSent;
  std::string detail;  // the server's reply, or what went wrong on the way
};

struct SmtpEnvelope {
  std::string from;             // bare address for MAIL FROM
  std::vector<std::string> to;  // bare addresses for RCPT TO
  std::string message;          // the RFC 5322 message, CRLF line ends
};

// Checked at start: the scheme, host and port of mail.smtp_url.
Result<bool> check_smtp_url(const std::string& url);

class SmtpClient {
 public:
  explicit SmtpClient(SmtpSettings settings);
  ~SmtpClient();
  SmtpClient(const SmtpClient&) = delete;
  SmtpClient& operator=(const SmtpClient&) = delete;

  // One message. Transient: a 4xx reply or a broken connection (worth a retry); permanent: a 5xx
  // reply, or a server that does not offer STARTTLS or AUTH as required.
  SmtpOutcome send(const SmtpEnvelope& envelope);
  void close();  // QUIT, politely

 private:
  struct Reply {
    int code = 0;
    std::string text;  // every line, joined
    std::vector<std::string> lines;
  };
  class Failure;
  void open();
  void write(const std::string& data);
  Reply read_reply();
  Reply command(const std::string& line);
  void expect(const Reply& reply, int code_class, const std::string& step);
  void start_tls();
  void ehlo();
  void authenticate();

  SmtpSettings settings_;
  std::string host_;
  int port_ = 0;
  bool implicit_tls_ = false;
  UniqueFd socket_;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  std::string buffer_;  // read but not yet consumed
  std::vector<std::string> extensions_;
  bool ready_ = false;  // greeted, TLS on, authenticated: MAIL FROM may be sent
};

}  // namespace carehub::mail
