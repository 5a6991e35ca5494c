// The study list for people (GET /api/v1/dicom/studies) and deleting a study (admin).
#include <map>

#include "carehub/error.hpp"
#include "carehub/log.hpp"
#include "dicom/qido.hpp"
#include "dicom/routes.hpp"

namespace carehub::dicom {
namespace {

constexpr int kDefaultPage = 50;
constexpr int kMaxPage = 500;

// The list's snake_case filters, as the QIDO-RS keys they are.
const std::map<std::string, std::string>& filters() {
  static const std::map<std::string, std::string> f = {{"patient_id", "PatientID"},
                                                       {"patient_name", "PatientName"},
                                                       {"study_date", "StudyDate"},
                                                       {"modality", "ModalitiesInStudy"},
                                                       {"accession_number", "AccessionNumber"},
                                                       {"study_instance_uid", "StudyInstanceUID"},
                                                       {"limit", "limit"},
                                                       {"offset", "offset"}};
  return f;
}

nlohmann::json study_summary(const StudyRow& s) {
  return {{"study_instance_uid", s.study_uid},
          {"patient_id", s.patient_id},
          {"patient_name", s.patient_name},
          {"patient_birth_date", s.patient_birth_date},
          {"patient_sex", s.patient_sex},
          {"study_date", s.study_date},
          {"study_time", s.study_time},
          {"accession_number", s.accession_number},
          {"study_description", s.study_description},
          {"referring_physician_name", s.referring_physician_name},
          {"modalities", s.modalities},
          {"series_count", s.series_count},
          {"instance_count", s.instance_count},
          {"size_bytes", s.size_bytes},
          {"created_at", format_rfc3339_ms(s.created_at_ms)},
          {"updated_at", format_rfc3339_ms(s.updated_at_ms)}};
}

}  // namespace

void register_study_routes(Router& r, DicomContext& ctx) {
  r.add(Method::kGet, "/api/v1/dicom/studies", dicom_read_access(), [&ctx](Request& req) {
    std::vector<std::pair<std::string, std::string>> params;
    for (const auto& [name, value] : req.query_params()) {
      auto it = filters().find(name);
      if (it == filters().end()) {
        throw ApiError(ErrorCode::kBadRequest,
                       "unknown parameter '" + name +
                           "'; filters: patient_id, patient_name, study_date, modality, "
                           "accession_number, study_instance_uid; paging: limit, offset");
      }
      params.emplace_back(it->second, value);
    }
    QidoRequest q;
    try {
      q = parse_qido(params, Level::kStudy, kDefaultPage, kMaxPage);
    } catch (const QidoError& e) {
      throw ApiError(ErrorCode::kBadRequest, e.what());
    }
    const auto rows =
        ctx.db.transact([&](Tx& tx) { return ctx.store.studies(tx, q.query); }, TxMode::kRead);
    nlohmann::json studies = nlohmann::json::array();
    for (const auto& s : rows) studies.push_back(study_summary(s));
    audit_read(ctx, req, "dicom.studies.list", "", {{"results", rows.size()}});
    return Response::json(
        {{"studies", studies}, {"limit", q.query.limit}, {"offset", q.query.offset}});
  });

  r.add(Method::kDelete, "/api/v1/dicom/studies/{study}", Access::admin(), [&ctx](Request& req) {
    const std::string& study = req.param("study");
    std::vector<std::string> shas;
    const auto keys = ctx.db.transact([&](Tx& tx) {
      shas.clear();
      for (const auto& f : ctx.store.instance_files(tx, study, std::nullopt, std::nullopt))
        shas.push_back(f.sha256);
      auto removed = ctx.store.delete_study(tx, study);
      if (removed.empty()) throw ApiError(ErrorCode::kNotFound, "no such study");
      AuditEvent e = AuditLog::from_request(req, "dicom.study.delete", "dicom_study", study);
      e.detail = {{"instances", removed.size()}};
      ctx.audit.record(tx, e);
      return removed;
    });
    // The rows are gone; a blob left by a crash here is an orphan the sweep removes.
    std::size_t failed = 0;
    for (const auto& key : keys) {
      try {
        ctx.blobs.remove(key);
      } catch (const std::exception& e) {
        ++failed;
        log_warn("dicom_blob_remove_failed", {{"key", key}, {"detail", e.what()}});
      }
    }
    remove_thumbnails(ctx, shas);
    return Response::json({{"study_instance_uid", study},
                           {"instances_deleted", keys.size()},
                           {"blobs_left_for_sweep", failed}});
  });
}

}  // namespace carehub::dicom
