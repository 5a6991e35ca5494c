// A minimal HTTP/1.1 GET for `carehub healthcheck` (container health checks without curl).
#pragma once

#include <chrono>
#include <string>

namespace carehub {

// Returns the status code, or 0 when the URL is malformed or nothing answered in time.
int http_probe(const std::string& url, std::chrono::milliseconds timeout);

}  // namespace carehub
