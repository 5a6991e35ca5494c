// The two kinds of stream a connection is served over: plain TCP, and TLS over that same TCP
// stream. The session, body readers and live connections are templates over the stream and are
// compiled for exactly these two (explicit instantiations in their .cpp files). Timeouts and the
// socket always belong to the TCP layer, whichever stream carries the bytes.
#pragma once

#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include "http/tls_stream.hpp"

namespace carehub {

using PlainStream = boost::beast::tcp_stream;
// TlsStream (tls_stream.hpp) runs over the connection's own TCP stream, held by reference: the
// server keeps the TCP stream in the Connection, where it can close it to evict or drain.

// The TCP layer under either stream: for deadlines (expires_after) and the socket.
template <typename Stream>
boost::beast::tcp_stream& tcp_layer(Stream& stream) {
  return boost::beast::get_lowest_layer(stream);
}

}  // namespace carehub
