// Notifications: a per-user inbox, real-time WebSocket and SSE streams, device pushes through a
// delivery outbox, and the one publisher every module sends through (carehub/notifications.hpp).
#pragma once

#include <memory>

#include "carehub/module.hpp"

namespace carehub::notify {

class NotifyStore;
class Hub;
class Publisher;
class PushProvider;
struct NotifyContext;

class NotifyModule final : public Module {
 public:
  NotifyModule();
  ~NotifyModule() override;
  std::string_view name() const override { return "notify"; }
  void add_config_schema(ConfigSchema& schema) const override;
  void check_config(const Config& config) const override;
  void start(ModuleContext& context) override;
  void serve(ModuleContext& context) override;
  void drain(std::chrono::milliseconds grace) override;

 private:
  std::unique_ptr<NotifyStore> store_;
  std::unique_ptr<Hub> hub_;
  std::unique_ptr<Publisher> publisher_;
  std::unique_ptr<PushProvider> provider_;
  std::unique_ptr<NotifyContext> context_;
};

}  // namespace carehub::notify
