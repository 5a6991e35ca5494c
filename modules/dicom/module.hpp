// DICOM images: DICOMweb (STOW-RS, QIDO-RS, WADO-RS), a plain upload and a C-STORE/C-ECHO
// listener, into the private blob store, with an index of patients, studies, series and
// instances; patients seen for the first time join the master patient index.
#pragma once

#include <memory>

#include "carehub/module.hpp"

namespace carehub::dicom {

class DicomStore;
class Ingestor;
class DimseListener;
class RenderCache;
class QueryRetrieve;
struct DicomContext;
struct DimseSettings;

class DicomModule final : public Module {
 public:
  DicomModule();
  ~DicomModule() override;
  std::string_view name() const override { return "dicom"; }
  void add_config_schema(ConfigSchema& schema) const override;
  void check_config(const Config& config) const override;
  void start(ModuleContext& context) override;
  void serve(ModuleContext& context) override;
  void drain(std::chrono::milliseconds grace) override;

 private:
  std::unique_ptr<DicomStore> store_;
  std::unique_ptr<Ingestor> ingestor_;
  std::unique_ptr<RenderCache> render_cache_;
  std::unique_ptr<DicomContext> context_;
  std::unique_ptr<QueryRetrieve> query_retrieve_;
  std::unique_ptr<DimseListener> listener_;
};

}  // namespace carehub::dicom
