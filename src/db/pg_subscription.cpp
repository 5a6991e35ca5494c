#include "db/pg_subscription.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace carehub::detail {
namespace {

// How often a subscription whose server is unreachable tries again.
constexpr std::chrono::milliseconds kReconnectInterval{500};

struct PgNotifyFreer {
  void operator()(PGnotify* n) const { PQfreemem(n); }
};

}  // namespace

PgSubscription::PgSubscription(const PgPool& pool, std::string channel)
    : pool_(pool),
      channel_(std::move(channel)),
      wake_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
  if (!wake_fd_) throw DbError(std::string("eventfd failed: ") + std::strerror(errno), false);
  // Listen before returning, so a notification committed right after subscribe() is seen.
  // A server that is down now is retried by wait().
  try_connect();
}

PgSubscription::~PgSubscription() = default;

bool PgSubscription::try_connect() {
  conn_.reset();
  next_connect_attempt_ = std::chrono::steady_clock::now() + kReconnectInterval;
  try {
    auto conn = pool_.connect_dedicated();
    std::unique_ptr<char, decltype(&PQfreemem)> ident(
        PQescapeIdentifier(conn->get(), channel_.data(), channel_.size()), &PQfreemem);
    if (!ident) throw DbError("postgres: cannot quote channel name", false);
    conn->exec_script(std::string("LISTEN ") + ident.get());
    conn_ = std::move(conn);
    return true;
  } catch (const DbError&) {
    return false;
  }
}

bool PgSubscription::take_notifications() {
  bool got = false;
  while (std::unique_ptr<PGnotify, PgNotifyFreer> n{PQnotifies(conn_->get())}) {
    got = true;
    if (n->extra && n->extra[0] != '\0') payloads_.emplace_back(n->extra);
  }
  return got;
}

bool PgSubscription::wait(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    const auto now = std::chrono::steady_clock::now();
    if (conn_ && !conn_->usable()) conn_.reset();
    if (!conn_ && now >= next_connect_attempt_ && try_connect()) return true;
    if (conn_ && take_notifications()) return true;
    if (now >= deadline) return false;

    auto sleep = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now);
    if (!conn_) sleep = std::min(sleep, kReconnectInterval);
    pollfd fds[2] = {{wake_fd_.get(), POLLIN, 0}, {conn_ ? PQsocket(conn_->get()) : -1, POLLIN, 0}};
    const int n = ::poll(fds, 2, static_cast<int>(sleep.count()) + 1);
    if (n < 0 && errno != EINTR)
      throw DbError(std::string("poll failed: ") + std::strerror(errno), false);
    if (n <= 0) continue;
    if (fds[0].revents & POLLIN) {
      std::uint64_t count = 0;
      [[maybe_unused]] auto r = ::read(wake_fd_.get(), &count, sizeof count);
      return true;
    }
    if (conn_ && fds[1].revents != 0 && PQconsumeInput(conn_->get()) == 0) conn_.reset();
  }
}

std::vector<std::string> PgSubscription::take_payloads() {
  std::vector<std::string> out;
  out.swap(payloads_);
  return out;
}

void PgSubscription::wake() {
  const std::uint64_t one = 1;
  [[maybe_unused]] auto r = ::write(wake_fd_.get(), &one, sizeof one);
}

}  // namespace carehub::detail
