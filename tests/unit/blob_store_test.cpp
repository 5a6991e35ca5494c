#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "carehub/blob.hpp"
#include "carehub/config.hpp"
#include "carehub/unique_fd.hpp"
#include "support/test_database.hpp"

namespace fs = std::filesystem;
using carehub::BlobError;
using carehub::BlobStore;
using carehub::ByteRange;

namespace {

std::unique_ptr<BlobStore> open_store(const std::string& root) {
  return carehub::open_blob_store(carehub::BlobConfig{"filesystem", root});
}

std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string out(n, '\0');
  for (auto& c : out) c = static_cast<char>(rng() & 0xff);
  return out;
}

// One-shot digest, independent of the store's streaming hash.
std::string expected_sha256(const std::string& data) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  REQUIRE(EVP_Digest(data.data(), data.size(), digest, &length, EVP_sha256(), nullptr) == 1);
  std::string hex;
  char buf[3];
  for (unsigned i = 0; i < length; ++i) {
    std::snprintf(buf, sizeof buf, "%02x", digest[i]);
    hex += buf;
  }
  return hex;
}

std::string read_all(std::istream& in) {
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::string get_string(BlobStore& store, const std::string& key,
                       std::optional<ByteRange> range = std::nullopt) {
  auto in = store.get(key, range);
  REQUIRE(in);
  return read_all(*in);
}

std::size_t entries_in(const std::string& dir) {
  return static_cast<std::size_t>(
      std::distance(fs::directory_iterator(dir), fs::directory_iterator()));
}

unsigned mode_of(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

// Yields `good` bytes, then fails the way a dropped upload connection does.
class FailingBuf : public std::streambuf {
 public:
  explicit FailingBuf(std::string good) : data_(std::move(good)) {
    setg(data_.data(), data_.data(), data_.data() + data_.size());
  }

 protected:
  int_type underflow() override { throw std::runtime_error("connection reset"); }

 private:
  std::string data_;
};

}  // namespace

TEST_CASE("blob store: a 5 MB object round-trips with size and SHA-256", "[blob]") {
  carehub::test::TempDir dir;
  auto store = open_store(dir.path() + "/blobs");
  const std::string data = random_bytes(5 * 1024 * 1024 + 17, 1);
  std::istringstream in(data);

  auto info = store->put("cases/7/scan.dcm", in);
  CHECK(info.key == "cases/7/scan.dcm");
  CHECK(info.size == data.size());
  CHECK(info.sha256 == expected_sha256(data));
  CHECK(get_string(*store, "cases/7/scan.dcm") == data);
  auto st = store->stat("cases/7/scan.dcm");
  REQUIRE(st);
  CHECK(st->size == data.size());
  // Recorded with the object (an extended attribute; the test machines' ext4 keeps them).
  CHECK(st->sha256 == info.sha256);
  auto listed = store->list("cases/7/");
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].sha256 == info.sha256);
  CHECK(store->exists("cases/7/scan.dcm"));
  CHECK(entries_in(dir.path() + "/blobs/.tmp") == 0);
}

TEST_CASE("blob store: byte ranges", "[blob]") {
  carehub::test::TempDir dir;
  auto store = open_store(dir.path());
  const std::string data = random_bytes(200 * 1024, 2);
  std::istringstream in(data);
  store->put("r", in);

  CHECK(get_string(*store, "r", ByteRange{0, 9}) == data.substr(0, 10));
  CHECK(get_string(*store, "r", ByteRange{100000, 170000}) == data.substr(100000, 70001));
  CHECK(get_string(*store, "r", ByteRange{150000, std::nullopt}) == data.substr(150000));
  CHECK(get_string(*store, "r", ByteRange{data.size() - 1, data.size() + 500}) ==
        data.substr(data.size() - 1));
  CHECK_THROWS_AS(store->get("r", ByteRange{data.size(), std::nullopt}), BlobError);
  CHECK_THROWS_AS(store->get("r", ByteRange{data.size() + 10, data.size() + 20}), BlobError);
  CHECK_THROWS_AS(store->get("r", ByteRange{10, 5}), BlobError);
}

