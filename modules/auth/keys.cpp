#include "auth/keys.hpp"

#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <system_error>
#include <tuple>
#include <utility>

#include "auth/jwt.hpp"
#include "auth/ossl.hpp"
#include "carehub/hash.hpp"
#include "carehub/log.hpp"
#include "carehub/private_dirs.hpp"
#include "carehub/unique_fd.hpp"

namespace carehub::auth {
namespace {

namespace fs = std::filesystem;

JwsAlgorithm parse_signing_algorithm(const std::string& name) {
  const auto algorithm = parse_jws_algorithm(name);
  if (algorithm != JwsAlgorithm::kEdDSA && algorithm != JwsAlgorithm::kES256) {
    throw std::invalid_argument("unsupported signing algorithm \"" + name + "\" (EdDSA or ES256)");
  }
  return *algorithm;
}

// Encrypted key files are not supported: fail instead of prompting on a terminal.
int no_passphrase(char*, int, int, void*) {
  return -1;
}

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

// Parses then wipes the PEM text so key material does not linger in freed memory.
EvpKey parse_private_pem(std::string& pem) {
  ossl::Bio bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  EvpKey key(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, &no_passphrase, nullptr) : nullptr);
  ERR_clear_error();
  OPENSSL_cleanse(pem.data(), pem.size());
  return key;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in.good() && !in.eof()) throw std::runtime_error("cannot read " + path.string());
  return text;
}

fs::path directory_path(const std::string& keys_dir) {
  fs::path dir = fs::path(keys_dir).lexically_normal();
  return dir.has_filename() ? dir : dir.parent_path();
}

// *.pem files, oldest first by modification time, then by name.
std::vector<fs::path> key_files(const fs::path& dir) {
  std::vector<std::tuple<fs::file_time_type, std::string, fs::path>> found;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return {};
  for (const auto& entry : fs::directory_iterator(dir)) {
    const auto name = entry.path().filename().string();
    if (!entry.is_regular_file() || entry.path().extension() != ".pem" || name.front() == '.') {
      continue;
    }
    found.emplace_back(entry.last_write_time(), name, entry.path());
  }
  std::sort(found.begin(), found.end());
  std::vector<fs::path> paths;
  for (auto& f : found) paths.push_back(std::move(std::get<2>(f)));
  return paths;
}

void ensure_private_dir(const fs::path& dir) {
  if (fs::is_directory(dir)) return;
  create_private_directories(dir.string());
}

void write_all(int fd, const char* data, std::size_t size, const fs::path& path) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("cannot write " + path.string());
    data += n;
    size -= static_cast<std::size_t>(n);
  }
}

