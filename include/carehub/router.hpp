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

namespace carehub {

enum class Access {
  kPublic,         // anyone, no credentials
  kAuthenticated,  // any signed-in principal
  kAdmin,          // a principal with the admin role
};

struct RouteOptions {
  std::size_t body_limit = 0;   // 0: the server's default (server.max_body_bytes)
  bool inline_handler = false;  // true only for handlers that never block (no SQL, no file I/O)
};

using Handler = std::function<Response(Request&)>;

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

 private:
  std::vector<std::unique_ptr<Route>> routes_;
};

}  // namespace carehub
