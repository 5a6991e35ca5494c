// Medical cases and their documents, shared between patients and physicians (Dx29's job), and the
// texts the apps show per language.
#pragma once

#include <memory>

#include "carehub/module.hpp"

namespace carehub::cases {

class CasesService;

class CasesModule final : public Module {
 public:
  CasesModule();
  ~CasesModule() override;
  std::string_view name() const override { return "cases"; }
  void add_config_schema(ConfigSchema& schema) const override;
  void start(ModuleContext& context) override;
  void serve(ModuleContext& context) override;

 private:
  std::unique_ptr<CasesService> service_;
};

}  // namespace carehub::cases
