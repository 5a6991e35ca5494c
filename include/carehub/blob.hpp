// Blob store: private binary objects addressed by key. Keys are checked before any path is built:
// segments of [A-Za-z0-9._-] joined by '/', no empty, '.' or '..' segment, at most 512 bytes.
// A put is durable when it returns (filesystem: temp file, fsync, rename, directory fsync), and a
// reader never sees a half-written object. Size and SHA-256 are computed while writing, kept with
// the object, and returned for the caller's index row. Shaped so an Azure Blob backend can sit
// behind the same interface.
#pragma once

#include <cstdint>
#include <istream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace carehub {

struct BlobConfig;

class BlobError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct BlobInfo {
  std::string key;
  std::uint64_t size = 0;
  std::string
      sha256;  // lower-case hex; stat()/list() give it empty where the backend could not keep it
  std::int64_t modified_ms = 0;  // stat()/list(): when it was last written (epoch ms)
};

struct ByteRange {
  std::uint64_t first = 0;
  std::optional<std::uint64_t> last;  // inclusive; nullopt: to the end
};

bool valid_blob_key(std::string_view key);

class BlobStore {
 public:
  virtual ~BlobStore() = default;
  // Reads in until EOF. Replaces an existing object atomically. Throws BlobError (invalid key,
  // I/O failure, more than max_bytes) and then leaves nothing behind.
  virtual BlobInfo put(std::string_view key, std::istream& in,
                       std::uint64_t max_bytes = UINT64_MAX) = 0;
  // nullopt when absent. A range past the end throws BlobError.
  virtual std::unique_ptr<std::istream> get(std::string_view key,
                                            std::optional<ByteRange> range = std::nullopt) = 0;
  // Moves the local file at path into the store under key, durable when it returns like put():
  // a rename when both are on one filesystem, else a copy (and the file removed). sha256 is the
  // file's checksum, which the caller computed while reading it (never recomputed here). Throws
  // BlobError; the file is then left where it was.
  virtual BlobInfo adopt(std::string_view key, const std::string& path, const std::string& sha256);
  // adopt() of several files, all durable when it returns, in fewer waits for the disk: every
  // file's writeback is started before the first is waited for, and a folder that receives
  // several is synced once. Throws BlobError at the first failure; files adopted before it are
  // in the store (a caller indexes none of them), the rest are left where they were.
  struct Adoption {
    std::string key, path, sha256;
    // prepare() runs or has run on it: only the move and the folder's sync are done here, and
    // the file's own durability is the caller's to wait for (prepare returning) before it
    // relies on the object.
    bool prepared = false;
  };
  virtual std::vector<BlobInfo> adopt_many(const std::vector<Adoption>& files);
  // Readies a local file for adoption beside other work (a parse, the move itself): its bytes
  // made durable with their checksum kept beside them. fd is the file opened for reading by the
  // caller, so the file may be renamed (adopted) while this runs. sha256 may be empty: it is
  // then computed here while the bytes are on their way to the disk. Returns the checksum. A
  // file prepared and never adopted is the caller's to remove. The base only computes the
  // checksum: a backend that copies on adopt gains nothing from more.
  virtual std::string prepare(int fd, const std::string& path, const std::string& sha256);
  // Where the object lies on the local filesystem, for serving it without copying; nullopt when
  // absent or when the backend keeps objects elsewhere (callers then use get()).
  virtual std::optional<std::string> local_path(std::string_view /*key*/) { return std::nullopt; }
  virtual std::optional<BlobInfo> stat(std::string_view key) = 0;
  virtual bool exists(std::string_view key) = 0;
  virtual bool remove(std::string_view key) = 0;  // false when it was absent
  // Keys starting with prefix (which need not end at a '/'), sorted.
  virtual std::vector<BlobInfo> list(std::string_view prefix) = 0;
};

std::unique_ptr<BlobStore> open_blob_store(const BlobConfig& config);

}  // namespace carehub
