// Diagnostics: routes and a job type that the core's tests and benchmarks exercise (JSON parsing,
// a slow handler, one-row reads, a raised body limit, a durable job). Off unless diag.enabled.
#pragma once

#include "carehub/module.hpp"

namespace carehub::diag {

class DiagModule final : public Module {
 public:
  std::string_view name() const override { return "diag"; }
  void add_config_schema(ConfigSchema& schema) const override;
  void start(ModuleContext& context) override;
};

}  // namespace carehub::diag
