#include "modules.hpp"

#include "auth/module.hpp"
#include "cases/module.hpp"
#include "diag/module.hpp"
#include "dicom/module.hpp"
#include "empi/module.hpp"
#include "notify/module.hpp"
#include "tracing/module.hpp"

namespace carehub {

std::vector<std::unique_ptr<Module>> make_modules() {
  std::vector<std::unique_ptr<Module>> modules;
  modules.push_back(std::make_unique<auth::AuthModule>());
  modules.push_back(std::make_unique<notify::NotifyModule>());
  modules.push_back(std::make_unique<empi::EmpiModule>());
  modules.push_back(std::make_unique<dicom::DicomModule>());
  modules.push_back(std::make_unique<tracing::TracingModule>());
  modules.push_back(std::make_unique<cases::CasesModule>());
  modules.push_back(std::make_unique<diag::DiagModule>());
  return modules;
}

}  // namespace carehub
