// WADO-RS: stored instances exactly as they were received (multipart/related of
// application/dicom parts, streamed from the blob store) or transcoded to Explicit VR Little
// Endian when asked, metadata from the index, frames (compressed ones decoded) and bulk data
// values.
#include <algorithm>
#include <cstdio>
#include <limits>

#include "carehub/error.hpp"
#include "carehub/hash.hpp"
#include "carehub/spool.hpp"
#include "dicom/parse.hpp"
#include "dicom/routes.hpp"
#include "dicom/stored_body.hpp"
#include "dicom/transcode.hpp"

namespace carehub::dicom {
namespace {

// How to answer with stored instances: a multipart of them, or (one instance, asked for as
// application/dicom) the file alone; each as stored, or as Explicit VR Little Endian when the
// client asks for that (transcoded). 406 when the client accepts neither shape, or asks for a
// transfer syntax that is neither the stored one nor Explicit VR Little Endian.
enum class Shape { kMultipart, kSingle };
struct Answer {
  Shape shape = Shape::kMultipart;
  bool explicit_le = false;  // transcode what is stored otherwise
};
Answer negotiate(const Request& req, const std::vector<DicomStore::InstanceFile>& files,
                 std::string_view part_type) {
  std::string why = "acceptable: multipart/related; type=\"" + std::string(part_type) + "\"";
  for (const auto& range : accept_ranges(req)) {
    const bool multipart = range.type == "multipart/related" || range.type == "multipart/*";
    const bool any = range.type == "*/*";
    const bool single = range.type == part_type && files.size() == 1;
    if (!multipart && !any && !single) continue;
    if (multipart) {
      const auto type = range.param("type");
      if (type && lower(*type) != part_type) continue;
    }
    Answer a{single ? Shape::kSingle : Shape::kMultipart, false};
    const auto ts = range.param("transfer-syntax");
    if (ts && *ts != "*" && part_type == "application/dicom") {
      const bool all_match = std::all_of(
          files.begin(), files.end(), [&](const auto& f) { return f.transfer_syntax_uid == *ts; });
      if (!all_match && *ts != kExplicitLittleEndian) {
        why =
            "the instances are stored in their own transfer syntax, and can be had as stored "
            "(transfer-syntax=*) or as Explicit VR Little Endian (transfer-syntax=" +
            std::string(kExplicitLittleEndian) + ")";
        continue;
      }
      a.explicit_le = !all_match;
    }
    if (ts && *ts != "*" && *ts != kExplicitLittleEndian &&
        part_type == "application/octet-stream") {
      why =
          "frames and bulk data are given uncompressed, as Explicit VR Little Endian "
          "(transfer-syntax=" +
          std::string(kExplicitLittleEndian) + ")";
      continue;
    }
    return a;
  }
  throw ApiError(ErrorCode::kNotAcceptable, why);
}

// An instance's bytes in the answer: the stored file, or a transcoded copy (a scratch file in the
// upload folder, unlinked as soon as the answer opens it).
struct Outgoing {
  PiecesBody::Opener open;
  std::uint64_t size = 0;
  std::string transfer_syntax;
};

// Removes the scratch files of an answer that is not sent.
class Scratch {
 public:
  ~Scratch() {
    for (const auto& p : paths_) std::remove(p.c_str());
  }
  void add(std::string path) { paths_.push_back(std::move(path)); }
  void keep() { paths_.clear(); }

