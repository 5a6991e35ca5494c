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

void Router::add(Method method, std::string_view pattern, Access access, Handler handler,
                 RouteOptions options) {
  if (pattern.empty() || pattern.front() != '/') {
    throw std::invalid_argument("route pattern must start with '/': " + std::string(pattern));
  }
  auto route = std::make_unique<Route>();
  route->method = method;
  route->pattern = std::string(pattern);
  route->access = access;
  route->handler = std::move(handler);
  route->options = options;
  route->segments = split_path(pattern);
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
  result.kind =
      result.allowed.empty() ? RouteMatch::Kind::kNotFound : RouteMatch::Kind::kMethodNotAllowed;
  return result;
}

std::size_t Router::body_limit_for(Method method, std::string_view path,
                                   std::size_t server_default) const {
  auto m = match(method, path);
  if (m.kind != RouteMatch::Kind::kFound || m.route->options.body_limit == 0) return server_default;
  return m.route->options.body_limit;
}

}  // namespace carehub
