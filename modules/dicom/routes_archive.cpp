// A whole study as one ZIP download (GET /api/v1/dicom/studies/{study}/archive), for people who
// want the files on their own disk: each stored instance exactly as received, named
// <SeriesInstanceUID>/<SOPInstanceUID>.dcm, streamed from the blob store one file at a time.
//
// A browser saves it by following a link, so that the file streams to disk instead of into the
// page's memory; a link cannot carry the access token, so the console first asks for a
// single-use ticket (POST .../archive/ticket) and puts that in the link.
#include "carehub/download.hpp"
#include "carehub/error.hpp"
#include "dicom/routes.hpp"
#include "dicom/stored_body.hpp"
#include "dicom/zip_stream.hpp"

namespace carehub::dicom {
namespace {

constexpr const char* kDownloadTicketPurpose = "dicom.download";
constexpr std::chrono::seconds kDownloadTicketTtl{60};

Response study_archive(DicomContext& ctx, Request& req) {
  const std::string& study = req.param("study");
  // The entries are dated when the study last changed, not when it is downloaded: the same study
  // gives the same bytes each time (two downloads a second apart once differed in their headers).
  std::int64_t changed_ms = 0;
  const auto files = ctx.db.transact(
      [&](Tx& tx) {
        if (const auto row = ctx.store.find_study(tx, study)) changed_ms = row->updated_at_ms;
        return ctx.store.instance_files(tx, study, std::nullopt, std::nullopt);
      },
      TxMode::kRead);
  if (files.empty()) throw ApiError(ErrorCode::kNotFound, "no such study");
  std::vector<ZipStream::Entry> entries;
  std::uint64_t bytes = 0;
  for (const auto& f : files) {
    entries.push_back({f.series_uid + "/" + f.sop_uid + ".dcm", f.size_bytes,
                       stored_opener(ctx.blobs, f.blob_key, f.size_bytes)});
    bytes += f.size_bytes;
  }
  audit_read(ctx, req, "dicom.archive", study, {{"instances", files.size()}, {"bytes", bytes}});
  return Response::streamed(std::make_shared<ZipStream>(std::move(entries), changed_ms),
                            "application/zip")
      .with_header("Content-Disposition", content_disposition(study + ".zip"));
}

Response download_ticket(DicomContext& ctx, Request& req) {
  const std::string& study = req.param("study");
  const bool known = ctx.db.transact(
      [&](Tx& tx) { return ctx.store.find_study(tx, study).has_value(); }, TxMode::kRead);
  if (!known) throw ApiError(ErrorCode::kNotFound, "no such study");
  const auto ticket = ctx.tickets.issue(*req.principal, kDownloadTicketPurpose, kDownloadTicketTtl);
  return Response::json({{"ticket", ticket},
                         {"expires_in", kDownloadTicketTtl.count()},
                         {"use", "GET /api/v1/dicom/studies/{study}/archive?ticket=..., once"}},
                        201);
}

}  // namespace

void register_archive_routes(Router& r, DicomContext& ctx) {
  RouteOptions with_ticket;
  with_ticket.ticket_purpose = kDownloadTicketPurpose;
  r.add(
      Method::kGet, "/api/v1/dicom/studies/{study}/archive", dicom_read_access(),
      [&ctx](Request& req) { return study_archive(ctx, req); }, with_ticket);
  r.add(Method::kPost, "/api/v1/dicom/studies/{study}/archive/ticket", dicom_read_access(),
        [&ctx](Request& req) { return download_ticket(ctx, req); });
}

}  // namespace carehub::dicom
