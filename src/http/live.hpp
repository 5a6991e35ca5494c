// Running a live connection (carehub/live.hpp) once a route asked for one: the WebSocket upgrade
// or the event-stream head, then a writer that drains the connection's queue and a reader that
// notices the client leaving, on the connection's own I/O thread.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "carehub/http.hpp"
#include "http/session.hpp"

namespace carehub {

// Serves the live connection until it ends. The connection is not reused afterwards.
boost::asio::awaitable<void> run_live(
    SessionHost& host, Connection& conn,
    const boost::beast::http::request<boost::beast::http::string_body>& message,
    const Request& request, std::shared_ptr<LiveOptions> options);

}  // namespace carehub
