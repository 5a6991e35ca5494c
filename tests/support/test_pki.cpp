#include "support/test_pki.hpp"

#include <stdexcept>
#include <vector>

namespace carehub::test {
namespace {

void run(const std::vector<std::string>& argv) {
  const auto r = run_to_completion(argv);
  if (r.exit_code != 0) throw std::runtime_error(argv[1] + " failed: " + describe(r));
}

}  // namespace

TestPki::TestPki(const std::string& ca_name) {
  run({"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
       "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", path("ca.key"), "-out", path("ca.pem"),
       "-days", "2", "-subj", "/CN=" + ca_name + " test CA"});
}

void TestPki::issue(const std::string& name, int days, const std::string& more_extensions,
                    const std::string& alt_names) {
  run({"/usr/bin/openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
       "-nodes", "-keyout", path(name + ".key"), "-out", path(name + ".csr"), "-subj",
       "/CN=" + name});
  write_file(path(name + ".ext"), "subjectAltName=" + alt_names + "\n" + more_extensions);
  // -days -1: it ended yesterday.
  run({"/usr/bin/openssl", "x509", "-req", "-in", path(name + ".csr"), "-CA", ca(), "-CAkey",
       path("ca.key"), "-CAcreateserial", "-out", path(name + ".pem"), "-extfile",
       path(name + ".ext"), "-days", std::to_string(days)});
}

void TestPki::issue_client(const std::string& name, const std::string& alt_name) {
  issue(name, 2, "extendedKeyUsage=clientAuth\n", alt_name);
}

}  // namespace carehub::test