 private:
  std::vector<std::string> paths_;
};

std::string boundary() {
  return "carehub-" + random_hex(12);
}

Response retrieve(DicomContext& ctx, Request& req) {
  const Scope scope = scope_of(req);
  const auto files = ctx.db.transact(
      [&](Tx& tx) { return ctx.store.instance_files(tx, scope.study, scope.series, scope.sop); },
      TxMode::kRead);
  if (files.empty()) throw ApiError(ErrorCode::kNotFound, "no such study, series or instance");
  const Answer answer = negotiate(req, files, "application/dicom");
  Scratch scratch;
  std::vector<Outgoing> out;
  std::uint64_t bytes = 0;
  std::size_t transcoded = 0;
  for (const auto& f : files) {
    if (!answer.explicit_le || f.transfer_syntax_uid == kExplicitLittleEndian) {
      out.push_back({stored_opener(ctx.blobs, f.blob_key, f.size_bytes), f.size_bytes,
                     f.transfer_syntax_uid});
    } else {
      const std::string path = SpooledBody::create(ctx.staging_dir, true)->release();
      scratch.add(path);
      auto size = transcode_to_explicit_le(stored_file_path(ctx, f.blob_key), path);
      if (!size)
        throw ApiError(ErrorCode::kNotAcceptable,
                       "instance " + f.sop_uid + " cannot be given as Explicit VR Little Endian: " +
                           size.error() + "; ask with transfer-syntax=* for it as stored");
      out.push_back({[path, n = *size] { return file_body(path, 0, n, true); }, *size,
                     kExplicitLittleEndian});
      ++transcoded;
    }
    bytes += out.back().size;
  }
  audit_read(ctx, req, "dicom.retrieve", scope.study,
             {{"instances", files.size()}, {"bytes", bytes}, {"transcoded", transcoded}});
  scratch.keep();  // each is unlinked when the answer opens it; a crash's leftovers go at start
  if (answer.shape == Shape::kSingle) {
    auto body = std::make_shared<PiecesBody>();
    body->add_source(out[0].open, out[0].size);
    return Response::streamed(std::move(body), "application/dicom");
  }
  const std::string b = boundary();
  auto body = std::make_shared<PiecesBody>();
  for (std::size_t i = 0; i < out.size(); ++i) {
    body->add_text(
        (i ? "\r\n--" : "--") + b + "\r\nContent-Type: application/dicom; transfer-syntax=" +
        out[i].transfer_syntax + "\r\nContent-Length: " + std::to_string(out[i].size) + "\r\n\r\n");
    body->add_source(out[i].open, out[i].size);
  }
  body->add_text("\r\n--" + b + "--\r\n");
  return Response::streamed(std::move(body),
                            "multipart/related; type=\"application/dicom\"; "
                            "boundary=" +
                                b);
}

Response metadata(DicomContext& ctx, Request& req) {
  const Scope scope = scope_of(req);
  const auto items = ctx.db.transact(
      [&](Tx& tx) { return ctx.store.instance_metadata(tx, scope.study, scope.series, scope.sop); },
      TxMode::kRead);
  if (items.empty()) throw ApiError(ErrorCode::kNotFound, "no such study, series or instance");
  std::string out = "[";
  for (std::size_t i = 0; i < items.size(); ++i) {
    if (i) out += ',';
    out += items[i];
  }
  out += ']';
  audit_read(ctx, req, "dicom.metadata", scope.study, {{"instances", items.size()}});
  return Response::text(std::move(out), "application/dicom+json");
}

// The stored file of one instance, on the local filesystem (frames and bulk data are cut out of
// it with DCMTK).
std::string local_file(DicomContext& ctx, const Scope& scope) {
  const auto files = ctx.db.transact(
      [&](Tx& tx) { return ctx.store.instance_files(tx, scope.study, scope.series, scope.sop); },
      TxMode::kRead);
  if (files.empty()) throw ApiError(ErrorCode::kNotFound, "no such instance");
  return stored_file_path(ctx, files[0].blob_key);
}

Response octet_parts(const Request& req, const std::vector<std::string>& values) {
  const std::vector<DicomStore::InstanceFile> parts(values.size());
  if (negotiate(req, parts, "application/octet-stream").shape == Shape::kSingle)
    return Response::text(values[0], "application/octet-stream");
  return multipart_of(
      values, "application/octet-stream",
      std::string("application/octet-stream; transfer-syntax=") + kExplicitLittleEndian);
}

Response frames(DicomContext& ctx, Request& req) {
  const Scope scope = scope_of(req);
  const auto wanted = frame_numbers(req.param("frames"), 10000);
  const std::string path = local_file(ctx, scope);
  std::vector<std::string> out;
  for (int n : wanted) {
    auto frame = read_frame(path, n);
    if (!frame) throw ApiError(ErrorCode::kBadRequest, frame.error());
    out.push_back(std::move(frame).value());
  }
  audit_read(ctx, req, "dicom.frames", scope.study, {{"frames", out.size()}});
  return octet_parts(req, out);
}

Response bulkdata(DicomContext& ctx, Request& req) {
  const Scope scope = scope_of(req);
  const auto tag = tag_of(req.param("tag"));
  if (!tag) throw ApiError(ErrorCode::kBadRequest, "the tag must be 8 hex digits or a keyword");
  auto value = read_bulk_value(local_file(ctx, scope), *tag);
  if (!value) throw ApiError(ErrorCode::kNotFound, value.error());
  audit_read(ctx, req, "dicom.bulkdata", scope.study, {{"bytes", value->size()}});
  return octet_parts(req, {std::move(value).value()});
}

}  // namespace

void register_retrieve_routes(Router& r, DicomContext& ctx) {
  const auto route = [&ctx](Response (*fn)(DicomContext&, Request&)) {
    return [&ctx, fn](Request& req) { return fn(ctx, req); };
  };
  const Access read = dicom_read_access();
  r.add(Method::kGet, "/dicom-web/studies/{study}", read, route(retrieve));
  r.add(Method::kGet, "/dicom-web/studies/{study}/series/{series}", read, route(retrieve));
  r.add(Method::kGet, "/dicom-web/studies/{study}/series/{series}/instances/{sop}", read,
        route(retrieve));
  r.add(Method::kGet, "/dicom-web/studies/{study}/metadata", read, route(metadata));
  r.add(Method::kGet, "/dicom-web/studies/{study}/series/{series}/metadata", read, route(metadata));
  r.add(Method::kGet, "/dicom-web/studies/{study}/series/{series}/instances/{sop}/metadata", read,
        route(metadata));
  r.add(Method::kGet, "/dicom-web/studies/{study}/series/{series}/instances/{sop}/frames/{frames}",
        read, route(frames));
  r.add(Method::kGet, "/dicom-web/studies/{study}/series/{series}/instances/{sop}/bulkdata/{tag}",
        read, route(bulkdata));
}

}  // namespace carehub::dicom
