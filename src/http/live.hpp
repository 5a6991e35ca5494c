// Running a live connection (carehub/live.hpp) once a route asked for one: the WebSocket upgrade
// or the event-stream head, then a writer that drains the connection's queue and a reader that
// notices the client leaving, on the connection's own I/O thread.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "carehub/http.hpp"
#include "http/session.hpp"
#include "http/streams.hpp"

namespace carehub {

// Serves the live connection until it ends, over conn's stream (PlainStream or TlsStream). The
// connection is not reused afterwards.
template <typename Stream>
boost::asio::awaitable<void> run_live(
    SessionHost& host, Connection& conn, Stream& stream,
    const boost::beast::http::request<boost::beast::http::string_body>& message,
    const Request& request, std::shared_ptr<LiveOptions> options);

}  // namespace carehub
