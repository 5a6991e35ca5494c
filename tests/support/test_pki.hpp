// A test certificate authority and the certificates it signs, made by the openssl command line in
// a temp folder: server certificates for HTTPS and DICOM TLS, client certificates for mutual TLS.
#pragma once

#include <string>

#include "support/process.hpp"

namespace carehub::test {

class TestPki {
 public:
  // ca_name names the CA ("/CN=<ca_name> test CA"): two PKIs can then issue certificates
  // of the same subject that only their own CA vouches for.
  explicit TestPki(const std::string& ca_name = "carehub");

  const std::string& dir() const { return dir_.path(); }
  std::string path(const std::string& name) const { return dir_.path() + "/" + name; }
  std::string ca() const { return path("ca.pem"); }

  // name.pem and name.key: a certificate with CN name and these subjectAltNames, signed by the CA,
  // valid for days (< 0: it has already expired). more_extensions: further extension lines.
  void issue(const std::string& name, int days = 2, const std::string& more_extensions = "",
             const std::string& alt_names = "IP:127.0.0.1,DNS:localhost");
  // A client certificate (extendedKeyUsage clientAuth) with CN name and one subjectAltName.
  void issue_client(const std::string& name, const std::string& alt_name);

 private:
  TempDir dir_;
};

}  // namespace carehub::test
