// The web console's files, served from the binary.
#include "carehub/console.hpp"

#include <algorithm>
#include <string>

#include "carehub/console_assets.hpp"
#include "carehub/download.hpp"
#include "carehub/error.hpp"

namespace carehub {
namespace {

const ConsoleAsset* find_asset(std::string_view path) {
  const auto assets = console_assets();
  const auto it = std::find_if(assets.begin(), assets.end(),
                               [&](const ConsoleAsset& a) { return a.path == path; });
  return it == assets.end() ? nullptr : &*it;
}

bool accepts_gzip(const Request& request) {
  const auto header = request.header("accept-encoding");
  return header && header->find("gzip") != std::string_view::npos;
}

// The headers every console answer carries, whatever its status.
Response& console_headers(Response& r) {
  return r.with_header("Content-Security-Policy", std::string(kConsoleCsp))
      .with_header("X-Frame-Options", "DENY")
      .with_header("Referrer-Policy", "no-referrer")
      .with_header("Cross-Origin-Opener-Policy", "same-origin");
}

Response asset_response(const Request& request, const ConsoleAsset& asset,
                        std::string_view cache_control) {
  Response r;
  r.content_type = std::string(asset.content_type);
  r.with_header("Cache-Control", std::string(cache_control))
      .with_header("ETag", std::string(asset.etag))
      .with_header("Vary", "Accept-Encoding");
  console_headers(r);
  if (auto inm = request.header("if-none-match"); inm && etag_matches(*inm, asset.etag)) {
    r.status = 304;
    r.content_type.clear();
    return r;
  }
  if (!asset.gzip.empty() && accepts_gzip(request)) {
    r.body = std::string(asset.gzip);
    r.with_header("Content-Encoding", "gzip");
  } else {
    r.body = std::string(asset.body);
  }
  return r;
}

Response page(Request& request) {
  // Only a browser asking for a page gets one; anything else (curl, an API client with a mistyped
  // path) gets the JSON 404 it would have had without the console.
  const auto accept = request.header("accept");
  if (!accept || accept->find("text/html") == std::string_view::npos) {
    throw ApiError(ErrorCode::kNotFound, "no route for " + request.path);
  }
  const ConsoleAsset* index = find_asset("/index.html");
  if (!index) throw ApiError(ErrorCode::kNotFound, "this build has no web console");
  // index.html names the current bundle: the browser asks again each time (a new release is
  // picked up at once), and the ETag makes that a 304.
  return asset_response(request, *index, "no-cache");
}

Response asset(Request& request) {
  const ConsoleAsset* found = find_asset("/assets/" + request.param("name"));
  if (!found) throw ApiError(ErrorCode::kNotFound, "no console file " + request.path);
  // Content-hashed names: a file's bytes never change under its name.
  return asset_response(request, *found, "public, max-age=31536000, immutable");
}

}  // namespace

void register_console_routes(Router& router) {
  RouteOptions from_memory;
  from_memory.inline_handler = true;  // the files are in the binary: nothing blocks
  router.add(Method::kGet, "/assets/{name}", Access::open(), asset, from_memory);
  router.set_page_fallback(Access::open(), page);
}

}  // namespace carehub
