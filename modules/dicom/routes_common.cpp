// What the dicom route tables share: who may call them, URLs in answers, the sender of an upload.
#include "dicom/routes.hpp"

namespace carehub::dicom {

Access dicom_write_access() {
  return Access::roles({"physician", "admin"}).or_scopes({"dicom:write"});
}

Access dicom_read_access() {
  return Access::roles({"physician", "admin"}).or_scopes({"dicom:read", "dicom:write"});
}

std::string base_url(const Request& req, const DicomContext& ctx) {
  if (!ctx.public_base_url.empty()) return ctx.public_base_url;
  const auto host = req.header("host");
  // A Host that could break out of a URL is not echoed.
  if (!host || host->empty() || host->find_first_of("/\\\"<> ") != std::string_view::npos)
    return "";
  return "http://" + std::string(*host);
}

IngestSource source_of(const Request& req) {
  IngestSource s;
  s.actor = req.principal ? req.principal->subject : "anonymous";
  s.patient_scope = s.actor;
  s.request_id = req.request_id;
  s.client_address = req.client_address;
  return s;
}

void audit_read(DicomContext& ctx, const Request& req, const std::string& action,
                const std::string& resource, nlohmann::json detail) {
  AuditEvent e = AuditLog::from_request(req, action, "dicom_study", resource);
  e.detail = std::move(detail);
  ctx.audit.record(std::move(e));
}

}  // namespace carehub::dicom
