// Serialises a response's status line and headers. The server writes this head and the body in one
// gathered write, without building a Beast message per response (a measurable cost on the hot
// path). Header values holding CR or LF are dropped so a handler can never split a response.
#pragma once

#include <cstddef>
#include <string>

#include "carehub/http.hpp"

namespace carehub {

// Appends the head to out. keep_alive false adds "Connection: close"; an HTTP/1.0 client that
// asked for keep-alive gets "Connection: keep-alive".
void format_response_head(std::string& out, const Response& response, const Request& request,
                          unsigned version, bool keep_alive);

// A streamed body of unknown size: chunked for HTTP/1.1; for HTTP/1.0 the end of the body is the
// end of the connection.
bool response_is_chunked(const Response& response, unsigned version);
bool response_needs_close(const Response& response, unsigned version);

// True when the status forbids a body (1xx, 204, 304) or the request was HEAD.
bool response_has_body(const Response& response, const Request& request);

}  // namespace carehub