TEST_CASE("blob store: absent objects", "[blob]") {
  carehub::test::TempDir dir;
  auto store = open_store(dir.path());
  CHECK(store->get("nope") == nullptr);
  CHECK_FALSE(store->stat("nope"));
  CHECK_FALSE(store->exists("nope"));
  CHECK_FALSE(store->remove("nope"));
  std::istringstream in("x");
  store->put("folder/obj", in);
  CHECK(store->get("folder") == nullptr);  // a folder of keys is not an object
  CHECK_FALSE(store->exists("folder"));
}

TEST_CASE("blob store: invalid keys are refused before touching the disk", "[blob]") {
  carehub::test::TempDir dir;
  const std::string root = dir.path() + "/blobs";
  auto store = open_store(root);
  const std::vector<std::string> bad = {"",     "..",     "../escape",
                                        "/abs", "a//b",   "a/",
                                        "a\\b", "a/./b",  std::string("a\0b", 3),
                                        ".tmp", ".tmp/x", std::string(513, 'k')};
  for (const auto& key : bad) {
    INFO("key: " << key);
    std::istringstream in("data");
    CHECK_THROWS_AS(store->put(key, in), BlobError);
    CHECK_THROWS_AS(store->get(key), BlobError);
    CHECK_THROWS_AS(store->remove(key), BlobError);
  }
  CHECK_FALSE(fs::exists(dir.path() + "/escape"));
  CHECK(entries_in(root) == 1);  // only .tmp
  CHECK(entries_in(root + "/.tmp") == 0);
}

TEST_CASE("blob store: a failed put leaves nothing behind and keeps the old object", "[blob]") {
  carehub::test::TempDir dir;
  const std::string root = dir.path() + "/blobs";
  auto store = open_store(root);
  std::istringstream old_data("old contents");
  store->put("doc", old_data);

  SECTION("more than max_bytes") {
    const std::string big = random_bytes(300 * 1024, 3);
    std::istringstream in(big);
    CHECK_THROWS_AS(store->put("doc", in, 100 * 1024), BlobError);
    std::istringstream in2(big);
    CHECK_THROWS_AS(store->put("new/doc", in2, big.size() - 1), BlobError);
    std::istringstream exact(big);
    CHECK(store->put("exact", exact, big.size()).size == big.size());
  }
  SECTION("the input stream goes bad midway") {
    FailingBuf buf(random_bytes(100 * 1024, 4));
    std::istream in(&buf);
    CHECK_THROWS_AS(store->put("doc", in), BlobError);
    FailingBuf buf2(random_bytes(10, 5));
    std::istream in2(&buf2);
    in2.exceptions(std::ios::badbit);
    CHECK_THROWS_AS(store->put("new/doc", in2), BlobError);
  }
  CHECK(entries_in(root + "/.tmp") == 0);
  CHECK(get_string(*store, "doc") == "old contents");
  CHECK_FALSE(store->exists("new/doc"));
}

TEST_CASE("blob store: objects are private whatever the umask", "[blob]") {
  carehub::test::TempDir dir;
  const std::string root = dir.path() + "/store/blobs";
  const mode_t old_umask = ::umask(0277);
  std::unique_ptr<BlobStore> store;
  try {
    store = open_store(root);
    std::istringstream in("secret");
    store->put("p/q/obj", in);
  } catch (...) {
    ::umask(old_umask);
    throw;
  }
  ::umask(old_umask);
  CHECK(mode_of(root) == 0700);
  CHECK(mode_of(root + "/.tmp") == 0700);
  CHECK(mode_of(root + "/p") == 0700);
  CHECK(mode_of(root + "/p/q") == 0700);
  CHECK(mode_of(root + "/p/q/obj") == 0600);
}

