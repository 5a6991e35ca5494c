// SQLite backend: one writer connection behind a mutex (SQLite allows one writer at a time; taking
// turns in-process is cheaper than busy-waiting on the file lock) and a pool of readers that WAL
// lets run alongside it. Other processes are serialised by SQLite's own locks and busy_timeout.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <thread>

#include "carehub/config.hpp"
#include "carehub/private_dirs.hpp"
#include "carehub/unique_fd.hpp"
#include "db/backends.hpp"
#include "db/local_notifier.hpp"
#include "db/sqlite_connection.hpp"

namespace carehub::detail {
namespace {

// Creates the missing parents of path, private to the owner: the database holds patient data.
void create_parent_directories(const std::string& path) {
  const auto parent = std::filesystem::path(path).parent_path();
  if (parent.empty()) return;
  try {
    create_private_directories(parent.string());
  } catch (const std::system_error& e) {
    throw DbError(std::string("cannot create the database's folder: ") + e.what(), false);
  }
}

// The database file and its -wal and -shm companions hold patient data, password hashes and the
// server's keys: readable by the owner only, whatever the umask, and tightened if an older
// version left them group- or world-readable. SQLite creates the companions with the main
// file's mode, so the main file is made first, here.
void make_database_files_private(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!fd)
    throw DbError("cannot open SQLite database " + path + ": " + std::strerror(errno), false);
  if (::fchmod(fd.get(), 0600) != 0)
    throw DbError("cannot make " + path + " private: " + std::strerror(errno), false);
  for (const char* suffix : {"-wal", "-shm", "-journal"}) {
    const std::string companion = path + suffix;
    if (::chmod(companion.c_str(), 0600) != 0 && errno != ENOENT)
      throw DbError("cannot make " + companion + " private: " + std::strerror(errno), false);
  }
}

std::string lock_file_name(const std::string& db_path, const std::string& name) {
  std::string safe;
  for (char c : name) safe += (std::isalnum(static_cast<unsigned char>(c)) || c == '-') ? c : '_';
  return db_path + "." + safe + ".lock";
}

// Runs one transaction on conn; returns the on-commit callbacks for the caller to run once it
// has released the connection.
std::vector<std::function<void()>> run_transaction(SqliteConnection& conn,
                                                   const std::function<void(Tx&)>& fn,
                                                   TxMode mode) {
  conn.begin(mode);
  SqliteTx tx(conn);
  try {
    fn(tx);
    conn.commit();
  } catch (...) {
    conn.rollback();
    throw;
  }
  return std::move(tx.callbacks());
}

class SqliteDatabase final : public Database {
 public:
  SqliteDatabase(std::string path, const DatabaseConfig& config)
      : path_(std::move(path)),
        busy_timeout_ms_(config.busy_timeout_ms),
        max_readers_(config.pool_size > 0 ? config.pool_size : 1),
        notifier_(std::make_shared<LocalNotifier>()) {
    create_parent_directories(path_);
    if (path_ != ":memory:" && !path_.starts_with("file:")) make_database_files_private(path_);
    writer_ = std::make_unique<SqliteConnection>(path_, busy_timeout_ms_,
                                                 SqliteConnection::Role::kWriter);
  }

  Backend backend() const override { return Backend::kSqlite; }

  void run_once(const std::function<void(Tx&)>& fn, TxMode mode) override {
    auto callbacks = mode == TxMode::kRead ? run_read(fn) : run_write(fn, mode);
    run_commit_callbacks(callbacks);
  }

  void ping() override {
    run_once([](Tx& tx) { tx.query("SELECT 1"); }, TxMode::kRead);
  }

  PoolStats pool_stats() const override {
    std::lock_guard lock(pool_mutex_);
    return PoolStats{readers_open_ + 1, readers_in_use_ + (writer_busy_ ? 1 : 0), max_readers_ + 1,
                     waits_};
  }

  using Database::notify;
  void notify(Tx& tx, const std::string& channel, const std::string& /*payload*/) override {
    tx.on_commit([notifier = notifier_, channel] { notifier->notify(channel); });
  }

