// The core's own request and response types. Modules see these, never Beast or Asio.
#pragma once

#include <cstdint>
#include <functional>
#include <istream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "carehub/error.hpp"
#include "carehub/live.hpp"
#include "carehub/principal.hpp"
#include "carehub/spool.hpp"

namespace carehub {

enum class Method { kGet, kHead, kPost, kPut, kPatch, kDelete, kOptions, kUnknown };

std::string_view method_name(Method m);
Method parse_method(std::string_view name);

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// A client certificate the TLS handshake verified against server.tls.client_ca_file (mutual TLS).
// Never read from a header: a proxy in front cannot vouch for one.
struct ClientCertificate {
  std::string subject;             // RFC 2253: "CN=ct-scanner-1,O=Clinic"
  std::vector<std::string> names;  // subjectAltName: "DNS:pacs.example", "URI:...", "email:..."
};

struct Request {
  Method method = Method::kGet;
  std::string target;  // as sent: path and query
  std::string path;    // the path as sent, without the query (path parameters are decoded)
  std::string query;   // raw query string, without '?'
  HeaderList headers;  // names lower-cased
  std::string body;
  std::shared_ptr<SpooledBody> spooled;  // routes with spool_body: the body is here, not in body
  std::string request_id;
  std::string client_address;
  bool secure = false;  // it arrived over TLS: links and cookies it causes are https ones
  std::shared_ptr<const ClientCertificate> client_certificate;  // null: none presented
  std::string route_pattern;  // the matched pattern, for logs and metrics
  std::vector<std::pair<std::string, std::string>> params;  // path parameters
  std::optional<Principal> principal;                       // set when the caller authenticated

  std::optional<std::string_view> header(std::string_view lower_name) const;
  std::optional<std::string> query_param(std::string_view name) const;    // percent-decoded
  std::vector<std::pair<std::string, std::string>> query_params() const;  // all, in order
  const std::string& param(std::string_view name) const;  // path parameter; must exist
  // An integer query parameter in [min, max], or fallback when absent; throws ApiError
  // (kBadRequest) naming the parameter and the range otherwise.
  int int_query(std::string_view name, int fallback, int min, int max) const;
  // Parses the body as JSON; throws ApiError(kInvalidJson) naming the parse position.
  nlohmann::json json_body() const;
  // The same, and 422 (kValidationFailed) unless it is a JSON object.
  nlohmann::json json_object() const;
};

// A response body produced after the head is sent, for answers too large to hold in memory
// (exports, DICOM files, documents). The server calls read() on the worker pool, one call at a
// time, until it returns 0; it may block on files or SQL. Once the head is out a failure can only
// end the connection, so the client sees a short body: with a known size, fewer bytes than
// Content-Length; chunked, no final chunk.
class BodySource {
 public:
  virtual ~BodySource() = default;
  // Bytes in all, when known before the first read (Content-Length); nullopt sends chunked.
  virtual std::optional<std::uint64_t> size() const = 0;
  // Up to capacity bytes into buffer; 0 at the end. Throws on failure.
  virtual std::size_t read(char* buffer, std::size_t capacity) = 0;
};

// Bytes [offset, offset + length) of an open file, read with pread. Throws std::system_error when
// the file cannot be opened. unlink_after_open removes its name at once (a scratch file that must
// not outlive the answer, even if the process dies).
std::shared_ptr<BodySource> file_body(const std::string& path, std::uint64_t offset = 0,
                                      std::optional<std::uint64_t> length = std::nullopt,
                                      bool unlink_after_open = false);

// size bytes read from a stream (a blob store object that is not a local file).
std::shared_ptr<BodySource> istream_body(std::unique_ptr<std::istream> in, std::uint64_t size);

// Several pieces sent one after another as one body: literal text, file ranges and other sources
// (a multipart answer of stored objects). Sources are opened when reached, one at a time; the size
// is known in advance from the lengths given.
class PiecesBody : public BodySource {
 public:
  using Opener = std::function<std::shared_ptr<BodySource>()>;
  void add_text(std::string text);
  void add_file(std::string path, std::uint64_t offset, std::uint64_t length);
  // open() must give a source of exactly length bytes.
  void add_source(Opener open, std::uint64_t length);
  std::optional<std::uint64_t> size() const override { return total_; }
  std::size_t read(char* buffer, std::size_t capacity) override;

 private:
  struct Piece {
    std::string text;  // when open is empty
    Opener open;
    std::uint64_t length = 0;
  };
  std::vector<Piece> pieces_;
  std::uint64_t total_ = 0;
  std::size_t at_ = 0;                  // the piece being sent
  std::uint64_t done_ = 0;              // bytes of it sent
  std::shared_ptr<BodySource> source_;  // the open source of pieces_[at_]
};

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  HeaderList headers;
  std::string body;
  std::shared_ptr<BodySource> stream;  // when set, the body (and `body` is ignored)
  std::shared_ptr<LiveOptions> live;   // when set, the connection becomes a live one

  static Response json(const nlohmann::json& value, int status = 200);
  static Response text(std::string body, std::string content_type = "text/plain; charset=utf-8",
                       int status = 200);
  static Response no_content();
  static Response streamed(std::shared_ptr<BodySource> source, std::string content_type,
                           int status = 200);
  // The connection becomes a WebSocket or an event stream (see carehub/live.hpp).
  static Response live_connection(LiveOptions options);
  Response& with_header(std::string name, std::string value);
};

std::string percent_decode(std::string_view in, bool plus_as_space);

// A positive integer id written in text (a path parameter, a form field); throws ApiError with
// `code` ("<what> must be a positive integer") otherwise.
std::int64_t parse_positive_id(std::string_view text, std::string_view what,
                               ErrorCode code = ErrorCode::kBadRequest);
// The same for a JSON value that is such a string or a positive integer.
std::int64_t json_positive_id(const nlohmann::json& value, std::string_view what,
                              ErrorCode code = ErrorCode::kValidationFailed);

}  // namespace carehub
