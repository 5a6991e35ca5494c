// The filesystem blob backend. Objects live at <root>/<key>; a put streams into <root>/.tmp and is
// renamed into place only once its bytes are on disk, so a reader (or a crash) never sees a partial
// object. The SHA-256 computed while writing is kept in the file's extended attribute
// user.carehub.sha256, set before the rename so it is atomic with the object (no sidecar file with
// its own crash story); stat() and list() report it. On a filesystem without user xattrs they
// report it empty, and put() still returns it for the caller's index row.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

#include "blob/fd_stream.hpp"
#include "blob/posix_io.hpp"
#include "carehub/blob.hpp"
#include "carehub/config.hpp"
#include "carehub/hash.hpp"

namespace carehub {

namespace fs = std::filesystem;
using blob_detail::throw_errno;
using blob_detail::UniqueFd;

namespace {

constexpr std::size_t kChunk = 64 * 1024;
constexpr const char* kTmpDirName = ".tmp";
// Another process sharing the store (serve and worker) may be mid-put: only temp files this old
// are certainly orphans of a crash.
constexpr auto kStaleTempAge = std::chrono::hours(1);

constexpr const char* kShaAttribute = "user.carehub.sha256";
constexpr std::size_t kShaHexLength = 64;

// The checksum put() recorded, or empty (written before xattrs were kept, or not supported).
std::string stored_sha256(const std::string& path) {
  char buf[kShaHexLength];
  ssize_t n = ::getxattr(path.c_str(), kShaAttribute, buf, sizeof buf);
  return n == static_cast<ssize_t>(kShaHexLength) ? std::string(buf, kShaHexLength) : std::string();
}

std::int64_t modified_ms(const struct stat& st) {
  return static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000 + st.st_mtim.tv_nsec / 1'000'000;
}

std::string random_name() {
  try {
    return random_hex(16);
  } catch (const std::runtime_error&) {
    throw BlobError("blob store: no randomness for a temp name");
  }
}

std::string hash_file(int fd, const std::string& path) {
  try {
    return file_sha256(fd, path);
  } catch (const std::runtime_error& e) {
    throw BlobError(std::string("blob store: ") + e.what());
  }
}

std::string parent_of(const std::string& path) {
  return path.substr(0, path.rfind('/'));
}

// Unlinks the temp file unless the put got as far as renaming it into place.
class TempFileGuard {
 public:
  explicit TempFileGuard(std::string path) : path_(std::move(path)) {}
  TempFileGuard(const TempFileGuard&) = delete;
  TempFileGuard& operator=(const TempFileGuard&) = delete;
  ~TempFileGuard() {
    if (!path_.empty()) ::unlink(path_.c_str());
  }
  void release() { path_.clear(); }