TEST_CASE("blob store: list by prefix, sorted, without temp files", "[blob]") {
  carehub::test::TempDir dir;
  auto store = open_store(dir.path());
  for (const char* key : {"b", "a/c", "ab", "a/b/2", "a/b/1"}) {
    std::istringstream in(key);
    store->put(key, in);
  }
  std::ofstream(dir.path() + "/.tmp/leftover") << "partial";

  auto keys = [&](const std::string& prefix) {
    std::vector<std::string> out;
    for (const auto& info : store->list(prefix)) out.push_back(info.key);
    return out;
  };
  using V = std::vector<std::string>;
  CHECK(keys("") == V{"a/b/1", "a/b/2", "a/c", "ab", "b"});
  CHECK(keys("a/") == V{"a/b/1", "a/b/2", "a/c"});
  CHECK(keys("a") == V{"a/b/1", "a/b/2", "a/c", "ab"});
  CHECK(keys("a/b") == V{"a/b/1", "a/b/2"});
  CHECK(keys("a/b/1") == V{"a/b/1"});
  CHECK(keys("zz/") == V{});
  CHECK(keys("../") == V{});
  CHECK(keys(".tmp/") == V{});
  auto listed = store->list("a/c");
  REQUIRE(listed.size() == 1);
  CHECK(listed[0].size == 3);
}

TEST_CASE("blob store: overwrite replaces atomically, open readers keep the old bytes", "[blob]") {
  carehub::test::TempDir dir;
  auto store = open_store(dir.path());
  const std::string v1 = random_bytes(300 * 1024, 6);
  const std::string v2 = random_bytes(100 * 1024, 7);
  std::istringstream in1(v1);
  store->put("k", in1);
  auto reader = store->get("k");
  REQUIRE(reader);
  std::istringstream in2(v2);
  auto info = store->put("k", in2);
  CHECK(info.sha256 == expected_sha256(v2));
  CHECK(read_all(*reader) == v1);
  CHECK(get_string(*store, "k") == v2);
  CHECK(store->list("k").size() == 1);
}

TEST_CASE("blob store: remove", "[blob]") {
  carehub::test::TempDir dir;
  auto store = open_store(dir.path());
  std::istringstream in("x");
  store->put("a/b", in);
  CHECK(store->remove("a/b"));
  CHECK_FALSE(store->exists("a/b"));
  CHECK_FALSE(store->remove("a/b"));
  CHECK(store->list("").empty());
}

// A store, and a staging folder beside it (on the same filesystem) for files to adopt.
struct StagedStore {
  StagedStore() { fs::create_directories(staging); }
  // Writes content to a new staged file; its path.
  std::string stage(const std::string& name, const std::string& content) const {
    const std::string path = staging + "/" + name;
    std::ofstream(path, std::ios::binary) << content;
    return path;
  }
  carehub::test::TempDir dir;
  std::unique_ptr<BlobStore> store = open_store(dir.path() + "/store");
  std::string staging = dir.path() + "/staging";
};

TEST_CASE("blob store: adopt_many moves several files in, each with its bytes and checksum",
          "[blob]") {
  StagedStore s;
  auto& store = s.store;
  const std::string& staging = s.staging;
  carehub::test::TempDir& dir = s.dir;
  std::vector<BlobStore::Adoption> files;
  std::vector<std::string> contents;
  for (int i = 0; i < 5; ++i) {
    contents.push_back(random_bytes(70000 + i, static_cast<unsigned>(i)));
    const std::string path = s.stage("f" + std::to_string(i), contents.back());
    // two folders, one of them new, share the five
    files.push_back({(i % 2 ? "x/odd/" : "y/even/") + std::to_string(i), path,
                     expected_sha256(contents.back())});
  }
  const auto infos = store->adopt_many(files);
  REQUIRE(infos.size() == 5);
  for (std::size_t i = 0; i < 5; ++i) {
    CHECK(infos[i].key == files[i].key);
    CHECK(infos[i].size == contents[i].size());
    CHECK(get_string(*store, files[i].key) == contents[i]);
    CHECK(store->stat(files[i].key)->sha256 == files[i].sha256);
    CHECK(mode_of(dir.path() + "/store/" + files[i].key) == 0600);
  }
  CHECK(entries_in(staging) == 0);  // moved, not copied

  // An invalid key anywhere in the list: refused before any file moves.
  const std::string a = staging + "/a", b = staging + "/b";
  std::ofstream(a) << "a";
  std::ofstream(b) << "b";
  CHECK_THROWS_AS(store->adopt_many(
                      {{"ok/a", a, expected_sha256("a")}, {"../escape", b, expected_sha256("b")}}),
                  BlobError);
  CHECK(fs::exists(a));
  CHECK(fs::exists(b));
  CHECK_FALSE(store->exists("ok/a"));
}

