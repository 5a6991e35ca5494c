#include "carehub/router.hpp"

#include <catch2/catch.hpp>

#include "http/pipeline.hpp"

using namespace carehub;

namespace {

Handler named(std::string name) {
  return [name](Request&) { return Response::text(name); };
}

Router sample_router() {
  Router r;
  r.add(Method::kGet, "/api/v1/persons/{id}", Access::kPublic, named("get person"));
  r.add(Method::kPut, "/api/v1/persons/{id}", Access::kAuthenticated, named("put person"));
  r.add(Method::kGet, "/api/v1/persons/summary", Access::kPublic, named("summary"));
  r.add(Method::kGet, "/api/v1/jobs/{id}", Access::kAdmin, named("job"));
  r.add(Method::kPost, "/upload", Access::kPublic, named("upload"), {.body_limit = 1 << 20});
  return r;
}

}  // namespace

TEST_CASE("router matches patterns and extracts decoded parameters", "[router]") {
  auto r = sample_router();
  auto m = r.match(Method::kGet, "/api/v1/persons/abc%20def");
  REQUIRE(m.kind == RouteMatch::Kind::kFound);
  CHECK(m.route->pattern == "/api/v1/persons/{id}");
  REQUIRE(m.params.size() == 1);
  CHECK(m.params[0].first == "id");
  CHECK(m.params[0].second == "abc def");
}

TEST_CASE("a literal segment wins over a parameter", "[router]") {
  auto r = sample_router();
  auto m = r.match(Method::kGet, "/api/v1/persons/summary");
  REQUIRE(m.kind == RouteMatch::Kind::kFound);
  CHECK(m.route->pattern == "/api/v1/persons/summary");
}

TEST_CASE("unknown path is 404, known path with another method is 405 with the allowed list",
          "[router]") {
  auto r = sample_router();
  CHECK(r.match(Method::kGet, "/api/v1/nothing").kind == RouteMatch::Kind::kNotFound);
  CHECK(r.match(Method::kGet, "/api/v1/persons").kind == RouteMatch::Kind::kNotFound);
  CHECK(r.match(Method::kGet, "/api/v1/persons/").kind == RouteMatch::Kind::kNotFound);  // empty id
  auto m = r.match(Method::kDelete, "/api/v1/persons/7");
  REQUIRE(m.kind == RouteMatch::Kind::kMethodNotAllowed);
  CHECK(std::find(m.allowed.begin(), m.allowed.end(), Method::kGet) != m.allowed.end());
  CHECK(std::find(m.allowed.begin(), m.allowed.end(), Method::kPut) != m.allowed.end());
  CHECK(std::find(m.allowed.begin(), m.allowed.end(), Method::kHead) != m.allowed.end());
}

TEST_CASE("HEAD falls back to the GET route", "[router]") {
  auto r = sample_router();
  auto m = r.match(Method::kHead, "/api/v1/jobs/3");
  REQUIRE(m.kind == RouteMatch::Kind::kFound);
  CHECK(m.route->method == Method::kGet);
}

TEST_CASE("duplicate and malformed patterns are programmer errors", "[router]") {
  Router r;
  r.add(Method::kGet, "/a/{x}", Access::kPublic, named("a"));
  CHECK_THROWS_AS(r.add(Method::kGet, "/a/{x}", Access::kPublic, named("b")),
                  std::invalid_argument);
  CHECK_THROWS_AS(r.add(Method::kGet, "relative", Access::kPublic, named("c")),
                  std::invalid_argument);
}

TEST_CASE("per-route body limits", "[router]") {
  auto r = sample_router();
  CHECK(r.body_limit_for(Method::kPost, "/upload", 1024) == (1u << 20));
  CHECK(r.body_limit_for(Method::kGet, "/api/v1/jobs/1", 1024) == 1024);
  CHECK(r.body_limit_for(Method::kPost, "/unknown", 1024) == 1024);
}

TEST_CASE("pipeline denies non-public routes without a principal and checks the admin role",
          "[pipeline]") {
  auto r = sample_router();
  Pipeline p(r);
  Request req;
  req.method = Method::kGet;
  req.path = "/api/v1/jobs/1";
  req.request_id = "rid-1";
  Response early;
  const Route* route = p.route(req, early);
  REQUIRE(route != nullptr);
  auto resp = p.handle(*route, req);
  CHECK(resp.status == 401);
  CHECK(nlohmann::json::parse(resp.body)["error"]["request_id"] == "rid-1");

  p.set_authenticator([](const Request&) { return Principal{"u1", {"physician"}}; });
  CHECK(p.handle(*route, req).status == 403);
  p.set_authenticator([](const Request&) { return Principal{"u2", {"admin"}}; });
  auto ok = p.handle(*route, req);
  CHECK(ok.status == 200);
  CHECK(ok.body == "job");
}

TEST_CASE("pipeline turns handler failures into the error envelope", "[pipeline]") {
  Router r;
  r.add(Method::kPost, "/json", Access::kPublic,
        [](Request& req) { return Response::json(req.json_body()); });
  r.add(Method::kGet, "/boom", Access::kPublic,
        [](Request&) -> Response { throw std::runtime_error("secret detail"); });
  Pipeline p(r);
  Request req;
  req.method = Method::kPost;
  req.path = "/json";
  req.body = "{\"a\":";
  Response early;
  auto resp = p.handle(*p.route(req, early), req);
  CHECK(resp.status == 400);
  CHECK(nlohmann::json::parse(resp.body)["error"]["code"] == "invalid_json");

  Request boom;
  boom.method = Method::kGet;
  boom.path = "/boom";
  auto internal = p.handle(*p.route(boom, early), boom);
  CHECK(internal.status == 500);
  CHECK(internal.body.find("secret detail") == std::string::npos);  // internals are not leaked

  Request missing;
  missing.method = Method::kGet;
  missing.path = "/nowhere";
  CHECK(p.route(missing, early) == nullptr);
  CHECK(early.status == 404);
}

TEST_CASE("query parameters are percent-decoded", "[http]") {
  Request req;
  req.query = "a=1&name=J%C3%BCrgen+M&flag&empty=";
  CHECK(req.query_param("a") == "1");
  CHECK(req.query_param("name") == "J\xC3\xBCrgen M");
  CHECK(req.query_param("flag") == "");
  CHECK(req.query_param("empty") == "");
  CHECK_FALSE(req.query_param("missing").has_value());
}
