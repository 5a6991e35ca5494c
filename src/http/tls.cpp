#include "carehub/tls.hpp"

#include <arpa/inet.h>
#include <fmt/format.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

namespace carehub {

namespace ssl = boost::asio::ssl;

namespace {

// Mozilla's "intermediate" configuration (version 5.7): TLS 1.2 suites with forward secrecy and
// AEAD ciphers only; TLS 1.3's three suites.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305";
constexpr const char* kTls13Suites =
    "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";
constexpr const char* kGroups = "X25519:prime256v1:secp384r1";

// OpenSSL's reason for the last failure, for a ConfigError (never key material).
std::string openssl_reason() {
  const unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

// ALPN: HTTP/1.1 when the client offers it; a client offering only other protocols (h2 alone)
// gets no ALPN answer and may go on or give up, as RFC 7301 allows.
int select_alpn(SSL*, const unsigned char** out, unsigned char* out_len, const unsigned char* in,
                unsigned int in_len, void*) {
  static constexpr unsigned char kHttp11[] = "http/1.1";
  for (unsigned int i = 0; i < in_len;) {
    const unsigned int len = in[i];
    if (i + 1 + len > in_len) break;
    if (len == 8 && std::memcmp(in + i + 1, kHttp11, 8) == 0) {
      *out = in + i + 1;
      *out_len = 8;
      return SSL_TLSEXT_ERR_OK;
    }
    i += 1 + len;
  }
  return SSL_TLSEXT_ERR_NOACK;
}

// The certificate must be in force now: an expired one would be refused by every client.
// 'server.tls.cert_file', 'dicom.tls.key' ...: the key at fault, as an error names it.
std::string key_name(const TlsConfig& cfg, const char* key) {
  return "'" + cfg.section + "." + key + "'";
}

void check_validity(SSL_CTX* ctx, const TlsConfig& cfg) {
  const std::string& file = cfg.cert_file;
  X509* cert = SSL_CTX_get0_certificate(ctx);
  if (!cert)
    throw ConfigError("config: " + key_name(cfg, "cert_file") + ": no certificate in " + file);
  if (X509_cmp_current_time(X509_get0_notAfter(cert)) <= 0) {
    throw ConfigError("config: " + key_name(cfg, "cert_file") + ": the certificate in " + file +
                      " has expired");
  }
  if (X509_cmp_current_time(X509_get0_notBefore(cert)) > 0) {
    throw ConfigError("config: " + key_name(cfg, "cert_file") + ": the certificate in " + file +
                      " is not valid yet");
  }
}

// Mutual TLS: ask every client for a certificate signed by one of the client CAs (browsers offer
// only those) and verify one that comes. HTTPS goes on without one (a certificate is one more way
// to authenticate, not a gate in front of the others); the DICOM port requires one.
void ask_for_client_certificates(SSL_CTX* ctx, const TlsConfig& cfg) {
  const std::string& file = cfg.client_ca_file;
  if (SSL_CTX_load_verify_locations(ctx, file.c_str(), nullptr) != 1) {
    throw ConfigError(fmt::format("config: {}: cannot use {} as PEM CA certificates: {}",
                                  key_name(cfg, "client_ca_file"), file, openssl_reason()));
  }
  STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(file.c_str());
  if (!names || sk_X509_NAME_num(names) == 0) {
    if (names) sk_X509_NAME_pop_free(names, X509_NAME_free);
    ERR_clear_error();
    throw ConfigError("config: " + key_name(cfg, "client_ca_file") + ": no CA certificate in " +
                      file);
  }
  SSL_CTX_set_client_CA_list(ctx, names);  // takes ownership
  SSL_CTX_set_verify(ctx,
                     cfg.require_client_certificate
                         ? SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT
                         : SSL_VERIFY_PEER,
                     nullptr);
  SSL_CTX_set_verify_depth(ctx, 4);
}

std::string rfc2253(const X509_NAME* name) {
  std::unique_ptr<BIO, decltype(&BIO_free)> out(BIO_new(BIO_s_mem()), &BIO_free);
  if (!out || X509_NAME_print_ex(out.get(), name, 0, XN_FLAG_RFC2253) < 0) return {};
  char* data = nullptr;
  const long size = BIO_get_mem_data(out.get(), &data);
  return size > 0 ? std::string(data, static_cast<std::size_t>(size)) : std::string();
}

// subjectAltName entries as OpenSSL's x509 -text names them: DNS:, URI:, email:, IP:.
std::vector<std::string> alt_names(X509* cert) {
  std::vector<std::string> names;
  auto* list =
      static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  if (!list) return names;
  for (int i = 0; i < sk_GENERAL_NAME_num(list); ++i) {
    const GENERAL_NAME* n = sk_GENERAL_NAME_value(list, i);
    const auto text = [](const ASN1_IA5STRING* s) {
      return std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(s)),
                         static_cast<std::size_t>(ASN1_STRING_length(s)));
    };
    switch (n->type) {
      case GEN_DNS: names.push_back("DNS:" + text(n->d.dNSName)); break;
      case GEN_URI: names.push_back("URI:" + text(n->d.uniformResourceIdentifier)); break;
      case GEN_EMAIL: names.push_back("email:" + text(n->d.rfc822Name)); break;
      case GEN_IPADD: {
        const ASN1_OCTET_STRING* ip = n->d.iPAddress;
        char buffer[64] = {};
        const int family = ASN1_STRING_length(ip) == 4 ? AF_INET : AF_INET6;
        if (ASN1_STRING_length(ip) == 4 || ASN1_STRING_length(ip) == 16) {
          if (inet_ntop(family, ASN1_STRING_get0_data(ip), buffer, sizeof buffer))
            names.push_back(std::string("IP:") + buffer);
        }
        break;
      }
      default: break;  // other name forms are not mapped
    }
  }
  GENERAL_NAMES_free(list);
  return names;
}

std::string file_state(const std::string& path) {
  struct stat st {};
  if (path.empty() || ::stat(path.c_str(), &st) != 0) return {};
  return fmt::format("{}:{}:{}:{}.{}", st.st_dev, st.st_ino, st.st_size, st.st_mtim.tv_sec,
                     st.st_mtim.tv_nsec);
}

}  // namespace

