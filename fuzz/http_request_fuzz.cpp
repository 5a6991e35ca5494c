// Bytes from a client's socket, read as carehub's HTTP session reads them (src/http/session.cpp):
// Beast's request parser with the session's limits (request_head.hpp), requests pipelined on one
// connection, then to_request and what the session decides from the head alone (admit(): the
// server's real route table, with every module started on a scratch SQLite database; the body
// limit; authentication and access for a body still to come, the auth module's authenticator on
// the client's credentials), the body read as request_body.cpp reads it (chunked or sized, into
// memory or through the spooled upload path), and the query and path-parameter decoding of
// carehub/http.hpp. Handlers are not run: they are other harnesses' parsers behind a database.
//
// Input: one byte choosing how many bytes each socket read returns (segments split the head
// and chunk lines anywhere), then the connection's bytes.
#include <boost/asio/io_context.hpp>
#include <boost/beast/_experimental/test/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/read.hpp>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>

#include "carehub/error.hpp"
#include "carehub/migrations.hpp"
#include "cli/runtime.hpp"
#include "fuzz_support.hpp"
#include "http/request_head.hpp"
#include "modules.hpp"

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using carehub::Request;
using ErrorCode = boost::system::error_code;

// A connection's requests are bounded by server.max_requests_per_connection; a few are enough
// for the fuzzer to reach every state of a pipelined connection.
constexpr int kMaxRequests = 8;

// The server as `carehub serve` builds it, on a scratch directory: default configuration,
// migrated SQLite database, every module started. Never destroyed: module background work may
// still hold it when the process exits.
struct Server {
  carehub::ModuleList modules = carehub::make_modules();
  std::unique_ptr<carehub::LoadedConfig> loaded;
  std::unique_ptr<carehub::Runtime> runtime;
  carehub::ServerConfig cfg;

  Server() {
    const std::string dir = carehub::fuzz::scratch_directory("carehub-fuzz-http");
    const carehub::fuzz::MemFile file(R"({"database": {"url": "sqlite://)" + dir +
                                      R"(/carehub.db"}, "blob": {"path": ")" + dir +
                                      R"(/blobs"}, "server": {"upload_dir": ")" + dir +
                                      R"(/uploads"}, "log": {"level": "error"}})");
    loaded = carehub::load_config(file.path(), modules);
    carehub::migrate(*carehub::open_database(loaded->config.database()), {});
    runtime = std::make_unique<carehub::Runtime>(loaded->config, modules);
    cfg = loaded->config.server();
  }
};

// Runs one asynchronous operation to its end, as the session's co_await does. The stream's
// remote end is closed, so every read completes.
template <typename Initiate>
ErrorCode run(asio::io_context& io, Initiate&& initiate) {
  ErrorCode result;
  bool done = false;
  initiate([&](ErrorCode ec, std::size_t) {
    result = ec;
    done = true;
  });
  io.restart();
  io.run();
  if (!done) std::abort();  // a read that can never finish: a harness bug
  return result;
}

// The Beast half of request_body.cpp: read_body's reads into the parser's string body, or
// spool_body's through a buffer_body parser, 64 KiB at a time, into nowhere. False when the
// session would not go on (a framing error, a body over the limit, the end of the input).
bool read_body(asio::io_context& io, beast::test::stream& stream, beast::flat_buffer& buffer,
               carehub::RequestParser& parser, std::uint64_t limit, bool spool) {
  if (!spool) {
    while (!parser.is_done()) {
      if (run(io, [&](auto handler) { http::async_read_some(stream, buffer, parser, handler); }))
        return false;
    }
    return true;
  }
  static std::string chunk(64 * 1024, '\0');
  http::request_parser<http::buffer_body> raw(std::move(parser));
  raw.body_limit(limit);
  buffer.reserve(std::min<std::size_t>(chunk.size(), buffer.max_size()));
  while (!raw.is_done()) {
    raw.get().body().data = chunk.data();
    raw.get().body().size = chunk.size();
    auto ec = run(io, [&](auto handler) { http::async_read_some(stream, buffer, raw, handler); });
    if (ec == http::error::need_buffer) ec = {};
    if (ec) return false;
  }
  parser.get().base() = raw.get().base();
  return true;
}

// What handlers do with a request's target: query parameters, integers among them, path ids.
void decode(const Request& req) {
  for (const auto& [name, value] : req.query_params()) {
    if (req.query_param(name) && name.size() < 64) {
      try {
        (void)req.int_query(name, 0, -1000, 1000);
      } catch (const carehub::ApiError&) {
      }
    }
  }
  for (const auto& [name, value] : req.params) {
    try {
      (void)carehub::parse_positive_id(value, name);
    } catch (const carehub::ApiError&) {
    }
  }
  (void)carehub::percent_decode(req.path, false);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static Server& server = *new Server();
  if (size == 0) return 0;
  const std::size_t read_max = data[0] % 64 == 0 ? std::size_t{1} << 20 : data[0];

  asio::io_context io;
  beast::test::stream stream(io,
                             beast::string_view(reinterpret_cast<const char*>(data + 1), size - 1));
  stream.read_size(read_max);
  stream.close_remote();

  const auto& cfg = server.cfg;
  beast::flat_buffer buffer(cfg.max_header_bytes + 65536);
  for (int served = 0; served < kMaxRequests; ++served) {
    if (buffer.size() == 0) {  // the session's first read of a request
      ErrorCode ec;
      const std::size_t n = stream.read_some(buffer.prepare(4096), ec);
      if (ec) break;
      buffer.commit(n);
    }
    carehub::RequestParser parser;
    carehub::limit_request_header(parser, cfg);
    if (run(io, [&](auto handler) { http::async_read_header(stream, buffer, parser, handler); }))
      break;  // answered 400 or 431 and closed, or the client went away

    // Not loopback: routes open to loopback callers would skip authentication.
    Request req = carehub::to_request(parser.get(), "203.0.113.7");
    const auto& pipeline = server.runtime->pipeline;
    const bool body_pending = !parser.is_done();
    carehub::Response early;
    const carehub::Route* route = pipeline.route(req, early);
    if (!route) {  // 404 or 405; the connection closes when a body was on its way
      if (body_pending || !parser.get().keep_alive()) break;
      continue;
    }
    const std::uint64_t limit = carehub::request_body_limit(*route, cfg);
    const auto length = parser.content_length();
    if (length && *length > limit) break;  // 413, close
    parser.body_limit(limit);
    const bool arrived = length && *length <= buffer.size() && !route->options.spool_body;
    const bool early_check = body_pending && !arrived && !route->access.is_public();
    if (early_check && pipeline.authorize(*route, req)) break;  // 401 or 403 before the body
    if (!read_body(io, stream, buffer, parser, limit, route->options.spool_body)) break;
    if (!route->options.spool_body) req.body = std::move(parser.get().body());
    if (!early_check) (void)pipeline.authorize(*route, req);  // as handle() does
    decode(req);
    if (!parser.get().keep_alive()) break;
  }
  return 0;
}
