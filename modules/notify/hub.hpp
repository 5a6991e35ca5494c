// Open streams (WebSocket, SSE) by user, and delivery to them. A stream registers before it reads
// what its client missed, so a notification committed in between is neither lost nor sent twice;
// every notification committed later reaches every open stream of its user: from this process at
// commit (in-process), from other processes through PostgreSQL LISTEN/NOTIFY. Streams whose
// principal is no longer valid (signed out, disabled, token deleted) are closed within
// validate_interval. No HTTP here beyond the core's LiveConnection.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "carehub/db.hpp"
#include "carehub/live.hpp"
#include "carehub/notifications.hpp"
#include "carehub/services.hpp"
#include "notify/store.hpp"

namespace carehub::notify {

inline constexpr const char* kEventsChannel = "notify_events";

// What a stream sends for a notification: its JSON.
std::string stream_message(const NotificationRow& row);

struct HubSettings {
  std::size_t buffer_bytes = 256 * 1024;
  std::chrono::milliseconds heartbeat{25000};
  std::chrono::milliseconds validate_interval{5000};
  int replay_limit = 1000;
};

class Hub {
 public:
  Hub(Database& db, NotifyStore& store, Slot<PrincipalValidator>& principals, HubSettings settings);
  ~Hub();
  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;

  // This process's tag in NOTIFY payloads (its own are delivered at commit already).
  const std::string& origin() const { return origin_; }

  // The live options of a stream for this principal (a user), registered now, which first sends
  // the user's notifications after last_seen_id (at most replay_limit, oldest first). Runs on a
  // worker thread (it reads the database).
  LiveOptions open_stream(const Principal& principal, std::int64_t user_id,
                          std::int64_t last_seen_id, LiveOptions::Kind kind);

  // After the commit that stored them (any thread).
  void deliver(const std::vector<NotificationRow>& rows);

  // The background work: the validity checks, and on PostgreSQL the listener.
  void start(bool listen_for_other_processes);
  void stop();

  std::size_t open_streams() const;

 private:
  struct Subscriber;
  void remove(const std::shared_ptr<Subscriber>& s);
  void validate_loop();
  void listen_loop();
  void catch_up();

  Database& db_;
  NotifyStore& store_;
  Slot<PrincipalValidator>& principals_;
  const HubSettings settings_;
  const std::string origin_;

  mutable std::mutex mutex_;
  std::unordered_map<std::int64_t, std::vector<std::shared_ptr<Subscriber>>> by_user_;
  std::size_t open_ = 0;

  std::atomic<bool> stopping_{false};
  std::mutex stop_mutex_;
  std::condition_variable stop_cv_;
  std::thread validator_;
  std::thread listener_;
  std::unique_ptr<Subscription> subscription_;
};

}  // namespace carehub::notify
