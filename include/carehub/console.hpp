// The web console (web/, compiled into the binary): index.html for the console's pages, the
// bundle's files under /assets/, and the headers that keep a browser strict about both.
#pragma once

#include "carehub/router.hpp"

namespace carehub {

// The Content-Security-Policy of every console answer: nothing inline, nothing from elsewhere, no
// framing. The console's WebSocket is same-origin ('self' covers ws: and wss: there).
inline constexpr std::string_view kConsoleCsp =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'";

// GET /assets/{name} (content-hashed names: cached for a year, immutable) and the page fallback:
// index.html for a browser's GET of any path outside the API (so deep links and reloads work).
void register_console_routes(Router& router);

}  // namespace carehub