 private:
  std::string path_;
};

void create_root(const fs::path& root) {
  fs::path current;
  for (const auto& part : root) {
    current /= part;
    std::error_code ec;
    if (!fs::exists(current, ec)) blob_detail::make_private_dir(current.string());
  }
}

void remove_stale_temp_files(const std::string& tmp_dir) {
  std::error_code ec;
  auto cutoff = fs::file_time_type::clock::now() - kStaleTempAge;
  for (fs::directory_iterator it(tmp_dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::error_code entry_ec;
    auto written = it->last_write_time(entry_ec);
    if (!entry_ec && written < cutoff) fs::remove(it->path(), entry_ec);
  }
}

class FilesystemBlobStore final : public BlobStore {
 public:
  explicit FilesystemBlobStore(const std::string& root) {
    std::string normal = fs::path(root).lexically_normal().string();
    while (normal.size() > 1 && normal.back() == '/') normal.pop_back();
    root_ = normal;
    tmp_dir_ = root_ + "/" + kTmpDirName;
    create_root(root_);
    if (blob_detail::make_private_dir(tmp_dir_)) blob_detail::fsync_dir(root_);
    remove_stale_temp_files(tmp_dir_);
  }

  BlobInfo put(std::string_view key, std::istream& in, std::uint64_t max_bytes) override {
    const std::string path = path_for(key);
    const std::string tmp_path = tmp_dir_ + "/" + random_name();
    UniqueFd fd(::open(tmp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
    if (!fd) throw_errno("create", tmp_path, errno);
    TempFileGuard guard(tmp_path);
    // The open mode is filtered by the umask; objects are private whatever it is.
    if (::fchmod(fd.get(), 0600) != 0) throw_errno("chmod", tmp_path, errno);

    Sha256 hash;
    std::uint64_t size = 0;
    std::vector<char> buffer(kChunk);
    while (true) {
      std::streamsize n = read_chunk(in, buffer);
      if (n > 0) {
        if (static_cast<std::uint64_t>(n) > max_bytes - size) {
          throw BlobError("blob store: object larger than " + std::to_string(max_bytes) + " bytes");
        }
        hash.update(buffer.data(), static_cast<std::size_t>(n));
        blob_detail::write_all(fd.get(), buffer.data(), static_cast<std::size_t>(n), tmp_path);
        size += static_cast<std::uint64_t>(n);
      }
      if (in.eof()) break;
      if (in.fail()) throw BlobError("blob store: reading the object's data failed");
    }
    const std::string sha256 = hash.hex();
    if (::fsetxattr(fd.get(), kShaAttribute, sha256.data(), sha256.size(), 0) != 0 &&
        errno != ENOTSUP) {
      throw_errno("set the checksum attribute of", tmp_path, errno);
    }
    blob_detail::fsync_fd(fd.get(), tmp_path);
    if (::close(fd.release()) != 0) throw_errno("close", tmp_path, errno);

    const std::string dir = parent_of(path);
    blob_detail::make_dirs(root_, dir);
    if (::rename(tmp_path.c_str(), path.c_str()) != 0) throw_errno("rename onto", path, errno);
    guard.release();
    blob_detail::fsync_dir(dir);
    return BlobInfo{std::string(key), size, sha256};
  }

  BlobInfo adopt(std::string_view key, const std::string& source,
                 const std::string& sha256) override {
    return adopt_many({{std::string(key), source, sha256}}).front();
  }

  std::string prepare(int fd, const std::string& path, const std::string& sha256) override {
    ::sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);  // a hint: errors ignored
    std::string sum = sha256.empty() ? hash_file(fd, path) : sha256;
    ready_for_adoption(fd, path, sum);
    blob_detail::fsync_fd(fd, path);
    return sum;
  }

  std::vector<BlobInfo> adopt_many(const std::vector<Adoption>& files) override {
    struct Pending {
      UniqueFd fd;       // empty when prepare() runs or ran on it (its caller waits for that)
      std::string path;  // where it goes
      std::uint64_t size = 0;
    };
    std::vector<Pending> pending;
    pending.reserve(files.size());
    for (const auto& f : files) {  // checked, then written back all at once
      Pending p{UniqueFd(), path_for(f.key), 0};
      struct stat st {};
      if (f.prepared) {
        if (::lstat(f.path.c_str(), &st) != 0) throw_errno("stat", f.path, errno);
        if (!S_ISREG(st.st_mode)) throw BlobError("blob store: adopt needs a regular file");
      } else {
        p.fd = open_for_adoption(f.path, f.sha256, &st);
        if (files.size() > 1) ::sync_file_range(p.fd.get(), 0, 0, SYNC_FILE_RANGE_WRITE);
      }
      p.size = static_cast<std::uint64_t>(st.st_size);
      pending.push_back(std::move(p));
    }
    std::vector<BlobInfo> out;
    out.reserve(files.size());
    std::vector<std::string> dirs;  // to sync, once each, in first-seen order
    for (std::size_t i = 0; i < files.size(); ++i) {
      const auto& f = files[i];
      if (pending[i].fd) blob_detail::fsync_fd(pending[i].fd.get(), f.path);
      const std::string& path = pending[i].path;
      const std::string dir = parent_of(path);
      blob_detail::make_dirs(root_, dir);
      if (::rename(f.path.c_str(), path.c_str()) == 0) {
        if (std::find(dirs.begin(), dirs.end(), dir) == dirs.end()) dirs.push_back(dir);
        out.push_back(BlobInfo{f.key, pending[i].size, f.sha256});
        continue;
      }
      if (errno != EXDEV) throw_errno("rename onto", path, errno);
      out.push_back(BlobStore::adopt(f.key, f.path, f.sha256));  // another filesystem: copy
    }
    for (const auto& dir : dirs) blob_detail::fsync_dir(dir);
    return out;
  }

  std::optional<std::string> local_path(std::string_view key) override {
    const std::string path = path_for(key);
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
    return path;
  }

  std::unique_ptr<std::istream> get(std::string_view key, std::optional<ByteRange> range) override {
    const std::string path = path_for(key);
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd) {
      if (errno == ENOENT || errno == ENOTDIR) return nullptr;
      throw_errno("open", path, errno);
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) throw_errno("stat", path, errno);
    if (!S_ISREG(st.st_mode)) return nullptr;  // a folder of other keys, not an object
    const auto size = static_cast<std::uint64_t>(st.st_size);
    std::uint64_t first = 0;
    std::uint64_t length = size;
    if (range) {
      if (range->first >= size)
        throw BlobError("blob store: range starts past the end of the object");
      std::uint64_t last = std::min(range->last.value_or(size - 1), size - 1);
      if (last < range->first) throw BlobError("blob store: range ends before it starts");
      first = range->first;
      length = last - first + 1;
    }
    return std::make_unique<blob_detail::FdIStream>(std::move(fd), path, first, length);
  }

  std::optional<BlobInfo> stat(std::string_view key) override {
    const std::string path = path_for(key);
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
      if (errno == ENOENT || errno == ENOTDIR) return std::nullopt;
      throw_errno("stat", path, errno);
    }
    if (!S_ISREG(st.st_mode)) return std::nullopt;
    return BlobInfo{std::string(key), static_cast<std::uint64_t>(st.st_size), stored_sha256(path),
                    modified_ms(st)};
  }

  bool exists(std::string_view key) override { return stat(key).has_value(); }

  bool remove(std::string_view key) override {
    const std::string path = path_for(key);
    if (::unlink(path.c_str()) != 0) {
      if (errno == ENOENT || errno == ENOTDIR || errno == EISDIR) return false;
      throw_errno("remove", path, errno);
    }
    blob_detail::fsync_dir(parent_of(path));
    return true;
  }

  std::vector<BlobInfo> list(std::string_view prefix) override {
    // Walk only the deepest folder the prefix names; its folder part is checked like a key first.
    std::string start = root_;
    if (auto slash = prefix.rfind('/'); slash != std::string_view::npos) {
      std::string_view folder = prefix.substr(0, slash);
      if (!valid_blob_key(folder)) return {};
      start.append("/").append(folder);
    }
    std::vector<BlobInfo> out;
    std::error_code ec;
    fs::recursive_directory_iterator it(start, ec);
    for (fs::recursive_directory_iterator end; !ec && it != end; it.increment(ec)) {
      std::string path = it->path().string();
      if (path == tmp_dir_) {
        it.disable_recursion_pending();
        continue;
      }
      std::error_code entry_ec;
      if (!it->is_regular_file(entry_ec) || it->is_symlink(entry_ec)) continue;
      std::string key = path.substr(root_.size() + 1);
      if (key.compare(0, prefix.size(), prefix) != 0 || !valid_blob_key(key) || reserved(key))
        continue;
      struct stat st {};
      if (::stat(path.c_str(), &st) != 0) continue;  // removed while we walked
      out.push_back(BlobInfo{std::move(key), static_cast<std::uint64_t>(st.st_size),
                             stored_sha256(path), modified_ms(st)});
    }
    std::sort(out.begin(), out.end(),
              [](const BlobInfo& a, const BlobInfo& b) { return a.key < b.key; });
    return out;
  }

 private:
  static std::streamsize read_chunk(std::istream& in, std::vector<char>& buffer) {
    try {
      in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
    } catch (const std::exception& e) {
      throw BlobError(std::string("blob store: reading the object's data failed: ") + e.what());
    }
    if (in.bad()) throw BlobError("blob store: reading the object's data failed");
    return in.gcount();
  }

  // A file to adopt, checked (a regular file), made private and given its checksum attribute.
  static UniqueFd open_for_adoption(const std::string& path, const std::string& sha256,
                                    struct stat* st_out = nullptr) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd) throw_errno("open", path, errno);
    ready_for_adoption(fd.get(), path, sha256, st_out);
    return fd;
  }

