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
  r.add(Method::kGet, "/api/v1/persons/{id}", Access::open(), named("get person"));
  r.add(Method::kPut, "/api/v1/persons/{id}", Access::signed_in(), named("put person"));
  r.add(Method::kGet, "/api/v1/persons/summary", Access::open(), named("summary"));
  r.add(Method::kGet, "/api/v1/jobs/{id}", Access::admin(), named("job"));
  r.add(Method::kPost, "/upload", Access::open(), named("upload"), {.body_limit = 1 << 20});
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
  r.add(Method::kGet, "/a/{x}", Access::open(), named("a"));
  CHECK_THROWS_AS(r.add(Method::kGet, "/a/{x}", Access::open(), named("b")), std::invalid_argument);
  CHECK_THROWS_AS(r.add(Method::kGet, "relative", Access::open(), named("c")),
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

  Principal physician;
  physician.subject = "user:1";
  physician.roles = {"physician"};
  p.set_authenticator([&](const Request&) { return physician; });
  CHECK(p.handle(*route, req).status == 403);
  Principal admin;
  admin.subject = "user:2";
  admin.roles = {"admin"};
  p.set_authenticator([&](const Request&) { return admin; });
  auto ok = p.handle(*route, req);
  CHECK(ok.status == 200);
  CHECK(ok.body == "job");
}

TEST_CASE("pipeline turns handler failures into the error envelope", "[pipeline]") {
  Router r;
  r.add(Method::kPost, "/json", Access::open(),
        [](Request& req) { return Response::json(req.json_body()); });
  r.add(Method::kGet, "/boom", Access::open(),
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

TEST_CASE("access rules: roles for users, scopes for API tokens", "[router]") {
  Principal physician;
  physician.roles = {"physician"};
  Principal admin;
  admin.roles = {"admin"};
  Principal device;
  device.kind = Principal::Kind::kApiToken;
  device.scopes = {"dicom:write"};
  Principal reader;
  reader.kind = Principal::Kind::kApiToken;
  reader.scopes = {"empi:read"};

  CHECK(Access::signed_in().allows(physician));
  CHECK_FALSE(Access::signed_in().allows(device));  // machine clients only where a scope says so
  CHECK(Access::admin().allows(admin));
  CHECK_FALSE(Access::admin().allows(physician));
  // An API token never passes by role, even a token that somehow carries "admin".
  Principal token_with_role = device;
  token_with_role.roles = {"admin"};
  CHECK_FALSE(Access::admin().allows(token_with_role));

  auto upload = Access::roles({"admin", "physician"}).or_scopes({"dicom:write"});
  CHECK(upload.allows(physician));
  CHECK(upload.allows(device));
  CHECK_FALSE(upload.allows(reader));
  auto any_user_or_reader = Access::signed_in().or_scopes({"empi:read"});
  CHECK(any_user_or_reader.allows(physician));
  CHECK(any_user_or_reader.allows(reader));
  CHECK_FALSE(any_user_or_reader.allows(device));
  CHECK(Access::scopes({"empi:read"}).allows(reader));
  CHECK_FALSE(Access::scopes({"empi:read"}).allows(admin));
  CHECK(upload.describe() == "role admin, physician or API token scope dicom:write");
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
