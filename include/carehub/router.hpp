// Method + path pattern routing with {param} segments. Every route states who may call it: there is
// no default, so a route cannot be left open by omission (deny unless a route says otherwise).
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "carehub/http.hpp"
#include "carehub/principal.hpp"

namespace carehub {

// Who may call a route. Users pass by role, API tokens by scope; a rule names both where machine
// clients are welcome (DICOM upload: physicians, or tokens with dicom:write).
class Access {
 public:
  static Access open() { return Access(Kind::kPublic); }         // anyone, no credentials
  static Access signed_in() { return Access(Kind::kSignedIn); }  // any user (not API tokens)
  static Access roles(std::vector<std::string> roles);           // a user with any of these roles
  static Access admin() { return roles({"admin"}); }
  static Access scopes(std::vector<std::string> scopes);  // an API token with any of these
  Access& or_scopes(std::vector<std::string> scopes);     // ... or an API token with these
  // ... or any caller on a loopback address, without credentials (a Prometheus on the same
  // host). Not for anything behind a proxy on the same host: every client looks local there.
  Access& or_loopback() {
    loopback_ = true;
    return *this;
  }
  bool allows_loopback() const { return loopback_; }

  bool is_public() const { return kind_ == Kind::kPublic; }
  // Whether an authenticated caller may pass (the caller is known: the answer is 403 if not).
  bool allows(const Principal& principal) const;
  std::string describe() const;  // for error messages and the route listing

 private:
  enum class Kind { kPublic, kSignedIn, kRestricted };
  explicit Access(Kind kind) : kind_(kind) {}
  Kind kind_;
  bool loopback_ = false;
  std::vector<std::string> roles_;
  std::vector<std::string> scopes_;
};

struct RouteOptions {
  std::size_t body_limit = 0;   // 0: the server's default (server.max_body_bytes)
  bool inline_handler = false;  // true only for handlers that never block (no SQL, no file I/O)
  // The body goes to a file in server.upload_dir as it arrives (Request::spooled), not to memory;
  // for bodies of any size up to body_limit.
  bool spool_body = false;
  // With spool_body: the spooled file is scratch, only read by the handler (a STOW-RS request split
  // into its parts), never kept: no SHA-256 of it, and no early writeback to disk.
  bool spool_scratch = false;
  // A route that also takes a single-use ticket for this purpose in its query string
  // (?ticket=..., carehub/tickets.hpp) when the request has no Authorization header.
  std::string ticket_purpose;
};

using Handler = std::function<Response(Request&)>;

// A handler that calls fn(service, request), so a route table can name free functions of its
// module's service in one line each.
template <typename Service>
Handler bind_handler(Service& service, Response (*fn)(Service&, Request&)) {
  return [&service, fn](Request& request) { return fn(service, request); };
}

struct Route {
  Method method;
  std::string pattern;
  Access access;
  Handler handler;
  RouteOptions options;
  std::vector<std::string> segments;  // pattern split on '/'
};

struct RouteMatch {
  enum class Kind { kFound, kNotFound, kMethodNotAllowed } kind = Kind::kNotFound;
  const Route* route = nullptr;
  std::vector<std::pair<std::string, std::string>> params;
  std::vector<Method> allowed;  // for kMethodNotAllowed: what the path does accept
};

class Router {
 public:
  // Throws std::invalid_argument on a malformed or duplicate pattern (a programmer error).
  void add(Method method, std::string_view pattern, Access access, Handler handler,
           RouteOptions options = {});
  // HEAD falls back to the GET route of the same path.
  RouteMatch match(Method method, std::string_view path) const;
  // The largest body any route with this path accepts: the parser's limit is chosen from it before
  // the body is read.
  std::size_t body_limit_for(Method method, std::string_view path,
                             std::size_t server_default) const;
  const std::vector<std::unique_ptr<Route>>& routes() const { return routes_; }

  // The web console's pages: a GET (or HEAD) that no route matches, on a path whose first segment
  // no route uses (so /signin or /admin/users, never /api/v1/nope or /dicom-web/x), goes to this
  // route, so a deep link or a reload of a console page is answered by the console.
  void set_page_fallback(Access access, Handler handler);

 private:
  bool fallback_applies(const std::vector<std::string>& segments) const;
  std::vector<std::unique_ptr<Route>> routes_;
  std::unique_ptr<Route> page_fallback_;
};

}  // namespace carehub
