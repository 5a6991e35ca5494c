// carehub's own token-signing keys: Ed25519 (EdDSA) or P-256 (ES256), each known by its kid. The
// active (newest) key signs; every key in the ring verifies, so after a rotation the old key keeps
// its tokens valid until they expire (its file can be removed once the longest lifetime passed).
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "auth/jwk.hpp"
#include "auth/jws.hpp"

namespace carehub::auth {

struct KeyRingConfig {
  std::string algorithm = "EdDSA";    // of generated keys: "EdDSA" or "ES256"
  std::vector<std::string> pem_keys;  // PEM private keys, the first one active; else keys_dir
  std::string keys_dir;
};

class KeyRing {
 public:
  // With pem_keys: those keys, each with its own algorithm. Otherwise every *.pem in keys_dir,
  // the one with the newest modification time active (ties: the greatest file name); when there
  // is none, a new key of config.algorithm is written to keys_dir/<kid>.pem (mode 0600, the
  // directory 0700 if it is created) and one log line says so. Throws std::invalid_argument for an
  // unsupported algorithm or a PEM that is not an unencrypted Ed25519 or P-256 private key, and
  // std::runtime_error (or std::filesystem_error) for file errors.
  static KeyRing load_or_generate(const KeyRingConfig& config);

  // Compact JWS with header {"alg","typ":"JWT","kid"} by the active key. claims: a JSON object
  // (see sign_jwt for what it throws).
  std::string sign(const nlohmann::json& claims) const;

  // Public halves of every key. Built on each call: callers keep the set rather than ask per token.
  JwkSet verification_keys() const;
  nlohmann::json jwks() const;  // the same, as the /.well-known/jwks.json document

  const std::string& active_kid() const { return keys_.back().kid; }
  JwsAlgorithm active_algorithm() const { return keys_.back().algorithm; }
  // The distinct algorithms of the ring's keys, for VerifyOptions::algorithms.
  std::vector<std::string> algorithms() const;
  std::size_t size() const { return keys_.size(); }

  // Writes a new key of config.algorithm into keys_dir and makes it active; returns its kid.
  // Keys from pem_keys are rotated by changing the configuration: std::logic_error then. Not to be
  // called while other threads use this ring.
  std::string rotate();

  // Whether the keys come from keys_dir (and so can be rotated and removed at run time).
  bool from_directory() const { return !keys_dir_.empty(); }

  struct KeyInfo {
    std::string kid;
    std::string algorithm;
    bool active = false;
  };
  std::vector<KeyInfo> describe() const;  // oldest first

  // A value that changes whenever a key file in the directory is added, removed or replaced
  // (names, sizes and modification times): servers sharing keys_dir compare it to notice a
  // rotation done by another one.
  static std::string directory_fingerprint(const std::string& keys_dir);
  // Deletes keys_dir/<kid>.pem. False when there is no such file. Throws std::invalid_argument
  // for a kid that is not a key id (path characters).
  static bool remove_key_file(const std::string& keys_dir, const std::string& kid);

 private:
  struct SigningKey {
    std::string kid;
    JwsAlgorithm algorithm;
    EvpKey key;  // private
  };

  KeyRing() = default;
  void add(SigningKey key);

  std::vector<SigningKey> keys_;  // oldest first; back() is active
  JwsAlgorithm generated_algorithm_ = JwsAlgorithm::kEdDSA;
  std::string keys_dir_;  // empty when the keys come from the configuration
};

}  // namespace carehub::auth
