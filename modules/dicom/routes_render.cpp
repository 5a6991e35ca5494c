// WADO-RS rendered resources and thumbnails (PS3.18 9.5 and 9.6): pictures of stored frames as
// JPEG or PNG, chosen by Accept (or the accept query parameter). Rendering runs in the handler,
// on the worker pool. Thumbnails are kept in the blob store under the instance's SHA-256, so a
// second look costs a read; they go when their study is deleted.
#include <algorithm>
#include <limits>
#include <sstream>

#include "carehub/error.hpp"
#include "carehub/hash.hpp"
#include "carehub/log.hpp"
#include "dicom/render.hpp"
#include "dicom/routes.hpp"

namespace carehub::dicom {
namespace {

// A study's or series' rendered answer draws one picture per instance (its first frame); past
// this many, the client is asked to go series by series.
constexpr std::size_t kMaxRenderedParts = 1000;
constexpr int kThumbnailSize = 256;  // fits within this square unless viewport says otherwise
constexpr int kThumbnailQuality = 80;
constexpr const char* kThumbnailPrefix = "dicom-thumbnails/";

const char* media_type(ImageFormat f) {
  return f == ImageFormat::kPng ? "image/png" : "image/jpeg";
}

// JPEG unless the client asks for PNG first; 406 when it accepts neither.
ImageFormat negotiate_image(const Request& req) {
  std::vector<MediaRange> ranges;
  if (auto asked = req.query_param("accept")) {
    MediaRange r;
    r.type = lower(*asked);
    ranges.push_back(r);
  } else {
    ranges = accept_ranges(req);
  }
  for (const auto& range : ranges) {
    std::string type = range.type;
    if (type == "multipart/related") type = lower(range.param("type").value_or("image/jpeg"));
    if (type == "image/png") return ImageFormat::kPng;
    if (type == "image/jpeg" || type == "image/*" || type == "*/*") return ImageFormat::kJpeg;
  }
  throw ApiError(ErrorCode::kNotAcceptable,
                 "rendered images are image/jpeg or image/png (as Accept or ?accept=)");
}

// The query parameters of a rendered request, checked; 400 naming what is wrong.
RenderOptions options_of(const Request& req, bool thumbnail) {
  RenderOptions o;
  o.format = negotiate_image(req);
  for (const auto& [name, value] : req.query_params()) {
    if (name == "accept") continue;
    if (name == "viewport") {
      auto v = parse_viewport(value);
      if (!v) throw ApiError(ErrorCode::kBadRequest, v.error());
      std::tie(o.viewport_width, o.viewport_height) = *v;
    } else if (name == "window" && !thumbnail) {
      auto w = parse_window(value);
      if (!w) throw ApiError(ErrorCode::kBadRequest, w.error());
      o.window = *w;
    } else if (name == "quality" && !thumbnail) {
      o.quality = req.int_query("quality", 90, 1, 100);
    } else {
      throw ApiError(ErrorCode::kBadRequest,
                     "unsupported query parameter '" + name + "' (supported: " +
                         (thumbnail ? "viewport, accept" : "window, viewport, quality, accept") +
                         ")");
    }
  }
  if (thumbnail) {
    if (o.viewport_width == 0) o.viewport_width = o.viewport_height = kThumbnailSize;
    o.quality = kThumbnailQuality;
    o.enlarge = false;
  }
  return o;
}

std::vector<DicomStore::InstanceFile> files_of(DicomContext& ctx, const Scope& scope) {
  auto files = ctx.db.transact(
      [&](Tx& tx) { return ctx.store.instance_files(tx, scope.study, scope.series, scope.sop); },
      TxMode::kRead);
  if (files.empty()) throw ApiError(ErrorCode::kNotFound, "no such study, series or instance");
  return files;
}

// Everything the picture depends on: the instance's bytes and each option.
std::string cache_key(const DicomStore::InstanceFile& f, const RenderOptions& o) {
  std::string key = f.sha256 + "/" + std::to_string(o.frame) + "/" +
                    std::to_string(o.viewport_width) + "x" + std::to_string(o.viewport_height) +
                    (o.enlarge ? "+" : "-") + "/" + std::to_string(o.quality) +
                    (o.format == ImageFormat::kPng ? "/png" : "/jpeg");
  if (o.window) {
    key += "/" + std::to_string(o.window->center) + "," + std::to_string(o.window->width) + "," +
           std::to_string(static_cast<int>(o.window->function));
  }
  return key;
}

std::string render(DicomContext& ctx, const DicomStore::InstanceFile& f, const RenderOptions& o) {
  const std::string key = cache_key(f, o);
  if (auto kept = ctx.render_cache.find(key)) return *kept;
  auto image = render_frame(stored_file_path(ctx, f.blob_key), o);
  // The instance is stored and indexed; what it cannot be drawn as is the client's to hear.
  if (!image) throw ApiError(ErrorCode::kBadRequest, image.error());
  auto shared = std::make_shared<const std::string>(std::move(image).value());
  ctx.render_cache.put(key, shared);
  return *shared;
}

// A number as the index keeps it ("12", " 3", ""): what sorts series and instances.
long number_of(const std::string& text) {
  try {
    return text.empty() ? std::numeric_limits<long>::max() : std::stol(text);
  } catch (const std::exception&) {
    return std::numeric_limits<long>::max();
  }
}

// The picture that stands for a study or series: the middle instance (by Instance Number) of
// its first series (by Series Number), as a viewer opens it.
const DicomStore::InstanceFile& representative(std::vector<DicomStore::InstanceFile>& files) {
  std::stable_sort(files.begin(), files.end(), [](const auto& a, const auto& b) {
    const long sa = number_of(a.series_number), sb = number_of(b.series_number);
    if (sa != sb) return sa < sb;
    if (a.series_uid != b.series_uid) return a.series_uid < b.series_uid;
    return number_of(a.instance_number) < number_of(b.instance_number);
  });
  const auto end = std::find_if(files.begin(), files.end(),
                                [&](const auto& f) { return f.series_uid != files[0].series_uid; });
  const auto count = static_cast<std::size_t>(end - files.begin());
  return files[count / 2];
}

// One instance: its first frame. A study or series: each instance's first frame, as parts.
Response rendered(DicomContext& ctx, Request& req) {
  const Scope scope = scope_of(req);
  const RenderOptions o = options_of(req, false);
  const auto files = files_of(ctx, scope);
  if (files.size() > kMaxRenderedParts)
    throw ApiError(ErrorCode::kBadRequest,
                   "the study has " + std::to_string(files.size()) +
                       " instances; ask for its series' rendered images one series at a time");
  std::vector<std::string> images;
  for (const auto& f : files) images.push_back(render(ctx, f, o));
  audit_read(ctx, req, "dicom.rendered", scope.study, {{"images", images.size()}});
  if (scope.sop) return Response::text(std::move(images[0]), media_type(o.format));
  return multipart_of(images, media_type(o.format), media_type(o.format));
}

Response rendered_frames(DicomContext& ctx, Request& req) {
  const Scope scope = scope_of(req);
  const RenderOptions base = options_of(req, false);
  const auto wanted = frame_numbers(req.param("frames"), kMaxRenderedParts);
  const auto files = files_of(ctx, scope);
  std::vector<std::string> images;
  for (int n : wanted) {
    RenderOptions o = base;
    o.frame = n;
    images.push_back(render(ctx, files[0], o));
  }
  audit_read(ctx, req, "dicom.rendered", scope.study, {{"images", images.size()}});
  if (images.size() == 1) return Response::text(std::move(images[0]), media_type(base.format));
  return multipart_of(images, media_type(base.format), media_type(base.format));
}

std::string thumbnail_key(const DicomStore::InstanceFile& f, const RenderOptions& o) {
  return kThumbnailPrefix + f.sha256 + "/" + std::to_string(o.viewport_width) + "x" +
         std::to_string(o.viewport_height) + (o.format == ImageFormat::kPng ? ".png" : ".jpg");
}

Response thumbnail(DicomContext& ctx, Request& req) {
  const Scope scope = scope_of(req);
  RenderOptions o = options_of(req, true);
  auto files = files_of(ctx, scope);
  const auto& f = representative(files);
  const std::string key = thumbnail_key(f, o);
  std::string image;
  if (auto cached = ctx.blobs.get(key)) {
    std::ostringstream out;
    out << cached->rdbuf();
    image = out.str();
  }
  if (image.empty()) {
    auto count = frame_count(stored_file_path(ctx, f.blob_key));
    // A multi-frame instance stands for itself by its middle frame.
    o.frame = count ? (*count + 1) / 2 : 1;
    image = render(ctx, f, o);
    try {
      std::istringstream in(image);
      ctx.blobs.put(key, in);
    } catch (const std::exception& e) {
      // Not kept: the next request draws it again.
      log_warn("dicom_thumbnail_not_cached", {{"key", key}, {"detail", e.what()}});
    }
  }
  audit_read(ctx, req, "dicom.thumbnail", scope.study, {{"sop_instance_uid", f.sop_uid}});
  return Response::text(std::move(image), media_type(o.format));
}

}  // namespace

std::string thumbnail_prefix(const std::string& sha256) {
  return kThumbnailPrefix + sha256 + "/";
}

void remove_thumbnails(DicomContext& ctx, const std::vector<std::string>& sha256s) {
  for (const auto& sha : sha256s) {
    try {
      for (const auto& blob : ctx.blobs.list(thumbnail_prefix(sha))) ctx.blobs.remove(blob.key);
    } catch (const std::exception& e) {
      // Left for the sweep, which removes thumbnails of instances no longer indexed.
      log_warn("dicom_thumbnail_remove_failed", {{"sha256", sha}, {"detail", e.what()}});
    }
  }
}

void register_render_routes(Router& r, DicomContext& ctx) {
  const auto route = [&ctx](Response (*fn)(DicomContext&, Request&)) {
    return [&ctx, fn](Request& req) { return fn(ctx, req); };
  };
  const Access read = dicom_read_access();
  const std::string instance = "/dicom-web/studies/{study}/series/{series}/instances/{sop}";
  r.add(Method::kGet, "/dicom-web/studies/{study}/rendered", read, route(rendered));
  r.add(Method::kGet, "/dicom-web/studies/{study}/series/{series}/rendered", read, route(rendered));
  r.add(Method::kGet, instance + "/rendered", read, route(rendered));
  r.add(Method::kGet, instance + "/frames/{frames}/rendered", read, route(rendered_frames));
  r.add(Method::kGet, "/dicom-web/studies/{study}/thumbnail", read, route(thumbnail));
  r.add(Method::kGet, "/dicom-web/studies/{study}/series/{series}/thumbnail", read,
        route(thumbnail));
  r.add(Method::kGet, instance + "/thumbnail", read, route(thumbnail));
}

}  // namespace carehub::dicom