std::shared_ptr<ssl::context> make_tls_context(const TlsConfig& cfg) {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* ctx = context->native_handle();
  ERR_clear_error();
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(
      ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  // Idle keep-alive connections give their 34 KiB of record buffers back to the allocator.
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
  if (SSL_CTX_set_cipher_list(ctx, kTls12Ciphers) != 1 ||
      SSL_CTX_set_ciphersuites(ctx, kTls13Suites) != 1 ||
      SSL_CTX_set1_groups_list(ctx, kGroups) != 1) {
    throw ConfigError("config: " + cfg.section +
                      ": OpenSSL refused the cipher settings: " + openssl_reason());
  }
  SSL_CTX_set_dh_auto(ctx, 1);  // DHE suites use the RFC 7919 group matching the key's size
  SSL_CTX_set_alpn_select_cb(ctx, select_alpn, nullptr);
  // Resumption: a server-side cache for session ids, and tickets (OpenSSL's default, keyed per
  // context: after a reload, clients holding an old ticket make one full handshake).
  static constexpr unsigned char kSessionContext[] = "carehub";
  SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof kSessionContext - 1);
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_SERVER);
  SSL_CTX_sess_set_cache_size(ctx, 20'000);

  if (!cfg.client_ca_file.empty()) ask_for_client_certificates(ctx, cfg);

  if (SSL_CTX_use_certificate_chain_file(ctx, cfg.cert_file.c_str()) != 1) {
    throw ConfigError(fmt::format("config: {}: cannot use {} as a PEM certificate chain: {}",
                                  key_name(cfg, "cert_file"), cfg.cert_file, openssl_reason()));
  }
  check_validity(ctx, cfg);
  if (cfg.key_pem.empty()) {
    throw ConfigError("config: " + key_name(cfg, "key") +
                      " is missing: give the private key as key_file");
  }
  // Parsed here, then checked against the certificate, so that the two failures get their own
  // message (OpenSSL's SSL_CTX_use_PrivateKey reports both as one).
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(
      BIO_new_mem_buf(cfg.key_pem.data(), static_cast<int>(cfg.key_pem.size())), &BIO_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(
      bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr,
      &EVP_PKEY_free);
  if (!key) {
    ERR_clear_error();
    throw ConfigError("config: " + key_name(cfg, "key") + " is not a PEM private key" +
                      (cfg.key_file.empty() ? std::string() : " (in " + cfg.key_file + ")"));
  }
  if (X509_check_private_key(SSL_CTX_get0_certificate(ctx), key.get()) != 1 ||
      SSL_CTX_use_PrivateKey(ctx, key.get()) != 1 || SSL_CTX_check_private_key(ctx) != 1) {
    ERR_clear_error();
    throw ConfigError("config: " + key_name(cfg, "key") + " does not match the certificate in " +
                      cfg.cert_file);
  }
  return context;
}

std::string tls_files_state(const TlsConfig& cfg) {
  return file_state(cfg.cert_file) + "|" + file_state(cfg.key_file) + "|" +
         file_state(cfg.client_ca_file);
}

std::shared_ptr<const ClientCertificate> verified_client_certificate(SSL* ssl) {
  X509* cert = SSL_get0_peer_certificate(ssl);
  if (!cert || SSL_get_verify_result(ssl) != X509_V_OK) return nullptr;
  auto out = std::make_shared<ClientCertificate>();
  out->subject = rfc2253(X509_get_subject_name(cert));
  out->names = alt_names(cert);
  return out;
}

TlsConfig reread_tls_key(const TlsConfig& cfg) {
  TlsConfig next = cfg;
  if (cfg.key_file.empty()) return next;
  std::ifstream in(cfg.key_file, std::ios::binary);
  if (!in)
    throw ConfigError("config: " + key_name(cfg, "key_file") + ": cannot read " + cfg.key_file);
  std::stringstream text;
  text << in.rdbuf();
  next.key_pem = text.str();
  return next;
}

}  // namespace carehub
