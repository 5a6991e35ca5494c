#include "db/local_notifier.hpp"

namespace carehub::detail {

class LocalSubscription final : public Subscription {
 public:
  LocalSubscription(std::shared_ptr<LocalNotifier> notifier, std::string channel,
                    std::uint64_t seen)
      : notifier_(std::move(notifier)), channel_(std::move(channel)), seen_(seen) {}

  bool wait(std::chrono::milliseconds timeout) override {
    std::unique_lock lock(notifier_->mutex_);
    auto ready = [&] { return woken_ || notifier_->counters_[channel_] != seen_; };
    const bool got = notifier_->changed_.wait_for(lock, timeout, ready);
    woken_ = false;
    seen_ = notifier_->counters_[channel_];
    return got;
  }

  void wake() override {
    {
      std::lock_guard lock(notifier_->mutex_);
      woken_ = true;
    }
    notifier_->changed_.notify_all();
  }

 private:
  std::shared_ptr<LocalNotifier> notifier_;  // shared: a subscription may outlive its Database
  std::string channel_;
  std::uint64_t seen_;
  bool woken_ = false;  // guarded by notifier_->mutex_
};

void LocalNotifier::notify(const std::string& channel) {
  {
    std::lock_guard lock(mutex_);
    ++counters_[channel];
  }
  changed_.notify_all();
}

std::unique_ptr<Subscription> LocalNotifier::subscribe(const std::string& channel) {
  std::lock_guard lock(mutex_);
  return std::make_unique<LocalSubscription>(shared_from_this(), channel, counters_[channel]);
}

}  // namespace carehub::detail
