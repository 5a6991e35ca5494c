#include "notify/hub.hpp"

#include <algorithm>
#include <charconv>

#include "carehub/clock.hpp"
#include "carehub/hash.hpp"
#include "carehub/log.hpp"

namespace carehub::notify {

struct Hub::Subscriber {
  std::int64_t user_id = 0;
  Principal principal;
  std::shared_ptr<LiveConnection> conn;  // set once open
  bool closed = false;
  // Sent while the stream was opening, to replay first; ids sent, to leave out the same
  // notification arriving live meanwhile.
  std::vector<NotificationRow> missed;
  std::unordered_set<std::int64_t> replayed;
  std::vector<NotificationRow> pending;  // live ones before the stream opened
  std::int64_t max_sent = 0;
};

std::string stream_message(const NotificationRow& row) {
  nlohmann::json j = {{"id", std::to_string(row.id)},
                      {"type", row.n.type},
                      {"title", row.n.title},
                      {"body", row.n.body},
                      {"data", row.n.data},
                      {"created_at", format_rfc3339_ms(row.created_at_ms)},
                      {"read", row.read_at_ms.has_value()}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

namespace {

bool send(LiveConnection& conn, const NotificationRow& row) {
  return conn.push(std::to_string(row.id), "notification", stream_message(row));
}

}  // namespace

Hub::Hub(Database& db, NotifyStore& store, Slot<PrincipalValidator>& principals,
         HubSettings settings)
    : db_(db),
      store_(store),
      principals_(principals),
      settings_(settings),
      origin_(random_hex(6)) {}

Hub::~Hub() {
  stop();
}

LiveOptions Hub::open_stream(const Principal& principal, std::int64_t user_id,
                             std::int64_t last_seen_id, LiveOptions::Kind kind) {
  auto sub = std::make_shared<Subscriber>();
  sub->user_id = user_id;
  sub->principal = principal;
  {
    std::lock_guard lock(mutex_);
    by_user_[user_id].push_back(sub);  // from now on, deliveries for the user wait in pending
  }
  if (last_seen_id >= 0) {
    sub->missed = db_.transact(
        [&](Tx& tx) { return store_.after(tx, user_id, last_seen_id, settings_.replay_limit); },
        TxMode::kRead);
    for (const auto& row : sub->missed) sub->replayed.insert(row.id);
  }

  LiveOptions options;
  options.kind = kind;
  options.max_buffered_bytes = settings_.buffer_bytes;
  options.heartbeat = settings_.heartbeat;
  options.on_open = [this, sub](const std::shared_ptr<LiveConnection>& conn) {
    std::lock_guard lock(mutex_);
    sub->conn = conn;
    ++open_;
    for (const auto& row : sub->missed) {
      send(*conn, row);
      sub->max_sent = std::max(sub->max_sent, row.id);
    }
    for (const auto& row : sub->pending) {
      if (sub->replayed.contains(row.id)) continue;
      send(*conn, row);
      sub->max_sent = std::max(sub->max_sent, row.id);
    }
    sub->missed.clear();
    sub->pending.clear();
    sub->replayed.clear();
  };
  options.on_close = [this, sub](const std::shared_ptr<LiveConnection>&) { remove(sub); };
  return options;
}

void Hub::remove(const std::shared_ptr<Subscriber>& sub) {
  std::lock_guard lock(mutex_);
  if (sub->closed) return;
  sub->closed = true;
  if (sub->conn) --open_;
  auto it = by_user_.find(sub->user_id);
  if (it == by_user_.end()) return;
  auto& list = it->second;
  list.erase(std::remove(list.begin(), list.end(), sub), list.end());
  if (list.empty()) by_user_.erase(it);
}

void Hub::deliver(const std::vector<NotificationRow>& rows) {
  std::lock_guard lock(mutex_);
  for (const auto& row : rows) {
    auto it = by_user_.find(row.n.user_id);
    if (it == by_user_.end()) continue;
    for (const auto& sub : it->second) {
      if (!sub->conn) {
        sub->pending.push_back(row);
        continue;
      }
      send(*sub->conn, row);  // a full buffer closes that stream, never blocks this
      sub->max_sent = std::max(sub->max_sent, row.id);
    }
  }
}

std::size_t Hub::open_streams() const {
  std::lock_guard lock(mutex_);
  return open_;
}

void Hub::start(bool listen_for_other_processes) {
  validator_ = std::thread([this] { validate_loop(); });
  if (listen_for_other_processes) {
    subscription_ = db_.subscribe(kEventsChannel);
    listener_ = std::thread([this] { listen_loop(); });
  }
}

void Hub::stop() {
  if (stopping_.exchange(true)) return;
  stop_cv_.notify_all();
  if (subscription_) subscription_->wake();
  if (validator_.joinable()) validator_.join();
  if (listener_.joinable()) listener_.join();
}

void Hub::validate_loop() {
  for (;;) {
    {
      std::unique_lock lock(stop_mutex_);
      if (stop_cv_.wait_for(lock, settings_.validate_interval, [this] { return stopping_.load(); }))
        return;
    }
    PrincipalValidator* validator = principals_.get();
    if (!validator) continue;
    std::vector<std::shared_ptr<Subscriber>> subs;
    {
      std::lock_guard lock(mutex_);
      for (const auto& [user, list] : by_user_) subs.insert(subs.end(), list.begin(), list.end());
    }
    for (const auto& sub : subs) {
      std::shared_ptr<LiveConnection> conn;
      {
        std::lock_guard lock(mutex_);
        conn = sub->conn;
      }
      if (!conn) continue;
      bool valid = true;
      try {
        valid = validator->still_valid(sub->principal);
      } catch (const std::exception& e) {
        log_warn("notify_stream_check_failed", {{"detail", e.what()}});
      }
      if (!valid) conn->close("the session was revoked");
    }
  }
}

void Hub::listen_loop() {
  while (!stopping_) {
    bool woke = false;
    try {
      woke = subscription_->wait(std::chrono::seconds(5));
    } catch (const std::exception& e) {
      log_warn("notify_listen_failed", {{"detail", e.what()}});
      std::this_thread::sleep_for(std::chrono::milliseconds(500));
      continue;
    }
    if (stopping_) return;
    if (!woke) continue;
    const auto payloads = subscription_->take_payloads();
    if (payloads.empty()) {
      catch_up();  // a reconnect: what was announced meanwhile is lost, so look
      continue;
    }
    // "origin id user": another process committed notification id for user.
    std::vector<std::int64_t> ids;
    {
      std::lock_guard lock(mutex_);
      for (const auto& p : payloads) {
        const auto a = p.find(' '), b = p.rfind(' ');
        if (a == std::string::npos || a == b || p.compare(0, a, origin_) == 0) continue;
        std::int64_t id = 0, user = 0;
        std::from_chars(p.data() + a + 1, p.data() + b, id);
        std::from_chars(p.data() + b + 1, p.data() + p.size(), user);
        if (by_user_.contains(user)) ids.push_back(id);
      }
    }
    if (ids.empty()) continue;
    try {
      const auto rows = db_.transact([&](Tx& tx) { return store_.by_ids(tx, ids); }, TxMode::kRead);
      deliver(rows);
    } catch (const std::exception& e) {
      log_warn("notify_listen_failed", {{"detail", e.what()}});
    }
  }
}

void Hub::catch_up() {
  std::vector<std::pair<std::int64_t, std::int64_t>> wanted;  // user, after id
  {
    std::lock_guard lock(mutex_);
    for (const auto& [user, list] : by_user_) {
      std::int64_t after = INT64_MAX;
      for (const auto& sub : list) {
        if (sub->conn) after = std::min(after, sub->max_sent);
      }
      if (after != INT64_MAX) wanted.emplace_back(user, after);
    }
  }
  // Plain variables, not structured bindings: clang 14 (the fuzz build) cannot capture those.
  for (const auto& want : wanted) {
    const std::int64_t user = want.first, after = want.second;
    try {
      const auto rows = db_.transact(
          [&](Tx& tx) { return store_.after(tx, user, after, settings_.replay_limit); },
          TxMode::kRead);
      std::lock_guard lock(mutex_);
      auto it = by_user_.find(user);
      if (it == by_user_.end()) continue;
      for (const auto& sub : it->second) {
        if (!sub->conn) continue;
        for (const auto& row : rows) {
          if (row.id <= sub->max_sent) continue;
          send(*sub->conn, row);
          sub->max_sent = row.id;
        }
      }
    } catch (const std::exception& e) {
      log_warn("notify_catch_up_failed", {{"detail", e.what()}});
    }
  }
}

}  // namespace carehub::notify
