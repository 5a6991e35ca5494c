// Small POSIX helpers for the filesystem blob store: the write,
// fsync and mkdir steps that make a put durable. Errors throw BlobError naming the path.
#pragma once

#include <cstddef>
#include <string>

#include "carehub/unique_fd.hpp"

namespace carehub::blob_detail {

using carehub::UniqueFd;

[[noreturn]] void throw_errno(const std::string& what, const std::string& path, int err);

void write_all(int fd, const char* data, std::size_t size, const std::string& path);
void fsync_fd(int fd, const std::string& path);
// Makes a new directory entry (create, rename, unlink) in dir durable.
void fsync_dir(const std::string& dir);
// Creates dir and any missing parents below root with mode 0700, fsyncing the parent of each
// directory it creates. dir must be root or below it.
void make_dirs(const std::string& root, const std::string& dir);
// Creates one directory (if missing) with mode 0700 regardless of the umask.
bool make_private_dir(const std::string& dir);

}  // namespace carehub::blob_detail
