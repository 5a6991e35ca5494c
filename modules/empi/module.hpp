// The enterprise master patient index (Tuva EMPI's v1 API): person records imported from CSV or
// posted one by one, matched probabilistically into persons, with a review queue.
#pragma once

#include <memory>

#include "carehub/module.hpp"

namespace carehub::empi {

class EmpiStore;
class EmpiPatientIndex;
class EmpiService;

class EmpiModule final : public Module {
 public:
  EmpiModule();
  ~EmpiModule() override;
  std::string_view name() const override { return "empi"; }
  void add_config_schema(ConfigSchema& schema) const override;
  void start(ModuleContext& context) override;

 private:
  std::unique_ptr<EmpiStore> store_;
  std::unique_ptr<EmpiService> service_;
  std::unique_ptr<EmpiPatientIndex> patient_index_;
};

}  // namespace carehub::empi