  std::unique_ptr<Subscription> subscribe(const std::string& channel) override {
    return notifier_->subscribe(channel);
  }

  // flock on a file next to the database: held per open file, so it serialises threads with their
  // own Database objects as well as other processes, and the kernel drops it if we die.
  void with_global_lock(const std::string& name, const std::function<void()>& fn) override {
    const std::string file = lock_file_name(path_, name);
    UniqueFd fd(::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
    if (!fd) throw DbError("cannot open lock file " + file + ": " + std::strerror(errno), false);
    while (::flock(fd.get(), LOCK_EX) != 0) {
      if (errno != EINTR) throw DbError("cannot lock " + file + ": " + std::strerror(errno), false);
    }
    fn();
  }

 private:
  std::vector<std::function<void()>> run_write(const std::function<void(Tx&)>& fn, TxMode mode) {
    if (writer_owner_.load() == std::this_thread::get_id()) {
      throw DbError("nested write transaction on the same thread would deadlock", false);
    }
    std::unique_lock writer(writer_mutex_, std::try_to_lock);
    if (!writer.owns_lock()) {
      {
        std::lock_guard lock(pool_mutex_);
        ++waits_;
      }
      writer.lock();
    }
    writer_owner_.store(std::this_thread::get_id());
    set_writer_busy(true);
    struct Release {
      SqliteDatabase* self;
      ~Release() {
        self->set_writer_busy(false);
        self->writer_owner_.store(std::thread::id());
      }
    } release{this};
    return run_transaction(*writer_, fn, mode);
  }

  std::vector<std::function<void()>> run_read(const std::function<void(Tx&)>& fn) {
    auto conn = acquire_reader();
    try {
      auto callbacks = run_transaction(*conn, fn, TxMode::kRead);
      release_reader(std::move(conn));
      return callbacks;
    } catch (...) {
      release_reader(std::move(conn));
      throw;
    }
  }

  std::unique_ptr<SqliteConnection> acquire_reader() {
    std::unique_lock lock(pool_mutex_);
    if (idle_readers_.empty() && readers_open_ >= max_readers_) {
      ++waits_;
      reader_free_.wait(lock,
                        [&] { return !idle_readers_.empty() || readers_open_ < max_readers_; });
    }
    ++readers_in_use_;
    if (!idle_readers_.empty()) {
      auto conn = std::move(idle_readers_.back());
      idle_readers_.pop_back();
      return conn;
    }
    ++readers_open_;
    lock.unlock();
    try {
      return std::make_unique<SqliteConnection>(path_, busy_timeout_ms_,
                                                SqliteConnection::Role::kReader);
    } catch (...) {
      lock.lock();
      --readers_open_;
      --readers_in_use_;
      reader_free_.notify_one();
      throw;
    }
  }

  void release_reader(std::unique_ptr<SqliteConnection> conn) {
    {
      std::lock_guard lock(pool_mutex_);
      --readers_in_use_;
      idle_readers_.push_back(std::move(conn));
    }
    reader_free_.notify_one();
  }

  void set_writer_busy(bool busy) {
    std::lock_guard lock(pool_mutex_);
    writer_busy_ = busy;
  }

  const std::string path_;
  const int busy_timeout_ms_;
  const int max_readers_;
  std::shared_ptr<LocalNotifier> notifier_;

  std::mutex writer_mutex_;
  std::atomic<std::thread::id> writer_owner_{};
  std::unique_ptr<SqliteConnection> writer_;

  mutable std::mutex pool_mutex_;
  std::condition_variable reader_free_;
  std::vector<std::unique_ptr<SqliteConnection>> idle_readers_;
  int readers_open_ = 0;
  int readers_in_use_ = 0;
  bool writer_busy_ = false;
  std::int64_t waits_ = 0;
};

}  // namespace

std::unique_ptr<Database> open_sqlite_database(const std::string& path,
                                               const DatabaseConfig& config) {
  return std::make_unique<SqliteDatabase>(path, config);
}

}  // namespace carehub::detail
