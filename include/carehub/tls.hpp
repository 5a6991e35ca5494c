// TLS server contexts for carehub's listeners: HTTPS (server.tls) and the DICOM port (dicom.tls).
// TLS 1.2 and 1.3 only, Mozilla's "intermediate" cipher suites, ALPN http/1.1, session resumption
// (a server-side cache and tickets), and OpenSSL's buffers given back while a connection is idle.
// Built at start and again on each reload; a connection keeps the context it started with, so a
// reload never disturbs an open session.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "carehub/config.hpp"
#include "carehub/http.hpp"

struct ssl_st;

namespace carehub {

// Throws ConfigError naming the key at fault (under cfg.section): a missing or unreadable file, a
// key that does not match the certificate, a certificate that has expired or is not yet valid.
std::shared_ptr<boost::asio::ssl::context> make_tls_context(const TlsConfig& cfg);

// What the certificate, key and client CA files are now (device, inode, size, modification
// time), to see that one was replaced. Empty for a file that cannot be read.
std::string tls_files_state(const TlsConfig& cfg);

// cfg with its key read again from key_file, when it came from one: the input of a reload.
TlsConfig reread_tls_key(const TlsConfig& cfg);

// The client certificate of a finished handshake, when the client sent one and it verified
// against the client CA file (a resumed session keeps the one it began with); else null.
std::shared_ptr<const ClientCertificate> verified_client_certificate(ssl_st* ssl);

// One listener's context, built again from its files on SIGHUP and when they change. New
// connections get the new one; open ones keep theirs. Files that would not serve (half-written,
// a key of another certificate, expired) are refused with a log line and the old context stays.
class ReloadableTls {
 public:
  explicit ReloadableTls(TlsConfig config);  // builds the first context; throws ConfigError
  ReloadableTls(const ReloadableTls&) = delete;
  ReloadableTls& operator=(const ReloadableTls&) = delete;

  std::shared_ptr<boost::asio::ssl::context> current() const;
  const TlsConfig& config() const { return config_; }

  // Reads the files again (blocking: not on a socket thread). changed_only: only when they
  // differ from those last loaded. nullopt: nothing was read; else whether the files were taken.
  std::optional<bool> reload(const char* why, bool changed_only);
  // The poll: reload(changed_only) once config().reload_check_s has passed since the last look.
  std::optional<bool> check_if_due(std::chrono::steady_clock::time_point now);

 private:
  const TlsConfig config_;
  mutable std::mutex mutex_;
  std::shared_ptr<boost::asio::ssl::context> current_;
  std::mutex reload_mutex_;  // one reload at a time; guards files_ and next_check_
  std::string files_;        // the files' state current_ was last loaded for
  std::chrono::steady_clock::time_point next_check_;
};

// Every listener's ReloadableTls, for the HTTP server to reload on SIGHUP and poll for changed
// files: its own and those modules register (the DICOM listener's).
class TlsReloads {
 public:
  void add(std::shared_ptr<ReloadableTls> tls);
  std::vector<std::shared_ptr<ReloadableTls>> all() const;

 private:
  mutable std::mutex mutex_;
  std::vector<std::shared_ptr<ReloadableTls>> all_;
};

}  // namespace carehub
