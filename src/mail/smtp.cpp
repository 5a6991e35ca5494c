#include "mail/smtp.hpp"

#include <fcntl.h>
#include <netdb.h>
#include <openssl/err.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "mail/templates.hpp"

namespace carehub::mail {
namespace {

struct Endpoint {
  bool implicit_tls = false;
  std::string host;
  int port = 0;
};

Result<Endpoint> parse_url(const std::string& url) {
  Endpoint e;
  std::string rest;
  if (url.rfind("smtp://", 0) == 0) {
    rest = url.substr(7);
    e.port = 587;
  } else if (url.rfind("smtps://", 0) == 0) {
    rest = url.substr(8);
    e.port = 465;
    e.implicit_tls = true;
  } else {
    return Result<Endpoint>::fail("must start with smtp:// (STARTTLS) or smtps:// (TLS)");
  }
  if (!rest.empty() && rest.back() == '/') rest.pop_back();
  if (rest.find_first_of("/@?#") != std::string::npos)
    return Result<Endpoint>::fail(
        "must be smtp[s]://host[:port] only (user and password are mail.smtp_user and "
        "mail.smtp_password)");
  std::string port;
  if (!rest.empty() && rest.front() == '[') {  // [IPv6]:port
    const auto close = rest.find(']');
    if (close == std::string::npos) return Result<Endpoint>::fail("has an unclosed '['");
    e.host = rest.substr(1, close - 1);
    if (close + 1 < rest.size()) {
      if (rest[close + 1] != ':') return Result<Endpoint>::fail("has text after ']'");
      port = rest.substr(close + 2);
    }
  } else if (const auto colon = rest.rfind(':'); colon != std::string::npos) {
    e.host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  } else {
    e.host = rest;
  }
  if (e.host.empty()) return Result<Endpoint>::fail("names no host");
  if (!port.empty()) {
    if (port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos)
      return Result<Endpoint>::fail("has a port that is not a number");
    e.port = std::stoi(port);
    if (e.port < 1 || e.port > 65535) return Result<Endpoint>::fail("has a port out of range");
  }
  return Result<Endpoint>::ok(e);
}

std::string openssl_error() {
  const unsigned long e = ERR_get_error();
  if (e == 0) return "TLS failed";
  char text[256];
  ERR_error_string_n(e, text, sizeof text);
  ERR_clear_error();
  return text;
}

// The message with every line that starts with '.' given another (RFC 5321 4.5.2), ending in
// CRLF, then the terminating "." line.
std::string dot_stuffed(const std::string& message) {
  std::string out;
  out.reserve(message.size() + 64);
  bool line_start = true;
  for (const char c : message) {
    if (line_start && c == '.') out += '.';
    out += c;
    line_start = c == '\n';
  }
  if (out.size() < 2 || out.compare(out.size() - 2, 2, "\r\n") != 0) out += "\r\n";
  out += ".\r\n";
  return out;
}

}  // namespace

// A failure on the way: a reply or an I/O error. permanent: retrying cannot help.
class SmtpClient::Failure : public std::runtime_error {
 public:
  Failure(std::string detail, bool permanent, bool broken = false)
      : std::runtime_error(std::move(detail)), permanent(permanent), broken(broken) {}
  bool permanent;
  bool broken;  // the connection is unusable (an I/O error, not a reply)
};

Result<bool> check_smtp_url(const std::string& url) {
  const auto e = parse_url(url);
  if (!e) return Result<bool>::fail(e.error());
  return Result<bool>::ok(true);
}

SmtpClient::SmtpClient(SmtpSettings settings) : settings_(std::move(settings)) {
  const auto e = parse_url(settings_.url);
  if (!e) throw std::invalid_argument("mail.smtp_url " + e.error());
  host_ = e->host;
  port_ = e->port;
  implicit_tls_ = e->implicit_tls;
}

SmtpClient::~SmtpClient() {
  close();
  if (ctx_) SSL_CTX_free(ctx_);
}

void SmtpClient::close() {
  if (socket_ && ready_) {
    try {
      write("QUIT\r\n");
    } catch (const std::exception&) {
      // closing anyway
    }
  }
  if (ssl_) {
    SSL_shutdown(ssl_);
    SSL_free(ssl_);
    ssl_ = nullptr;
  }
  socket_.reset();
  buffer_.clear();
  extensions_.clear();
  ready_ = false;
}

void SmtpClient::open() {
  close();
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(port_);
  if (const int rc = ::getaddrinfo(host_.c_str(), port.c_str(), &hints, &found); rc != 0)
    throw Failure("cannot resolve " + host_ + ": " + ::gai_strerror(rc), false);
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> addresses(found, ::freeaddrinfo);
  std::string why = "no address";
  const int timeout_ms = static_cast<int>(settings_.timeout.count() * 1000);
  for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
    UniqueFd s(
        ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, a->ai_protocol));
    if (!s) continue;
    if (::connect(s.get(), a->ai_addr, a->ai_addrlen) != 0 && errno != EINPROGRESS) {
      why = std::strerror(errno);
      continue;
    }
    pollfd p{s.get(), POLLOUT, 0};
    int error = 0;
    socklen_t length = sizeof error;
    if (::poll(&p, 1, timeout_ms) != 1 ||
        ::getsockopt(s.get(), SOL_SOCKET, SO_ERROR, &error, &length) != 0 || error != 0) {
      why = error != 0 ? std::strerror(error) : "timed out";
      continue;
    }
    // Blocking from here, each read and write bounded by the timeout.
    ::fcntl(s.get(), F_SETFL, ::fcntl(s.get(), F_GETFL) & ~O_NONBLOCK);
    timeval tv{static_cast<time_t>(settings_.timeout.count()), 0};
    ::setsockopt(s.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(s.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    socket_ = std::move(s);
    break;
  }
  if (!socket_) throw Failure("cannot connect to " + host_ + ":" + port + ": " + why, false);
  if (implicit_tls_) start_tls();
  expect(read_reply(), 2, "greeting");
  ehlo();
  if (!implicit_tls_) {
    bool offered = false;
    for (const auto& e : extensions_) offered = offered || e == "STARTTLS";
    // Never in clear: a server that does not offer STARTTLS is refused, as a downgrade would be.
    if (!offered) throw Failure(host_ + " does not offer STARTTLS", true);
    expect(command("STARTTLS"), 2, "STARTTLS");
    start_tls();
    ehlo();  // RFC 3207: what was learnt before TLS is forgotten
  }
  if (!settings_.user.empty()) authenticate();
  ready_ = true;
}

void SmtpClient::start_tls() {
  if (!ctx_) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    if (!ctx_) throw Failure(openssl_error(), true);
    SSL_CTX_set_min_proto_version(ctx_, TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
    SSL_CTX_set_default_verify_paths(ctx_);
    if (!settings_.ca_file.empty() &&
        SSL_CTX_load_verify_locations(ctx_, settings_.ca_file.c_str(), nullptr) != 1)
      throw Failure("mail.ca_file cannot be read: " + openssl_error(), true);
  }
  ssl_ = SSL_new(ctx_);
  if (!ssl_) throw Failure(openssl_error(), false);
  SSL_set_fd(ssl_, socket_.get());
  SSL_set_tlsext_host_name(ssl_, host_.c_str());
  SSL_set1_host(ssl_, host_.c_str());  // the certificate must name the host (or its address)
  if (SSL_connect(ssl_) != 1) {
    const long verify = SSL_get_verify_result(ssl_);
    std::string why = verify != X509_V_OK ? X509_verify_cert_error_string(verify) : openssl_error();
    throw Failure("TLS with " + host_ + " failed: " + why, verify != X509_V_OK);
  }
  buffer_.clear();  // nothing said in clear carries over (RFC 3207 4.2)
}

void SmtpClient::ehlo() {
  const auto reply = command("EHLO " + settings_.helo);
  expect(reply, 2, "EHLO");
  extensions_.clear();
  for (std::size_t i = 1; i < reply.lines.size(); ++i) {
    std::string e = reply.lines[i];
    for (auto& c : e) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    extensions_.push_back(e);
  }
}

void SmtpClient::authenticate() {
  std::string mechanisms;
  for (const auto& e : extensions_)
    if (e.rfind("AUTH ", 0) == 0) mechanisms = " " + e.substr(5) + " ";
  if (mechanisms.find(" PLAIN ") != std::string::npos) {
    const std::string secret = std::string(1, '\0') + settings_.user + '\0' + settings_.password;
    expect(command("AUTH PLAIN " + base64(secret)), 2, "AUTH PLAIN");
  } else if (mechanisms.find(" LOGIN ") != std::string::npos) {
    expect(command("AUTH LOGIN"), 3, "AUTH LOGIN");
    expect(command(base64(settings_.user)), 3, "AUTH LOGIN user");
    expect(command(base64(settings_.password)), 2, "AUTH LOGIN password");
  } else {
    throw Failure(host_ + " offers neither AUTH PLAIN nor AUTH LOGIN", true);
  }
}

void SmtpClient::write(const std::string& data) {
  std::size_t at = 0;
  while (at < data.size()) {
    ssize_t n;
    if (ssl_) {
      n = SSL_write(ssl_, data.data() + at, static_cast<int>(data.size() - at));
      if (n <= 0)
        throw Failure("the connection to " + host_ + " broke: " + openssl_error(), false, true);
    } else {
      n = ::send(socket_.get(), data.data() + at, data.size() - at, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) throw Failure("the connection to " + host_ + " broke", false, true);
    }
    at += static_cast<std::size_t>(n);
  }
}

SmtpClient::Reply SmtpClient::read_reply() {
  Reply reply;
  while (true) {
    const auto eol = buffer_.find("\r\n");
    if (eol == std::string::npos) {
      if (buffer_.size() > 64 * 1024) throw Failure(host_ + " sent a line too long", false, true);
      char chunk[4096];
      ssize_t n;
      if (ssl_) {
        n = SSL_read(ssl_, chunk, sizeof chunk);
      } else {
        n = ::recv(socket_.get(), chunk, sizeof chunk, 0);
        if (n < 0 && errno == EINTR) continue;
      }
      if (n <= 0) throw Failure(host_ + " closed the connection or did not answer", false, true);
      buffer_.append(chunk, static_cast<std::size_t>(n));
      continue;
    }
    const std::string line = buffer_.substr(0, eol);
    buffer_.erase(0, eol + 2);
    if (line.size() < 3 || line.find_first_not_of("0123456789") < 3)
      throw Failure(host_ + " answered something that is not SMTP", false, true);
    reply.code = std::stoi(line.substr(0, 3));
    reply.lines.push_back(line.size() > 4 ? line.substr(4) : "");
    if (!reply.text.empty()) reply.text += " ";
    reply.text += line;
    if (line.size() == 3 || line[3] == ' ') return reply;
  }
}

SmtpClient::Reply SmtpClient::command(const std::string& line) {
  write(line + "\r\n");
  return read_reply();
}

void SmtpClient::expect(const Reply& reply, int code_class, const std::string& step) {
  if (reply.code / 100 == code_class) return;
  // 4xx: try again later; 5xx: no.
  throw Failure(step + ": " + reply.text, reply.code / 100 == 5);
}

SmtpOutcome SmtpClient::send(const SmtpEnvelope& envelope) {
  // A session kept from an earlier message (whose transaction ended, so no RSET is needed) may
  // have been closed by the server since: a broken MAIL FROM on it sends the message over a new
  // one, once.
  for (int tries = 0; tries < 2; ++tries) {
    const bool reused = ready_;
    try {
      if (!ready_) open();
    } catch (const Failure& f) {
      close();
      return {f.permanent ? SmtpOutcome::Kind::kPermanent : SmtpOutcome::Kind::kTransient,
              f.what()};
    }
    try {
      try {
        expect(command("MAIL FROM:<" + envelope.from + ">"), 2, "MAIL FROM");
      } catch (const Failure& f) {
        if (!reused || !f.broken) throw;
        close();
        continue;
      }
      for (const auto& to : envelope.to) expect(command("RCPT TO:<" + to + ">"), 2, "RCPT TO");
      expect(command("DATA"), 3, "DATA");
      write(dot_stuffed(envelope.message));
      const auto done = read_reply();
      expect(done, 2, "the message");
      return {SmtpOutcome::Kind::kSent, done.text};
    } catch (const Failure& f) {
      // After a refusal the session is still good; after an I/O error it is not.
      if (!f.broken) {
        try {
          expect(command("RSET"), 2, "RSET");
        } catch (const Failure&) {
          close();
        }
      } else {
        close();
      }
      return {f.permanent ? SmtpOutcome::Kind::kPermanent : SmtpOutcome::Kind::kTransient,
              f.what()};
    }
  }
  return {SmtpOutcome::Kind::kTransient, "the connection to " + host_ + " kept closing"};
}

}  // namespace carehub::mail
