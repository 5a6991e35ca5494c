// WADO-RS: stored instances exactly as they were received (multipart/related of
// application/dicom parts, streamed from the blob store), metadata from the index, frames of
// uncompressed pixel data and bulk data values.
#include <algorithm>
#include <limits>

#include "carehub/error.hpp"
#include "carehub/hash.hpp"
#include "dicom/parse.hpp"
#include "dicom/routes.hpp"

namespace carehub::dicom {
namespace {

struct Scope {
  std::string study;
  std::optional<std::string> series, sop;
};

Scope scope_of(const Request& req) {
  Scope s;
  for (const auto& [name, value] : req.params) {
    if (name == "study") s.study = value;
    if (name == "series") s.series = value;
    if (name == "sop") s.sop = value;
  }
  return s;
}

std::string lower(std::string_view in) {
  std::string s(in);
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(std::string_view s) {
  const auto a = s.find_first_not_of(" \t");
  if (a == std::string_view::npos) return {};
  return std::string(s.substr(a, s.find_last_not_of(" \t") - a + 1));
}

// One media range of an Accept header: its type and parameters (names lower-cased, quotes off).
struct MediaRange {
  std::string type;
  std::vector<std::pair<std::string, std::string>> params;
  std::optional<std::string> param(std::string_view name) const {
    for (const auto& [k, v] : params) {
      if (k == name) return v;
    }
    return std::nullopt;
  }
};

std::vector<MediaRange> accept_ranges(const Request& req) {
  std::vector<MediaRange> out;
  const std::string header(req.header("accept").value_or("*/*"));
  std::size_t start = 0;
  while (start <= header.size()) {
    const auto comma = header.find(',', start);
    const std::string item =
        header.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    MediaRange range;
    std::size_t at = 0;
    bool first = true;
    while (at <= item.size()) {
      const auto semi = item.find(';', at);
      const std::string piece =
          trim(item.substr(at, semi == std::string::npos ? std::string::npos : semi - at));
      if (first) {
        range.type = lower(piece);
        first = false;
      } else if (const auto eq = piece.find('='); eq != std::string::npos) {
        std::string value = trim(piece.substr(eq + 1));
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
          value = value.substr(1, value.size() - 2);
        range.params.emplace_back(lower(trim(piece.substr(0, eq))), value);
      }
      if (semi == std::string::npos) break;
      at = semi + 1;
    }
    if (!range.type.empty()) out.push_back(std::move(range));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  if (out.empty()) out.push_back({"*/*", {}});
  return out;
}

// How to answer with stored instances: a multipart of them, or (one instance, asked for as
// application/dicom) the file alone. 406 when the client accepts neither, or wants a transfer
// syntax other than the stored one (carehub does not transcode).
enum class Shape { kMultipart, kSingle };
Shape negotiate(const Request& req, const std::vector<DicomStore::InstanceFile>& files,
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
    const auto ts = range.param("transfer-syntax");
    if (ts && *ts != "*" && part_type == "application/dicom") {
      const bool all_match = std::all_of(
          files.begin(), files.end(), [&](const auto& f) { return f.transfer_syntax_uid == *ts; });
      if (!all_match) {
        why =
            "the instances are stored in their own transfer syntax and are not transcoded; "
            "ask with transfer-syntax=*";
        continue;
      }
    }
    return single ? Shape::kSingle : Shape::kMultipart;
  }
  throw ApiError(ErrorCode::kNotAcceptable, why);
}

std::string boundary() {
  return "carehub-" + random_hex(12);
}

PiecesBody::Opener blob_opener(BlobStore& blobs, std::string key, std::uint64_t size) {
  return [&blobs, key = std::move(key), size]() -> std::shared_ptr<BodySource> {
    if (auto path = blobs.local_path(key)) return file_body(*path, 0, size);
    auto in = blobs.get(key);
    if (!in) throw std::runtime_error("stored instance missing from the blob store: " + key);
    return istream_body(std::move(in), size);
  };
}

Response retrieve(DicomContext& ctx, Request& req) {
  const Scope scope = scope_of(req);
  const auto files = ctx.db.transact(
      [&](Tx& tx) { return ctx.store.instance_files(tx, scope.study, scope.series, scope.sop); },
      TxMode::kRead);
  if (files.empty()) throw ApiError(ErrorCode::kNotFound, "no such study, series or instance");
  const Shape shape = negotiate(req, files, "application/dicom");
  std::uint64_t bytes = 0;
  for (const auto& f : files) bytes += f.size_bytes;
  audit_read(ctx, req, "dicom.retrieve", scope.study,
             {{"instances", files.size()}, {"bytes", bytes}});
  if (shape == Shape::kSingle) {
    auto body = std::make_shared<PiecesBody>();
    body->add_source(blob_opener(ctx.blobs, files[0].blob_key, files[0].size_bytes),
                     files[0].size_bytes);
    return Response::streamed(std::move(body), "application/dicom");
  }
  const std::string b = boundary();
  auto body = std::make_shared<PiecesBody>();
  for (std::size_t i = 0; i < files.size(); ++i) {
    const auto& f = files[i];
    body->add_text((i ? "\r\n--" : "--") + b +
                   "\r\nContent-Type: application/dicom; transfer-syntax=" + f.transfer_syntax_uid +
                   "\r\nContent-Length: " + std::to_string(f.size_bytes) + "\r\n\r\n");
    body->add_source(blob_opener(ctx.blobs, f.blob_key, f.size_bytes), f.size_bytes);
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
  auto path = ctx.blobs.local_path(files[0].blob_key);
  if (!path)
    throw std::runtime_error("the blob store keeps no local file for " + files[0].blob_key);
  return *path;
}

Response octet_parts(const Request& req, const std::vector<std::string>& values) {
  const std::vector<DicomStore::InstanceFile> parts(values.size());
  if (negotiate(req, parts, "application/octet-stream") == Shape::kSingle)
    return Response::text(values[0], "application/octet-stream");
  const std::string b = boundary();
  auto body = std::make_shared<PiecesBody>();
  for (std::size_t i = 0; i < values.size(); ++i) {
    body->add_text((i ? "\r\n--" : "--") + b +
                   "\r\nContent-Type: application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1"
                   "\r\nContent-Length: " +
                   std::to_string(values[i].size()) + "\r\n\r\n");
    body->add_text(values[i]);
  }
  body->add_text("\r\n--" + b + "--\r\n");
  return Response::streamed(std::move(body),
                            "multipart/related; type=\"application/octet-stream\"; boundary=" + b);
}

Response frames(DicomContext& ctx, Request& req) {
  const Scope scope = scope_of(req);
  std::vector<int> wanted;
  const std::string& list = req.param("frames");
  std::size_t start = 0;
  while (start <= list.size()) {
    const auto comma = list.find(',', start);
    const std::string item =
        list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    // A frame number is an IS (a 32-bit signed integer): beyond that it names no frame.
    const auto number = parse_positive_id(item, "frame number");
    if (number > std::numeric_limits<int>::max())
      throw ApiError(ErrorCode::kBadRequest, "frame numbers go from 1 to 2147483647");
    wanted.push_back(static_cast<int>(number));
    if (wanted.size() > 10000) throw ApiError(ErrorCode::kBadRequest, "too many frames asked for");
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
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