// A temp file in the same directory, fsynced, then renamed: a crash leaves either no key file or
// a complete one, never a truncated key that would stop the next start.
void write_private_key(const fs::path& path, EVP_PKEY* key) {
  // Secure-memory BIO: the PEM buffer is wiped when freed.
  ossl::Bio bio(BIO_new(BIO_s_secmem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    ERR_clear_error();
    throw std::runtime_error("cannot encode a private key as PEM");
  }
  char* pem = nullptr;
  const long pem_size = BIO_get_mem_data(bio.get(), &pem);
  const fs::path temp =
      path.parent_path() / ("." + path.filename().string() + "." + random_hex(4) + ".tmp");
  UniqueFd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (fd.get() < 0) throw_errno("cannot create " + temp.string());
  try {
    if (::fchmod(fd.get(), 0600) != 0) throw_errno("cannot chmod " + temp.string());
    write_all(fd.get(), pem, static_cast<std::size_t>(pem_size), temp);
    if (::fsync(fd.get()) != 0) throw_errno("cannot fsync " + temp.string());
    if (::close(fd.release()) != 0) throw_errno("cannot close " + temp.string());
    if (::rename(temp.c_str(), path.c_str()) != 0) throw_errno("cannot rename to " + path.string());
  } catch (...) {
    ::unlink(temp.c_str());
    throw;
  }
  const UniqueFd dir(::open(path.parent_path().c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (dir.get() < 0 || ::fsync(dir.get()) != 0)
    throw_errno("cannot fsync " + path.parent_path().string());
}

EvpKey generate_key(JwsAlgorithm algorithm) {
  EvpKey key(algorithm == JwsAlgorithm::kEdDSA
                 ? EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")
                 : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  ERR_clear_error();
  if (!key) throw std::runtime_error("signing key generation failed");
  return key;
}

void warn_if_readable_by_others(const fs::path& path) {
  const auto perms = fs::status(path).permissions();
  if ((perms & (fs::perms::group_all | fs::perms::others_all)) != fs::perms::none) {
    log_warn("auth_signing_key_readable_by_others", {{"path", path.string()}});
  }
}

}  // namespace

KeyRing KeyRing::load_or_generate(const KeyRingConfig& config) {
  KeyRing ring;
  ring.generated_algorithm_ = parse_signing_algorithm(config.algorithm);
  const auto load = [&ring](std::string pem, const std::string& where) {
    EvpKey key = parse_private_pem(pem);
    if (!key) throw std::invalid_argument(where + ": not an unencrypted PEM private key");
    const auto algorithm = algorithm_for_key(key.get());
    if (algorithm != JwsAlgorithm::kEdDSA && algorithm != JwsAlgorithm::kES256) {
      throw std::invalid_argument(where + ": not an Ed25519 (EdDSA) or P-256 (ES256) key");
    }
    ring.add({spki_key_id(key.get()), *algorithm, std::move(key)});
  };
  if (!config.pem_keys.empty()) {
    // Oldest first internally, so the first configured key is added last and is active.
    for (std::size_t i = config.pem_keys.size(); i-- > 0;) {
      load(config.pem_keys[i], "signing key pem_keys[" + std::to_string(i) + "]");
    }
    return ring;
  }
  if (config.keys_dir.empty()) {
    throw std::invalid_argument("signing keys: neither PEM keys nor a keys directory given");
  }
  ring.keys_dir_ = directory_path(config.keys_dir).string();
  for (const auto& path : key_files(ring.keys_dir_)) {
    warn_if_readable_by_others(path);
    load(read_file(path), path.string());
  }
  if (ring.keys_.empty()) ring.rotate();
  return ring;
}

std::string KeyRing::rotate() {
  if (keys_dir_.empty()) {
    throw std::logic_error("signing keys from the configuration rotate by changing it");
  }
  EvpKey key = generate_key(generated_algorithm_);
  std::string kid = spki_key_id(key.get());
  const fs::path dir(keys_dir_);
  ensure_private_dir(dir);
  const fs::path path = dir / (kid + ".pem");
  write_private_key(path, key.get());
  log_info("auth_signing_key_generated",
           {{"kid", kid}, {"path", path.string()}, {"algorithm", to_string(generated_algorithm_)}});
  add({kid, generated_algorithm_, std::move(key)});
  return kid;
}

std::vector<KeyRing::KeyInfo> KeyRing::describe() const {
  std::vector<KeyInfo> out;
  for (const auto& k : keys_) out.push_back({k.kid, std::string(to_string(k.algorithm)), false});
  if (!out.empty()) out.back().active = true;
  return out;
}

std::string KeyRing::directory_fingerprint(const std::string& keys_dir) {
  std::string out;
  for (const auto& path : key_files(directory_path(keys_dir))) {
    std::error_code ec;
    const auto size = fs::file_size(path, ec);
    const auto mtime = fs::last_write_time(path, ec).time_since_epoch().count();
    out +=
        path.filename().string() + ":" + std::to_string(size) + ":" + std::to_string(mtime) + ";";
  }
  return out;
}

bool KeyRing::remove_key_file(const std::string& keys_dir, const std::string& kid) {
  const bool plain =
      !kid.empty() && kid.size() <= 128 && std::all_of(kid.begin(), kid.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '_';
      });
  if (!plain) throw std::invalid_argument("not a key id: " + kid);
  const fs::path dir = directory_path(keys_dir);
  const fs::path path = dir / (kid + ".pem");
  if (::unlink(path.c_str()) != 0) {
    if (errno == ENOENT) return false;
    throw_errno("cannot remove " + path.string());
  }
  const UniqueFd d(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (d.get() < 0 || ::fsync(d.get()) != 0) throw_errno("cannot fsync " + dir.string());
  log_info("auth_signing_key_removed", {{"kid", kid}, {"path", path.string()}});
  return true;
}

void KeyRing::add(SigningKey key) {
  // The same key listed twice counts once, at its later (newer) place.
  std::erase_if(keys_, [&](const SigningKey& k) { return k.kid == key.kid; });
  keys_.push_back(std::move(key));
}

std::string KeyRing::sign(const nlohmann::json& claims) const {
  const auto& active = keys_.back();
  return sign_jwt(claims, active.kid, active.algorithm, active.key.get());
}

JwkSet KeyRing::verification_keys() const {
  JwkSet set;
  for (const auto& k : keys_) set.add(k.kid, k.algorithm, k.key.get());
  return set;
}

nlohmann::json KeyRing::jwks() const {
  return verification_keys().to_json();
}

std::vector<std::string> KeyRing::algorithms() const {
  std::vector<std::string> names;
  for (const auto& k : keys_) {
    std::string name(to_string(k.algorithm));
    if (std::find(names.begin(), names.end(), name) == names.end()) names.push_back(name);
  }
  return names;
}

}  // namespace carehub::auth