  static void ready_for_adoption(int fd, const std::string& path, const std::string& sha256,
                                 struct stat* st_out = nullptr) {
    struct stat st {};
    if (::fstat(fd, &st) != 0) throw_errno("stat", path, errno);
    if (!S_ISREG(st.st_mode)) throw BlobError("blob store: adopt needs a regular file");
    if (::fchmod(fd, 0600) != 0) throw_errno("chmod", path, errno);
    if (::fsetxattr(fd, kShaAttribute, sha256.data(), sha256.size(), 0) != 0 && errno != ENOTSUP) {
      throw_errno("set the checksum attribute of", path, errno);
    }
    if (st_out) *st_out = st;
  }

  // The temp folder shares the key namespace; it is never an object or a prefix of one.
  static bool reserved(std::string_view key) {
    return key == kTmpDirName || key.substr(0, 5) == ".tmp/";
  }

  // The only way from a key to a path: the key is checked before anything is joined.
  std::string path_for(std::string_view key) const {
    if (!valid_blob_key(key)) throw BlobError("blob store: invalid key");
    if (reserved(key)) throw BlobError("blob store: keys under .tmp/ are reserved");
    return root_ + "/" + std::string(key);
  }

  std::string root_;
  std::string tmp_dir_;
};

}  // namespace

std::string BlobStore::prepare(int fd, const std::string& path, const std::string& sha256) {
  return sha256.empty() ? hash_file(fd, path) : sha256;
}

std::vector<BlobInfo> BlobStore::adopt_many(const std::vector<Adoption>& files) {
  std::vector<BlobInfo> out;
  out.reserve(files.size());
  for (const auto& f : files) out.push_back(adopt(f.key, f.path, f.sha256));
  return out;
}

BlobInfo BlobStore::adopt(std::string_view key, const std::string& path, const std::string&) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw BlobError("blob store: cannot open " + path);
  auto info = put(key, in);
  ::unlink(path.c_str());
  return info;
}

std::unique_ptr<BlobStore> open_blob_store(const BlobConfig& config) {
  if (config.backend != "filesystem") {
    throw BlobError("blob store: unknown backend \"" + config.backend +
                    "\" (supported: filesystem)");
  }
  if (config.path.empty()) throw BlobError("blob store: blob.path is empty");
  return std::make_unique<FilesystemBlobStore>(config.path);
}

}  // namespace carehub
