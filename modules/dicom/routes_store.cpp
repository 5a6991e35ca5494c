// Uploads: STOW-RS (multipart/related, many instances a request) and a plain POST of one
// application/dicom body. Both spool the request to disk first; every instance is staged in a
// file of its own, which becomes the stored blob.
#include <algorithm>
#include <vector>

#include "carehub/error.hpp"
#include "carehub/multipart.hpp"
#include "carehub/spool.hpp"
#include "dicom/parse.hpp"
#include "dicom/routes.hpp"

namespace carehub::dicom {
namespace {

constexpr std::size_t kMaxStowParts = 10000;
constexpr std::size_t kBatchParts = 64;

// DICOM failure reasons (PS3.4 C.4.2.1.4, PS3.18 I.2.2) for a STOW-RS answer.
constexpr int kFailureCannotUnderstand = 0xC000;
constexpr int kFailureDuplicateSopInstance = 0x0111;
constexpr int kFailureStudyMismatch = 0xA900;
constexpr int kFailureOutOfResources = 0xA700;
constexpr int kFailureProcessing = 0x0110;

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// A part without a Content-Type takes the request's type parameter (application/dicom).
bool is_dicom_media_type(std::string_view content_type) {
  std::string media = lower(std::string(content_type.substr(0, content_type.find(';'))));
  std::erase_if(media, [](char c) { return c == ' ' || c == '\t'; });
  return media.empty() || media == "application/dicom";
}

int failure_reason(IngestStatus status) {
  switch (status) {
    case IngestStatus::kConflict: return kFailureDuplicateSopInstance;
    case IngestStatus::kWrongStudy: return kFailureStudyMismatch;
    case IngestStatus::kTooLarge: return kFailureOutOfResources;
    case IngestStatus::kRejected: return kFailureCannotUnderstand;
    default: return kFailureProcessing;
  }
}

nlohmann::json uid(const char* vr, const std::string& value) {
  nlohmann::json a = {{"vr", vr}};
  if (!value.empty()) a["Value"] = {value};
  return a;
}

Response stow(DicomContext& ctx, Request& req) {
  const auto type = parse_multipart_content_type(req.header("content-type").value_or(""));
  if (!type || type->media_type != "multipart/related" ||
      (type->type && lower(*type->type) != "application/dicom")) {
    throw ApiError(ErrorCode::kUnsupportedMediaType,
                   "STOW-RS takes multipart/related; type=\"application/dicom\" with one DICOM "
                   "Part 10 instance per part");
  }
  const std::string* required_study = nullptr;
  std::string study_param;
  for (const auto& [name, value] : req.params) {
    if (name == "study") study_param = value;
  }
  // Checked before it is compared, answered or audited: the URL may hold anything.
  if (!study_param.empty() && !valid_uid(study_param))
    throw ApiError(ErrorCode::kBadRequest, "the study in the URL is not a valid UID");
  if (!study_param.empty()) required_study = &study_param;
  std::vector<MultipartPart> parts;
  try {
    parts = scan_multipart(req.spooled->path(), type->boundary, kMaxStowParts);
  } catch (const MultipartError& e) {
    throw ApiError(ErrorCode::kBadRequest, std::string("malformed multipart body: ") + e.what());
  }
  if (parts.empty()) throw ApiError(ErrorCode::kBadRequest, "the request holds no parts");

  const IngestSource source = source_of(req);
  nlohmann::json referenced = nlohmann::json::array();
  nlohmann::json failed = nlohmann::json::array();
  std::string only_study;
  bool one_study = true;
  const std::string base = base_url(req, ctx);
  const auto answer_part = [&](std::size_t i, const IngestResult& result) {
    nlohmann::json item = {{"00081150", uid("UI", result.sop_class_uid)},
                           {"00081155", uid("UI", result.sop_uid)}};
    if (result.status == IngestStatus::kStored || result.status == IngestStatus::kAlreadyStored) {
      item["00081190"] =
          uid("UR", base + instance_url(result.study_uid, result.series_uid, result.sop_uid));
      referenced.push_back(std::move(item));
      if (only_study.empty()) only_study = result.study_uid;
      one_study = one_study && only_study == result.study_uid;
    } else {
      item["00081197"] = {{"vr", "US"}, {"Value", {failure_reason(result.status)}}};
      item["00000902"] = uid("LO", "part " + std::to_string(i + 1) + ": " + result.reason);
      failed.push_back(std::move(item));
    }
  };
  // Parts are staged and ingested kBatchParts at a time: they reach the disk together, and the
  // staged copies never take more than that many instances' room beside the spooled request.
  for (std::size_t first = 0; first < parts.size(); first += kBatchParts) {
    const std::size_t end = std::min(parts.size(), first + kBatchParts);
    std::vector<std::shared_ptr<SpooledBody>> staged(end - first);
    std::vector<Ingestor::Staged> batch;
    std::vector<std::size_t> batch_part;  // the part of each batch entry
    for (std::size_t i = first; i < end; ++i) {
      if (!is_dicom_media_type(parts[i].content_type)) continue;
      auto& file = staged[i - first];
      file = SpooledBody::copy_of(req.spooled->path(), parts[i].offset, parts[i].length,
                                  ctx.staging_dir);
      batch.push_back({file->path(), file->sha256()});
      batch_part.push_back(i);
    }
    const auto results = ctx.ingestor.ingest_batch(batch, source, required_study);
    std::size_t next = 0;
    for (std::size_t i = first; i < end; ++i) {
      if (next < batch_part.size() && batch_part[next] == i) {
        const IngestResult& result = results[next++];
        if (result.status == IngestStatus::kStored) staged[i - first]->release();  // in the store
        answer_part(i, result);
        continue;
      }
      IngestResult refused;
      refused.status = IngestStatus::kRejected;
      refused.reason = "part " + std::to_string(i + 1) + " is not application/dicom";
      answer_part(i, refused);
    }
  }
  nlohmann::json answer = nlohmann::json::object();
  const std::string study = !study_param.empty() ? study_param : (one_study ? only_study : "");
  if (!study.empty() && !referenced.empty())
    answer["00081190"] = uid("UR", base + "/dicom-web/studies/" + study);
  if (!failed.empty()) answer["00081198"] = {{"vr", "SQ"}, {"Value", failed}};
  if (!referenced.empty()) answer["00081199"] = {{"vr", "SQ"}, {"Value", referenced}};
  audit_read(ctx, req, "dicom.stow", study,
             {{"parts", parts.size()}, {"stored", referenced.size()}, {"failed", failed.size()}});
  const int status = failed.empty() ? 200 : referenced.empty() ? 409 : 202;
  Response resp = Response::json(answer, status);
  resp.content_type = "application/dicom+json";
  return resp;
}

Response plain_post(DicomContext& ctx, Request& req) {
  const auto content_type = lower(std::string(req.header("content-type").value_or("")));
  const auto media = content_type.substr(0, content_type.find(';'));
  if (media != "application/dicom" && media != "application/octet-stream") {
    throw ApiError(ErrorCode::kUnsupportedMediaType,
                   "send one DICOM Part 10 instance as application/dicom");
  }
  const auto result =
      ctx.ingestor.ingest(req.spooled->path(), source_of(req), nullptr, &req.spooled->sha256());
  switch (result.status) {
    case IngestStatus::kStored:
    case IngestStatus::kAlreadyStored:
      if (result.status == IngestStatus::kStored) req.spooled->release();  // moved into the store
      return Response::json(
          {{"sop_instance_uid", result.sop_uid},
           {"study_instance_uid", result.study_uid},
           {"series_instance_uid", result.series_uid},
           {"status", result.status == IngestStatus::kStored ? "Stored" : "AlreadyStored"}});
    case IngestStatus::kConflict:
    case IngestStatus::kWrongStudy: throw ApiError(ErrorCode::kConflict, result.reason);
    case IngestStatus::kTooLarge: throw ApiError(ErrorCode::kPayloadTooLarge, result.reason);
    case IngestStatus::kRejected: break;
  }
  throw ApiError(ErrorCode::kBadRequest, result.reason);
}

}  // namespace

void register_store_routes(Router& r, DicomContext& ctx) {
  RouteOptions stow_options;
  stow_options.body_limit = static_cast<std::size_t>(ctx.max_request_bytes);
  stow_options.spool_body = true;
  RouteOptions plain_options = stow_options;
  stow_options.spool_scratch = true;  // split into staged parts; the parts are what is kept
  plain_options.body_limit = static_cast<std::size_t>(ctx.ingestor.settings().max_instance_bytes);

  auto stow_route = [&ctx](Request& req) { return stow(ctx, req); };
  r.add(Method::kPost, "/dicom-web/studies", dicom_write_access(), stow_route, stow_options);
  r.add(Method::kPost, "/dicom-web/studies/{study}", dicom_write_access(), stow_route,
        stow_options);
  r.add(
      Method::kPost, "/api/v1/dicom/instances", dicom_write_access(),
      [&ctx](Request& req) { return plain_post(ctx, req); }, plain_options);
}

}  // namespace carehub::dicom
