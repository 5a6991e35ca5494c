// A whole study as one ZIP download (GET /api/v1/dicom/studies/{study}/archive), for people who
// want the files on their own disk: each stored instance exactly as received, named
// <SeriesInstanceUID>/<SOPInstanceUID>.dcm, streamed from the blob store one file at a time.
#include "carehub/download.hpp"
#include "carehub/error.hpp"
#include "dicom/routes.hpp"
#include "dicom/stored_body.hpp"
#include "dicom/zip_stream.hpp"

namespace carehub::dicom {
namespace {

Response study_archive(DicomContext& ctx, Request& req) {
  const std::string& study = req.param("study");
  const auto files = ctx.db.transact(
      [&](Tx& tx) { return ctx.store.instance_files(tx, study, std::nullopt, std::nullopt); },
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
  return Response::streamed(std::make_shared<ZipStream>(std::move(entries), ctx.clock.now_ms()),
                            "application/zip")
      .with_header("Content-Disposition", content_disposition(study + ".zip"));
}

}  // namespace

void register_archive_routes(Router& r, DicomContext& ctx) {
  r.add(Method::kGet, "/api/v1/dicom/studies/{study}/archive", dicom_read_access(),
        [&ctx](Request& req) { return study_archive(ctx, req); });
}

}  // namespace carehub::dicom