TEST_CASE("blob store: a prepared file is adopted with the checksum prepare computed", "[blob]") {
  StagedStore s;
  auto& store = s.store;
  const std::string content = random_bytes(300000, 7u), path = s.stage("f", content);

  // No checksum given: computed from the file. One given: kept as it is, never recomputed.
  const carehub::UniqueFd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  REQUIRE(file);
  const std::string sha = store->prepare(file.get(), path, "");
  CHECK(sha == expected_sha256(content));
  CHECK(store->prepare(file.get(), path, sha) == sha);
  CHECK(fs::exists(path));  // prepared, still where it was
  CHECK(mode_of(path) == 0600);

  const auto infos = store->adopt_many({{"p/prepared", path, sha, true}});
  REQUIRE(infos.size() == 1);
  CHECK(infos[0].size == content.size());
  CHECK(get_string(*store, "p/prepared") == content);
  CHECK(store->stat("p/prepared")->sha256 == sha);
  CHECK(mode_of(s.dir.path() + "/store/p/prepared") == 0600);
  CHECK(entries_in(s.staging) == 0);

  // A prepared entry that is not a regular file is refused, and nothing moves.
  fs::create_directories(s.staging + "/folder");
  CHECK_THROWS_AS(store->adopt_many({{"p/folder", s.staging + "/folder", sha, true}}), BlobError);
  CHECK_FALSE(store->exists("p/folder"));
}

TEST_CASE("blob store: a file moved in while it is prepared ends with its mode and checksum",
          "[blob]") {
  StagedStore s;
  auto& store = s.store;
  const std::string content = random_bytes(200000, 9u), path = s.stage("g", content);
  ::chmod(path.c_str(), 0644);
  const std::string sha = expected_sha256(content);

  // The caller opened it, moved it, and prepare() finishes on the descriptor it holds.
  const carehub::UniqueFd file(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  REQUIRE(file);
  store->adopt_many({{"q/moved", path, sha, true}});
  CHECK_FALSE(fs::exists(path));
  CHECK(store->prepare(file.get(), path, sha) == sha);
  CHECK(get_string(*store, "q/moved") == content);
  CHECK(store->stat("q/moved")->sha256 == sha);
  CHECK(mode_of(s.dir.path() + "/store/q/moved") == 0600);
}

TEST_CASE("blob store: stale temp files of a crashed put are removed on open", "[blob]") {
  carehub::test::TempDir dir;
  open_store(dir.path());
  const std::string stale = dir.path() + "/.tmp/stale";
  const std::string fresh = dir.path() + "/.tmp/fresh";
  std::ofstream(stale) << "half an upload";
  std::ofstream(fresh) << "a put in progress elsewhere";
  fs::last_write_time(stale, fs::file_time_type::clock::now() - std::chrono::hours(3));
  open_store(dir.path());
  CHECK_FALSE(fs::exists(stale));
  CHECK(fs::exists(fresh));
}

TEST_CASE("blob store: only the filesystem backend exists", "[blob]") {
  carehub::test::TempDir dir;
  try {
    carehub::open_blob_store(carehub::BlobConfig{"azure", dir.path()});
    FAIL("expected BlobError");
  } catch (const BlobError& e) {
    CHECK(std::string(e.what()).find("azure") != std::string::npos);
  }
}
