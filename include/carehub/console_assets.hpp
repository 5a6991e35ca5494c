// The web console's files (web/), built by web/build.mjs at build time and compiled into the
// binary: one binary serves everything, nothing is fetched at run time.
#pragma once

#include <span>
#include <string_view>

namespace carehub {

struct ConsoleAsset {
  std::string_view path;          // "/index.html", "/assets/main-3F2A9C1D.js"
  std::string_view content_type;  // "text/javascript; charset=utf-8"
  std::string_view body;          // the file's bytes
  std::string_view gzip;          // the same, gzip-compressed (empty when that is not smaller)
  std::string_view etag;          // "\"<sha-256 prefix of body, hex>\"", quotes included
};

// Every file of the console build, index.html first. Generated (build/generated/console_data.cpp).
std::span<const ConsoleAsset> console_assets();

}  // namespace carehub
