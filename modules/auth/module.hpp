// Accounts, sign-in and access control. Installs the authenticator every other module relies on.
#pragma once

#include <memory>

#include "carehub/module.hpp"

namespace carehub::auth {

class AuthService;

class AuthModule final : public Module {
 public:
  AuthModule();
  ~AuthModule() override;
  std::string_view name() const override { return "auth"; }
  void add_config_schema(ConfigSchema& schema) const override;
  void check_config(const Config& config) const override;
  void start(ModuleContext& context) override;
  // While no admin exists: logs the single-use first-run setup link.
  void serve(ModuleContext& context) override;
  std::vector<std::string> bootstrap(ModuleContext& context,
                                     const BootstrapOptions& options) override;

 private:
  std::unique_ptr<AuthService> service_;
};

}  // namespace carehub::auth
