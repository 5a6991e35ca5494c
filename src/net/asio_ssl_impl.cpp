// The one translation unit that compiles Boost.Asio's SSL support (separate compilation: the
// core's src/http/asio_impl.cpp compiles the rest of Asio and Beast, without SSL).
#include <boost/asio/ssl/impl/src.hpp>
