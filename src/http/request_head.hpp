// Reading a request's head: the limits the session gives Beast's parser, and the core's Request
// built from the parsed message. Kept apart from the session so the fuzz harness
// (fuzz/http_request_fuzz.cpp) runs exactly this code on its bytes, without sockets.
#pragma once

#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstdint>
#include <string>

#include "carehub/config.hpp"
#include "carehub/http.hpp"
#include "carehub/router.hpp"

namespace carehub {

using RequestParser = boost::beast::http::request_parser<boost::beast::http::string_body>;

// A fresh parser's limits before its header is read: server.max_header_bytes for the header, and
// no body limit yet (the route decides it, see request_body_limit).
void limit_request_header(RequestParser& parser, const ServerConfig& cfg);

// The body limit once the route is known: the route's own, else server.max_body_bytes.
std::uint64_t request_body_limit(const Route& route, const ServerConfig& cfg);

// The core's Request from Beast's message: method, target in origin form (an absolute-form target
// gives its authority to Host) split into path and query, header names lower-cased, the client's
// X-Request-Id when it is sane, else a new one.
Request to_request(const boost::beast::http::request<boost::beast::http::string_body>& msg,
                   const std::string& client);

// 24 random hex digits.
std::string new_request_id();

}  // namespace carehub
