// Contact tracing: user states with history, broadcast tokens, health-security ids and the
// medical role, single-use status-change codes, meeting upload, tracing and exposure alerts.
#pragma once

#include <memory>

#include "carehub/module.hpp"

namespace carehub::tracing {

class TracingService;

void register_tracing_routes(Router& router, TracingService& service);

class TracingModule final : public Module {
 public:
  TracingModule();
  ~TracingModule() override;
  std::string_view name() const override { return "tracing"; }
  void add_config_schema(ConfigSchema& schema) const override;
  void check_config(const Config& config) const override;
  void start(ModuleContext& context) override;
  void serve(ModuleContext& context) override;

 private:
  std::unique_ptr<TracingService> service_;
};

}  // namespace carehub::tracing
