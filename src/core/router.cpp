#include "carehub/router.hpp"

#include <algorithm>
#include <stdexcept>

namespace carehub {
namespace {

std::vector<std::string> split_path(std::string_view path) {
  std::vector<std::string> out;
  std::size_t start = 1;  // paths start with '/'
  while (start <= path.size()) {
    auto slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    out.emplace_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

bool is_param(const std::string& segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

// Matches path segments against a pattern; fills params on success.
bool match_segments(const Route& route, const std::vector<std::string>& segments,
                    std::vector<std::pair<std::string, std::string>>* params) {
  if (route.segments.size() != segments.size()) return false;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const auto& want = route.segments[i];
    if (is_param(want)) {
      if (segments[i].empty()) return false;
      if (params)
        params->emplace_back(want.substr(1, want.size() - 2), percent_decode(segments[i], false));
    } else if (want != segments[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace

Access Access::roles(std::vector<std::string> roles) {
  Access a(Kind::kRestricted);
  a.roles_ = std::move(roles);
  return a;
}

Access Access::scopes(std::vector<std::string> scopes) {
  Access a(Kind::kRestricted);
  a.scopes_ = std::move(scopes);
  return a;
}

Access& Access::or_scopes(std::vector<std::string> scopes) {
  if (kind_ == Kind::kSignedIn) {
    // "any user, or a token with these scopes": keep users open by listing no role restriction.
    kind_ = Kind::kRestricted;
    roles_ = {"*"};
  }
  scopes_.insert(scopes_.end(), scopes.begin(), scopes.end());
  return *this;
}

bool Access::allows(const Principal& p) const {
  switch (kind_) {
    case Kind::kPublic: return true;
    case Kind::kSignedIn: return p.kind == Principal::Kind::kUser;
    case Kind::kRestricted:
      if (p.kind == Principal::Kind::kUser) {
        return std::any_of(roles_.begin(), roles_.end(),
                           [&](const std::string& r) { return r == "*" || p.has_role(r); });
      }
      return std::any_of(scopes_.begin(), scopes_.end(),
                         [&](const std::string& s) { return p.has_scope(s); });
  }
  return false;
}

std::string Access::describe() const {
  if (kind_ == Kind::kPublic) return "public";
  if (kind_ == Kind::kSignedIn) return "any signed-in user";
  std::string out;
  auto join = [&out](const std::vector<std::string>& items, std::string_view what) {
    if (items.empty()) return;
    if (!out.empty()) out += " or ";
    out += std::string(what);
    for (std::size_t i = 0; i < items.size(); ++i) out += (i ? ", " : " ") + items[i];
  };
  if (roles_.size() == 1 && roles_[0] == "*") {
    out = "any signed-in user";
  } else {
    join(roles_, "role");
  }
  join(scopes_, "API token scope");
  if (loopback_) out += " or a loopback client";
  return out;
}

void Router::add(Method method, std::string_view pattern, Access access, Handler handler,
                 RouteOptions options) {
  if (pattern.empty() || pattern.front() != '/') {
    throw std::invalid_argument("route pattern must start with '/': " + std::string(pattern));
  }
  auto route = std::make_unique<Route>(Route{method, std::string(pattern), std::move(access),
                                             std::move(handler), options, split_path(pattern)});
  for (const auto& existing : routes_) {
    if (existing->method == method && existing->segments == route->segments) {
      throw std::invalid_argument("duplicate route " + std::string(method_name(method)) + " " +
                                  std::string(pattern));
    }
  }
  routes_.push_back(std::move(route));
}

RouteMatch Router::match(Method method, std::string_view path) const {
  RouteMatch result;
  if (path.empty() || path.front() != '/') return result;
  const auto segments = split_path(path);
  const Route* head_fallback = nullptr;
  const Route* best = nullptr;
  for (const auto& route : routes_) {
    if (!match_segments(*route, segments, nullptr)) continue;
    if (route->method == method) {
      // A literal segment beats a parameter: prefer the route with fewer parameters.
      if (!best || std::count_if(route->segments.begin(), route->segments.end(), is_param) <
                       std::count_if(best->segments.begin(), best->segments.end(), is_param)) {
        best = route.get();
      }
    } else if (method == Method::kHead && route->method == Method::kGet) {
      head_fallback = route.get();
    }
    if (std::find(result.allowed.begin(), result.allowed.end(), route->method) ==
        result.allowed.end()) {
      result.allowed.push_back(route->method);
      if (route->method == Method::kGet) result.allowed.push_back(Method::kHead);
    }
  }
  if (!best) best = head_fallback;
  if (best) {
    result.kind = RouteMatch::Kind::kFound;
    result.route = best;
    match_segments(*best, segments, &result.params);
    return result;
  }
  if (result.allowed.empty() && (method == Method::kGet || method == Method::kHead) &&
      fallback_applies(segments)) {
    result.kind = RouteMatch::Kind::kFound;
    result.route = page_fallback_.get();
    return result;
  }
  result.kind =
      result.allowed.empty() ? RouteMatch::Kind::kNotFound : RouteMatch::Kind::kMethodNotAllowed;
  return result;
}

void Router::set_page_fallback(Access access, Handler handler) {
  page_fallback_ = std::make_unique<Route>(
      Route{Method::kGet, "(console page)", std::move(access), std::move(handler), {}, {}});
}

bool Router::fallback_applies(const std::vector<std::string>& segments) const {
  if (!page_fallback_) return false;
  if (segments.empty()) return true;  // "/"
  // The API's own prefixes stay JSON 404s: a mistyped API path must not answer HTML.
  return std::none_of(routes_.begin(), routes_.end(), [&](const auto& route) {
    return !route->segments.empty() && route->segments.front() == segments.front();
  });
}

std::size_t Router::body_limit_for(Method method, std::string_view path,
                                   std::size_t server_default) const {
  auto m = match(method, path);
  if (m.kind != RouteMatch::Kind::kFound || m.route->options.body_limit == 0) return server_default;
  return m.route->options.body_limit;
}

}  // namespace carehub
