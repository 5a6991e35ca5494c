#include "carehub/spool.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <stdexcept>
#include <system_error>
#include <vector>

#include "carehub/hash.hpp"
#include "carehub/private_dirs.hpp"

namespace carehub {
namespace fs = std::filesystem;
namespace {

[[noreturn]] void throw_errno(const std::string& what) {
  throw std::system_error(errno, std::generic_category(), what);
}

void ensure_dir(const std::string& dir) {
  std::error_code ec;
  if (fs::is_directory(dir, ec)) return;
  create_private_directories(dir);
}

}  // namespace

std::shared_ptr<SpooledBody> SpooledBody::copy_of(const std::string& from, std::uint64_t offset,
                                                  std::uint64_t length, const std::string& dir) {
  auto copy = create(dir);
  const UniqueFd fd(::open(from.c_str(), O_RDONLY | O_CLOEXEC));
  struct stat st {};
  if (!fd || ::fstat(fd.get(), &st) != 0 ||
      offset + length > static_cast<std::uint64_t>(st.st_size))
    throw std::runtime_error("cannot read the spooled upload");
  // Mapped a window at a time: hashed and written from the page cache, with no copy in between.
  constexpr std::uint64_t kWindow = 16 << 20;
  const auto page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  while (length > 0) {
    const std::uint64_t start = offset / page * page;
    const std::uint64_t skip = offset - start;
    const std::uint64_t take = std::min(length, kWindow);
    void* map =
        ::mmap(nullptr, skip + take, PROT_READ, MAP_SHARED, fd.get(), static_cast<off_t>(start));
    if (map == MAP_FAILED) throw std::runtime_error("cannot read the spooled upload");
    try {
      copy->append(static_cast<const char*>(map) + skip, static_cast<std::size_t>(take));
    } catch (...) {
      ::munmap(map, skip + take);
      throw;
    }
    ::munmap(map, skip + take);
    offset += take;
    length -= take;
  }
  copy->finish();
  return copy;
}

std::shared_ptr<SpooledBody> SpooledBody::create(const std::string& dir, bool scratch) {
  ensure_dir(dir);
  std::shared_ptr<SpooledBody> body(new SpooledBody());
  body->path_ = (fs::path(dir) / ("upload-" + random_hex(12) + ".part")).string();
  body->fd_ = UniqueFd(::open(body->path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
  if (!body->fd_) throw_errno("cannot create " + body->path_);
  body->scratch_ = scratch;
  if (!scratch) body->hash_ = std::make_unique<Sha256>();
  return body;
}

SpooledBody::~SpooledBody() {
  fd_.reset();
  if (!released_ && !path_.empty()) ::unlink(path_.c_str());
}

void SpooledBody::append(const char* data, std::size_t size) {
  if (hash_) hash_->update(data, size);
  while (size > 0) {
    const ssize_t n = ::write(fd_.get(), data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("cannot write " + path_);
    }
    data += n;
    size -= static_cast<std::size_t>(n);
    size_ += static_cast<std::uint64_t>(n);
  }
}

void SpooledBody::finish() {
  if (hash_) {
    sha256_ = hash_->hex();
    hash_.reset();
  }
  if (fd_ && !scratch_)
    ::sync_file_range(fd_.get(), 0, 0, SYNC_FILE_RANGE_WRITE);  // a hint: errors ignored
  // Closed here, not by reset(): a failed close can mean lost writes (NFS, quota), so it is an
  // error.
  if (fd_ && ::close(fd_.release()) != 0) throw_errno("cannot close " + path_);
}

std::string SpooledBody::release() {
  finish();
  released_ = true;
  return path_;
}

std::size_t clean_spool_dir(const std::string& dir) {
  ensure_dir(dir);
  std::size_t removed = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const auto name = entry.path().filename().string();
    if (entry.is_regular_file() && name.starts_with("upload-") && name.ends_with(".part")) {
      std::error_code ec;
      if (fs::remove(entry.path(), ec)) ++removed;
    }
  }
  return removed;
}

}  // namespace carehub
